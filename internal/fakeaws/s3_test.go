package fakeaws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithy "github.com/aws/smithy-go"
)

func s3ClientOf(s *S3, creds aws.CredentialsProvider, opts ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", Credentials: creds, HTTPClient: s.srv.Client(),
		BaseEndpoint: aws.String(s.URL()), UsePathStyle: true, RetryMaxAttempts: 1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}, opts...)
}

func static(id, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id, secret, token)
}

// putGet uploads an object and reads it back.
func putGet(ctx context.Context, c *s3.Client) error {
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("dir/a key+é"), Body: strings.NewReader("hello")}); err != nil {
		return err
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("dir/a key+é")})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err == nil && string(b) != "hello" {
		err = errors.New("read back " + strconv.Quote(string(b)))
	}
	return err
}

// wantS3Error fails unless err is the API error code from S3.
// userS3 starts an S3 endpoint with newS3 (NewS3 or NewPlainS3) and the
// bucket "bucket", closed at the end of the test, knowing the user AKIDUSER
// (secret "user-secret").
func userS3(t *testing.T, newS3 func(buckets ...string) (*S3, error)) *S3 {
	t.Helper()
	s, err := newS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddUser("AKIDUSER", "user-secret")
	return s
}

func wantS3Error(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("%s: got %v, want %s", what, err, code)
	}
}

// TestS3VerifiesSignaturesOfAddedUsers: real S3 answers a request signed
// with a key it does not know with 403 InvalidAccessKeyId, one signed with
// another secret than the key's with 403 SignatureDoesNotMatch, and an
// unsigned one (to a bucket not made public) with 403 AccessDenied. The fake
// served them all (it read no signature), so the root tests' "signed by"
// proved only which key id a request named, not that the client signed it
// with that key's secret.
func TestS3VerifiesSignaturesOfAddedUsers(t *testing.T) {
	s := userS3(t, NewS3)
	ctx := context.Background()
	if err := putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", ""))); err != nil {
		t.Errorf("signed with the added user's key and secret: %v", err)
	}
	wantS3Error(t, "signed with another secret", putGet(ctx, s3ClientOf(s, static("AKIDUSER", "not-the-secret", ""))), "SignatureDoesNotMatch")
	wantS3Error(t, "signed with an unknown key", putGet(ctx, s3ClientOf(s, static("AKIDNOBODY", "user-secret", ""))), "InvalidAccessKeyId")
	wantS3Error(t, "a long-term key with a session token", putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", "some-token"))), "InvalidToken")
	wantS3Error(t, "unsigned", putGet(ctx, s3ClientOf(s, aws.AnonymousCredentials{})), "AccessDenied")
	wantS3Error(t, "signed for the service sts", putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", ""), s3.WithSigV4SigningName("sts"))), "AuthorizationHeaderMalformed")
	// The region must be the bucket's: TestS3RefusesASignatureForAnotherRegionThanItsBucket.

	// AddSession: temporary credentials of no trusted STS.
	s.AddSession("ASIAELSEWHERE", "session-secret", "session-token")
	if err := putGet(ctx, s3ClientOf(s, static("ASIAELSEWHERE", "session-secret", "session-token"))); err != nil {
		t.Errorf("signed with an added session: %v", err)
	}
	wantS3Error(t, "an added session without its token", putGet(ctx, s3ClientOf(s, static("ASIAELSEWHERE", "session-secret", ""))), "InvalidAccessKeyId")
	wantS3Error(t, "an added session with another token", putGet(ctx, s3ClientOf(s, static("ASIAELSEWHERE", "session-secret", "other-token"))), "InvalidToken")
}

// TestS3VerifiesSessionsOfATrustedSTS: real S3 serves temporary credentials
// STS issued only with their own session token (none: 403
// InvalidAccessKeyId; another: 400 InvalidToken), unexpired (400
// ExpiredToken), and signed with their own secret. The fake served a
// session's key id with any secret and token, so a cached client signing
// with one session's key id and another's secret or token passed.
func TestS3VerifiesSessionsOfATrustedSTS(t *testing.T) {
	s, err := NewS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	issuer, untrusted := NewSTS(), NewSTS()
	defer issuer.Close()
	defer untrusted.Close()
	s.TrustIssuer(issuer)
	ctx := context.Background()
	session := func(sts *STS, role string) aws.Credentials {
		t.Helper()
		sts.AddUser("AKIDBASE", "base-secret")
		out, err := assume(ctx, stsClientOf(sts, static("AKIDBASE", "base-secret", "")), "arn:aws:iam::123456789012:role/"+role)
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
	}
	a, b := session(issuer, "a"), session(issuer, "b")
	if err := putGet(ctx, s3ClientOf(s, static(a.AccessKeyID, a.SecretAccessKey, a.SessionToken))); err != nil {
		t.Errorf("signed with an issued session: %v", err)
	}
	wantS3Error(t, "an issued key without its token", putGet(ctx, s3ClientOf(s, static(a.AccessKeyID, a.SecretAccessKey, ""))), "InvalidAccessKeyId")
	wantS3Error(t, "an issued key with a made-up token", putGet(ctx, s3ClientOf(s, static(a.AccessKeyID, a.SecretAccessKey, "not-the-token"))), "InvalidToken")
	wantS3Error(t, "an issued key with another session's token", putGet(ctx, s3ClientOf(s, static(a.AccessKeyID, a.SecretAccessKey, b.SessionToken))), "InvalidToken")
	wantS3Error(t, "an issued key and token with another session's secret", putGet(ctx, s3ClientOf(s, static(a.AccessKeyID, b.SecretAccessKey, a.SessionToken))), "SignatureDoesNotMatch")
	wantS3Error(t, "an issued key with the base user's secret", putGet(ctx, s3ClientOf(s, static(a.AccessKeyID, "base-secret", a.SessionToken))), "SignatureDoesNotMatch")
	wantS3Error(t, "the issuer's own user (not added to S3)", putGet(ctx, s3ClientOf(s, static("AKIDBASE", "base-secret", ""))), "InvalidAccessKeyId")
	u := session(untrusted, "c")
	wantS3Error(t, "a session of an untrusted STS", putGet(ctx, s3ClientOf(s, static(u.AccessKeyID, u.SecretAccessKey, u.SessionToken))), "InvalidAccessKeyId")

	issuer.SetBehavior(func(AssumeRoleRequest) Behavior { return Behavior{Expired: true} })
	e := session(issuer, "d")
	issuer.SetBehavior(nil)
	wantS3Error(t, "an expired session", putGet(ctx, s3ClientOf(s, static(e.AccessKeyID, e.SecretAccessKey, e.SessionToken))), "ExpiredToken")
	// A session issued after TrustIssuer is known too.
	if c := session(issuer, "e"); putGet(ctx, s3ClientOf(s, static(c.AccessKeyID, c.SecretAccessKey, c.SessionToken))) != nil {
		t.Error("a session issued after TrustIssuer was refused")
	}
}

// TestS3VerifiesThePayloadHash: over plain HTTP the SDK signs the body's
// SHA-256 (X-Amz-Content-Sha256), which real S3 checks against the body
// (400 XAmzContentSHA256Mismatch); a request without the header is refused
// (400 InvalidRequest); a STREAMING-UNSIGNED-PAYLOAD-TRAILER upload (the
// SDK's with checksums) is verified as the SDK signs it.
func TestS3VerifiesThePayloadHash(t *testing.T) {
	s := userS3(t, NewPlainS3)
	ctx := context.Background()
	creds := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret"}
	if err := putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", ""))); err != nil {
		t.Errorf("a PutObject with the body's SHA-256 over plain HTTP: %v", err)
	}
	wantS3Error(t, "signed with another secret over plain HTTP", putGet(ctx, s3ClientOf(s, static("AKIDUSER", "not-the-secret", ""))), "SignatureDoesNotMatch")
	// The SDK sends a checksum trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)
	// over TLS only.
	tlsS3, err := NewS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	defer tlsS3.Close()
	tlsS3.AddUser("AKIDUSER", "user-secret")
	var declared []string
	withChecksums := func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
		o.HTTPClient = recordingClient{tlsS3.srv.Client(), &declared}
	}
	if _, err := s3ClientOf(tlsS3, static("AKIDUSER", "user-secret", ""), withChecksums).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("trailer"), Body: strings.NewReader("hello")}); isAuthError(err) {
		t.Errorf("a PutObject with a checksum trailer: %v", err)
	}
	if _, err := s3ClientOf(tlsS3, static("AKIDUSER", "not-the-secret", ""), withChecksums).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("trailer"), Body: strings.NewReader("hello")}); !isAuthError(err) {
		t.Errorf("a PutObject with a checksum trailer and another secret: %v, want SignatureDoesNotMatch", err)
	}
	if len(declared) != 2 || declared[0] != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
		t.Errorf("the checksummed PutObjects declared payload hashes %q, want STREAMING-UNSIGNED-PAYLOAD-TRAILER", declared)
	}

	put := func(body, hash string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPut, s.URL()+"/bucket/raw", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if hash != "" {
			req.Header.Set("X-Amz-Content-Sha256", hash)
		}
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(ctx, creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return do(t, req)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	if status, code := put("hello", sum("hello")); status != http.StatusOK {
		t.Errorf("a body of its signed hash: %d %s", status, code)
	}
	if status, code := put("hello", sum("other")); status != http.StatusBadRequest || code != "XAmzContentSHA256Mismatch" {
		t.Errorf("a body of another hash than the signed one: %d %s, want 400 XAmzContentSHA256Mismatch", status, code)
	}
	if status, code := put("hello", ""); status != http.StatusBadRequest || code != "InvalidRequest" {
		t.Errorf("no X-Amz-Content-Sha256: %d %s, want 400 InvalidRequest", status, code)
	}
	if status, code := put("hello", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"); status != http.StatusNotImplemented {
		t.Errorf("signed chunks, which the fake does not verify: %d %s, want 501", status, code)
	}
}

// recordingClient records the X-Amz-Content-Sha256 of each request.
type recordingClient struct {
	next     *http.Client
	declared *[]string
}

func (c recordingClient) Do(r *http.Request) (*http.Response, error) {
	*c.declared = append(*c.declared, r.Header.Get("X-Amz-Content-Sha256"))
	return c.next.Do(r)
}

func isAuthError(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken", "AccessDenied", "AuthorizationHeaderMalformed", "InvalidRequest", "InvalidArgument":
		return true
	}
	return false
}

// do sends req and returns the status and S3 error code of the answer.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Code string }
	_ = xml.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Code
}

// TestS3VerifiesPresignedURLs: a presigned URL (query-string SigV4) is
// served as real S3 serves it: signed with the key's secret (403
// SignatureDoesNotMatch otherwise), with a session's token in its query,
// and until X-Amz-Expires has passed (403 AccessDenied).
func TestS3VerifiesPresignedURLs(t *testing.T) {
	s := userS3(t, NewPlainS3)
	s.AddSession("ASIASESSION", "session-secret", "session-token")
	ctx := context.Background()
	if err := putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", ""))); err != nil {
		t.Fatal(err)
	}
	get := func(url string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return do(t, req)
	}
	presign := func(creds aws.CredentialsProvider) string {
		t.Helper()
		p, err := s3.NewPresignClient(s3ClientOf(s, creds)).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("dir/a key+é")})
		if err != nil {
			t.Fatal(err)
		}
		return p.URL
	}
	if status, code := get(presign(static("AKIDUSER", "user-secret", ""))); status != http.StatusOK {
		t.Errorf("a URL presigned by an added user: %d %s", status, code)
	}
	session := presign(static("ASIASESSION", "session-secret", "session-token"))
	if status, code := get(session); status != http.StatusOK {
		t.Errorf("a URL presigned by a session: %d %s", status, code)
	}
	if status, code := get(presign(static("AKIDUSER", "not-the-secret", ""))); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
		t.Errorf("a URL presigned with another secret: %d %s, want 403 SignatureDoesNotMatch", status, code)
	}
	if status, code := get(strings.Replace(session, "dir/a", "dir/b", 1)); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
		t.Errorf("a presigned URL for another key: %d %s, want 403 SignatureDoesNotMatch", status, code)
	}
	i := strings.Index(session, "X-Amz-Security-Token=")
	j := strings.Index(session[i:], "&")
	if status, code := get(session[:i] + session[i+j+1:]); status != http.StatusForbidden || code != "InvalidAccessKeyId" {
		t.Errorf("a session's presigned URL without its token: %d %s, want 403 InvalidAccessKeyId", status, code)
	}
	// An expired URL: presigned two minutes ago for one minute.
	req, err := http.NewRequest(http.MethodGet, s.URL()+"/bucket/dir/a%20key%2B%C3%A9?X-Amz-Expires=60", nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret"}
	old, _, err := signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().Add(-2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if status, code := get(old); status != http.StatusForbidden || code != "AccessDenied" {
		t.Errorf("a presigned URL past its expiry: %d %s, want 403 AccessDenied", status, code)
	}
	fresh, _, err := signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if status, code := get(fresh); status != http.StatusOK {
		t.Errorf("the same URL presigned now: %d %s", status, code)
	}
}

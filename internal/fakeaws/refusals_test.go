package fakeaws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"
)

// TestS3RefusesUnsignedAmzHeaders: real S3 refuses a request that
// carries an x-amz-* header its signature does not cover (403 AccessDenied,
// "There were headers present in the request which were not signed", with
// HeadersNotSigned), in the Authorization header and in presigned URLs
// alike; x-amz-content-sha256 alone may go unsigned. The fake signed only
// the headers the request listed, so a header added after signing (an
// x-amz-meta-*, x-amz-acl, x-amz-request-payer put on by a middleware
// ordered after the signer) passed.
func TestS3RefusesUnsignedAmzHeaders(t *testing.T) {
	s := userS3(t, NewPlainS3)
	ctx := context.Background()
	creds := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret"}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	sum := sha256.Sum256([]byte("hello"))
	hash := hex.EncodeToString(sum[:])
	put := func(before, after map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPut, s.URL()+"/bucket/unsigned", strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Content-Sha256", hash)
		for k, v := range before {
			req.Header.Set(k, v)
		}
		if err := signer.SignHTTP(ctx, creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		for k, v := range after {
			req.Header.Set(k, v)
		}
		return do(t, req)
	}
	if status, code := put(map[string]string{"X-Amz-Meta-Added": "x"}, nil); status != http.StatusOK {
		t.Errorf("a signed x-amz-meta-added header: %d %s", status, code)
	}
	if status, code := put(nil, map[string]string{"X-Amz-Meta-Added": "x"}); status != http.StatusForbidden || code != "AccessDenied" {
		t.Errorf("an x-amz-meta-added header added after signing: %d %s, want 403 AccessDenied", status, code)
	}
	if status, code := put(nil, map[string]string{"X-Amzn-Trace-Id": "Root=1-0-0"}); status != http.StatusOK {
		t.Errorf("an unsigned x-amzn-trace-id (not x-amz-): %d %s", status, code)
	}

	p, err := s3.NewPresignClient(s3ClientOf(s, static("AKIDUSER", "user-secret", ""))).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("unsigned")})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, p.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Request-Payer", "requester")
	if status, code := do(t, req); status != http.StatusForbidden || code != "AccessDenied" {
		t.Errorf("a presigned GET with an unsigned x-amz-request-payer header: %d %s, want 403 AccessDenied", status, code)
	}
}

// stsCode posts an AssumeRole form signed at signedAt with creds, and
// returns the status and the error code of the answer.
func stsCode(t *testing.T, s *STS, creds aws.Credentials, signedAt time.Time) (int, string) {
	t.Helper()
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn": {"arn:aws:iam::123456789012:role/a"}, "RoleSessionName": {"skew"}}.Encode()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(form))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", STSRegion, signedAt); err != nil {
		t.Fatal(err)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code string }
	}
	_ = xml.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code
}

// TestSTSRefusesASkewedSigningTime: real STS refuses a request signed
// more than 15 minutes away from its clock with 403 SignatureDoesNotMatch
// ("Signature expired" / "not yet current"), as real S3 does with 403
// RequestTimeTooSkewed; the SDK's retryer treats both codes as clock skew
// (aws/retry clockSkewCodes). The fake S3 refuses it already (gofakes3's
// skew limit: the S3 half passes before the fix); the fake STS issued
// credentials to an AssumeRole of any X-Amz-Date, replayed a day later
// included.
func TestSTSRefusesASkewedSigningTime(t *testing.T) {
	s := userS3(t, NewPlainS3)
	ctx := context.Background()
	creds := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret"}
	get := func(signedAt time.Time) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.URL()+"/bucket/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", signedAt); err != nil {
			t.Fatal(err)
		}
		return do(t, req)
	}
	if status, code := get(time.Now().Add(-5 * time.Minute)); status != http.StatusOK {
		t.Errorf("S3, signed 5 minutes ago: %d %s", status, code)
	}
	for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute, -24 * time.Hour} {
		if status, code := get(time.Now().Add(skew)); status != http.StatusForbidden || code != "RequestTimeTooSkewed" {
			t.Errorf("S3, signed %v from now: %d %s, want 403 RequestTimeTooSkewed", skew, status, code)
		}
	}

	st := NewSTS()
	defer st.Close()
	st.AddUser("AKIDBASE", "base-secret")
	base := aws.Credentials{AccessKeyID: "AKIDBASE", SecretAccessKey: "base-secret"}
	if status, code := stsCode(t, st, base, time.Now().Add(-5*time.Minute)); status != http.StatusOK {
		t.Errorf("STS, signed 5 minutes ago: %d %s", status, code)
	}
	for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute, -24 * time.Hour} {
		if status, code := stsCode(t, st, base, time.Now().Add(skew)); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Errorf("STS, signed %v from now: %d %s, want 403 SignatureDoesNotMatch", skew, status, code)
		}
	}
}

// TestSTSRefusesASessionTokenWithALongTermKey: real STS answers a
// call signed with a long-term (IAM user's) key and an X-Amz-Security-Token
// with 403 InvalidClientTokenId: a token belongs to a temporary key. The
// fake S3 refuses it (InvalidToken); the fake STS issued credentials, so a
// base identity that leaked another session's token into its signature
// passed.
func TestSTSRefusesASessionTokenWithALongTermKey(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	s.AddUser("AKIDBASE", "base-secret")
	ctx := context.Background()
	_, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", "some-token")), "arn:aws:iam::123456789012:role/a")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Errorf("AssumeRole signed by a long-term key with a session token: got %v, want InvalidClientTokenId", err)
	}
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", "")), "arn:aws:iam::123456789012:role/a"); err != nil {
		t.Errorf("the same key without a token: %v", err)
	}
	s.AddSession("ASIAADDED", "session-secret", "session-token")
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("ASIAADDED", "session-secret", "session-token")), "arn:aws:iam::123456789012:role/a"); err != nil {
		t.Errorf("an added session with its token: %v", err)
	}
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("ASIAADDED", "session-secret", "other-token")), "arn:aws:iam::123456789012:role/a"); !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Errorf("an added session with another token: got %v, want InvalidClientTokenId", err)
	}
}

// TestSTSRefusesDurationsRealSTSRefuses: real STS answers 400
// ValidationError to a DurationSeconds below 900 or above 43200, and to one
// above 3600 when the caller is itself a role session (role chaining). The
// fake issued any duration, so keys' own checks of these limits (and a
// role chain asking for 2h) were never held against the endpoint.
func TestSTSRefusesDurationsRealSTSRefuses(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	s.AddUser("AKIDBASE", "base-secret")
	ctx := context.Background()
	base := stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", ""))
	assumeFor := func(c *sts.Client, seconds int32) (*sts.AssumeRoleOutput, error) {
		return c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/a"),
			RoleSessionName: aws.String("fake-test"), DurationSeconds: aws.Int32(seconds)})
	}
	var ae smithy.APIError
	for _, d := range []int32{60, 899, 43201} {
		if _, err := assumeFor(base, d); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
			t.Errorf("AssumeRole for %ds: got %v, want ValidationError", d, err)
		}
	}
	out, err := assumeFor(base, 7200)
	if err != nil {
		t.Fatalf("AssumeRole for 2h with a long-term key: %v", err)
	}
	chained := stsClientOf(s, credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken))
	if _, err := assumeFor(chained, 7200); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
		t.Errorf("a chained AssumeRole for 2h: got %v, want ValidationError", err)
	}
	if _, err := assumeFor(chained, 3600); err != nil {
		t.Errorf("a chained AssumeRole for 1h: %v", err)
	}
}

// TestConcurrentUse runs S3 and STS requests, the configuration
// methods and the accessors from several goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	w, err := NewWorld("bucket")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, err := w.TenantConfig(ctx, i)
			if err != nil {
				t.Error(err)
				return
			}
			cfg.HTTPClient = w.S3.srv.Client()
			c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(w.S3.URL()); o.UsePathStyle = true })
			for range 3 {
				if err := putGet(ctx, c); err != nil {
					t.Error(err)
				}
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				w.S3.AddUser("AKIDX", "x")
				w.S3.AddSession("ASIAX", "x", "t")
				w.STS.AddUser("AKIDY", "y")
				w.STS.SetBehavior(nil)
				_ = w.S3.Log()
				_ = w.STS.SigningKeys()
				_ = w.STS.CallsFor(RoleARN(j))
				_, _ = w.STS.Issued("ASIANONE")
			}
		}()
	}
	wg.Wait()
}

// TestS3RefusesAPresignedURLNotYetValid: real S3 answers a presigned
// URL whose X-Amz-Date is more than 15 minutes ahead of its clock (a
// presigning host whose clock runs ahead) with 403 AccessDenied "Request is
// not yet valid". The fake checked only the end of the URL's validity, so a
// URL dated a day ahead with X-Amz-Expires of a week was served at once
// (gofakes3's skew check reads the X-Amz-Date header, not the query).
func TestS3RefusesAPresignedURLNotYetValid(t *testing.T) {
	s := userS3(t, NewPlainS3)
	ctx := context.Background()
	if err := putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", ""))); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, s.URL()+"/bucket/dir/a%20key%2B%C3%A9?X-Amz-Expires=604800", nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret"}
	get := func(signedAt time.Time) (int, string) {
		t.Helper()
		u, _, err := signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return do(t, r)
	}
	if status, code := get(time.Now().Add(5 * time.Minute)); status != http.StatusOK {
		t.Errorf("a URL presigned 5 minutes ahead: %d %s", status, code)
	}
	if status, code := get(time.Now().Add(24 * time.Hour)); status != http.StatusForbidden || code != "AccessDenied" {
		t.Errorf("a URL presigned a day ahead: %d %s, want 403 AccessDenied", status, code)
	}
}

// TestSTSValidatesParameters: real STS answers 400 ValidationError to
// a session name outside 2-64 characters of [\w+=,.@-], a role ARN shorter
// than 20 characters, and an AssumeRoleWithWebIdentity whose token is
// shorter than 4 characters (an empty token file, say). The fake issued
// credentials to all of them: the SDK checks only that the members are
// present.
func TestSTSValidatesParameters(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	s.AddUser("AKIDBASE", "base-secret")
	ctx := context.Background()
	base := stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", ""))
	var ae smithy.APIError
	for _, tc := range []struct{ role, session string }{
		{"arn:aws:iam::123456789012:role/a", "has space"},
		{"arn:aws:iam::123456789012:role/a", "x"},
		{"arn:aws:iam::123456789012:role/a", ""},
		{"arn:aws:iam::123456789012:role/a", strings.Repeat("s", 65)},
		{"", "fake-test"},
	} {
		_, err := base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tc.role), RoleSessionName: aws.String(tc.session)})
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
			t.Errorf("AssumeRole of role %q, session %q: got %v, want ValidationError", tc.role, tc.session, err)
		}
	}
	anon := stsClientOf(s, aws.AnonymousCredentials{})
	web := func(token string) error {
		_, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/w"),
			RoleSessionName: aws.String("fake-test"), WebIdentityToken: aws.String(token)})
		return err
	}
	for _, token := range []string{"", "abc"} {
		if err := web(token); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
			t.Errorf("AssumeRoleWithWebIdentity with token %q: got %v, want ValidationError", token, err)
		}
	}
	if err := web(testJWT(time.Hour)); err != nil {
		t.Errorf("AssumeRoleWithWebIdentity with a token: %v", err)
	}
	if _, err := assume(ctx, base, "arn:aws:iam::123456789012:role/a"); err != nil {
		t.Errorf("a valid AssumeRole: %v", err)
	}
}

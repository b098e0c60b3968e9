package fakeaws

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"
)

// TestS3RefusesASignatureForAnotherRegionThanItsBucket: real S3 answers a
// request for a bucket whose SigV4 credential scope names another region
// than the bucket's with 400 AuthorizationHeaderMalformed ("the region
// 'eu-west-3' is wrong; expecting 'us-east-1'"), or, for a presigned URL,
// 400 AuthorizationQueryParametersError. The fake served any region ("the
// endpoint has none of its own"), so no test could fail for a client
// signing for another region than its key's (a keys.ClientInput.Region
// applied to the wrong client, or dropped).
func TestS3RefusesASignatureForAnotherRegionThanItsBucket(t *testing.T) {
	s := userS3(t, NewPlainS3) // "bucket" is in us-east-1
	ctx := context.Background()
	inRegion := func(region string) func(*s3.Options) { return func(o *s3.Options) { o.Region = region } }
	if err := putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", ""), inRegion("us-east-1"))); err != nil {
		t.Errorf("signed for the bucket's region: %v", err)
	}
	err := putGet(ctx, s3ClientOf(s, static("AKIDUSER", "user-secret", ""), inRegion("eu-west-3")))
	wantS3Error(t, "signed for eu-west-3, the bucket being in us-east-1", err, "AuthorizationHeaderMalformed")
	if err != nil && !strings.Contains(err.Error(), "expecting 'us-east-1'") {
		t.Errorf("the refusal does not name the bucket's region: %v", err)
	}

	p, err := s3.NewPresignClient(s3ClientOf(s, static("AKIDUSER", "user-secret", ""), inRegion("eu-west-3"))).PresignGetObject(ctx,
		&s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("dir/a key+é")})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, p.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if status, code := do(t, req); status != http.StatusBadRequest || code != "AuthorizationQueryParametersError" {
		t.Errorf("a URL presigned for eu-west-3: %d %s, want 400 AuthorizationQueryParametersError", status, code)
	}
}

// TestS3BucketsInOtherRegions: a bucket made with CreateBucketIn serves
// requests signed for its region, and refuses the others; a service-level
// request (ListBuckets), which each regional endpoint answers for its own
// region, is served for any.
func TestS3BucketsInOtherRegions(t *testing.T) {
	s := userS3(t, NewPlainS3)
	if err := s.CreateBucketIn("eu-west-3", "west"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		region string
		ok     bool
	}{{"eu-west-3", true}, {"us-east-1", false}} {
		c := s3ClientOf(s, static("AKIDUSER", "user-secret", ""), func(o *s3.Options) { o.Region = tc.region })
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("west"), Key: aws.String("k"), Body: strings.NewReader("x")})
		if tc.ok && err != nil {
			t.Errorf("a PutObject to an eu-west-3 bucket signed for %s: %v", tc.region, err)
		}
		if !tc.ok {
			wantS3Error(t, "a PutObject to an eu-west-3 bucket signed for "+tc.region, err, "AuthorizationHeaderMalformed")
		}
		if _, err := c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Errorf("ListBuckets signed for %s: %v", tc.region, err)
		}
	}
	if err := s.CreateBucketIn("", "nowhere"); err == nil {
		t.Error("CreateBucketIn with no region succeeded")
	}
}

// TestSTSAssumedRoleUserIsTheRoleSession: real STS answers AssumeRole and
// AssumeRoleWithWebIdentity with an AssumedRoleUser whose Arn is the
// session's, arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE-NAME/SESSION
// (the role's path dropped), and whose AssumedRoleId is ROLE-ID:SESSION. The
// fake answered the role's IAM ARN with the session appended
// (arn:aws:iam::ACCOUNT:role/PATH/NAME/SESSION), which no real caller sees.
func TestSTSAssumedRoleUserIsTheRoleSession(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	s.AddUser("AKIDBASE", "base-secret")
	ctx := context.Background()
	out, err := assume(ctx, stsClientOf(s, static("AKIDBASE", "base-secret", "")), "arn:aws:iam::123456789012:role/team/a/tenant-7")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/tenant-7/fake-test"; got != want {
		t.Errorf("AssumeRole's AssumedRoleUser.Arn is %s, want %s", got, want)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":fake-test") {
		t.Errorf("AssumeRole's AssumedRoleUser.AssumedRoleId is %s, want AROA...:fake-test", id)
	}
	web, err := stsClientOf(s, aws.AnonymousCredentials{}).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws-cn:iam::210987654321:role/w"), RoleSessionName: aws.String("web-test"), WebIdentityToken: aws.String(testJWT(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(web.AssumedRoleUser.Arn), "arn:aws-cn:sts::210987654321:assumed-role/w/web-test"; got != want {
		t.Errorf("AssumeRoleWithWebIdentity's AssumedRoleUser.Arn is %s, want %s", got, want)
	}
}

// testJWT returns a well-formed JWT that expires after exp from now.
func testJWT(exp time.Duration) string { return newJWT("fake-test", time.Now().Add(exp)) }

// TestSTSRefusesAWebIdentityTokenThatIsNoJWT: real STS answers an
// AssumeRoleWithWebIdentity whose token is not a JWT (three base64url
// parts, a JSON header and JSON claims) with 400 InvalidIdentityToken, and
// one whose token has expired (its exp claim past) with 400
// ExpiredTokenException. The fake issued credentials to any token of 4
// characters or more, so a web identity whose token file was read wrongly
// (a path, a token cut or padded) or read once and reused past its expiry
// passed.
func TestSTSRefusesAWebIdentityTokenThatIsNoJWT(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	ctx := context.Background()
	web := func(token string) error {
		_, err := stsClientOf(s, aws.AnonymousCredentials{}).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String("arn:aws:iam::123456789012:role/w"), RoleSessionName: aws.String("fake-test"), WebIdentityToken: aws.String(token)})
		return err
	}
	if err := web(testJWT(time.Hour)); err != nil {
		t.Errorf("a JWT: %v", err)
	}
	var ae smithy.APIError
	for _, tc := range []struct{ name, token string }{
		{"an opaque token", "oidc-token-for-tests"},
		{"two parts", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"},
		{"parts that are not JSON", "YWJj.ZGVm.Z2hp"},
		{"a path", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
	} {
		if err := web(tc.token); !errors.As(err, &ae) || ae.ErrorCode() != "InvalidIdentityToken" {
			t.Errorf("AssumeRoleWithWebIdentity with %s: got %v, want InvalidIdentityToken", tc.name, err)
		}
	}
	if err := web(testJWT(-time.Minute)); !errors.As(err, &ae) || ae.ErrorCode() != "ExpiredTokenException" {
		t.Errorf("AssumeRoleWithWebIdentity with an expired JWT: got %v, want ExpiredTokenException", err)
	}
}

// TestIMDSRequiresATokenTTL: real IMDS answers a PUT /latest/api/token
// without an X-aws-ec2-metadata-token-ttl-seconds header, or with one
// outside 1-21600, with 400 Bad Request: no session token. The fake issued
// a token to any PUT.
func TestIMDSRequiresATokenTTL(t *testing.T) {
	s := NewIMDS("role", "AKIDINSTANCE", "instance-secret", "instance-token")
	defer s.Close()
	for _, tc := range []struct {
		ttl  string
		want int
	}{{"", http.StatusBadRequest}, {"0", http.StatusBadRequest}, {"21601", http.StatusBadRequest}, {"x", http.StatusBadRequest},
		{"1", http.StatusOK}, {"21600", http.StatusOK}} {
		req, err := http.NewRequest(http.MethodPut, s.URL()+"/latest/api/token", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.ttl != "" {
			req.Header.Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", tc.ttl)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("a token PUT with TTL %q: %d, want %d", tc.ttl, resp.StatusCode, tc.want)
		}
	}
}

// TestPodIdentityRequiresTheServiceAccountToken: the EKS Pod Identity
// agent answers a credentials GET without the pod's service account token
// in its Authorization header with 400 ("Service account token cannot be
// empty"). The fake container endpoint served any GET, so the root test of
// the container provider's HTTP client (which sets
// AWS_CONTAINER_AUTHORIZATION_TOKEN) passed whether or not the token
// reached the endpoint.
func TestPodIdentityRequiresTheServiceAccountToken(t *testing.T) {
	s := NewPodIdentityCredentials("pod-token", "AKIDCONTAINER", "container-secret", "container-token")
	defer s.Close()
	for _, tc := range []struct {
		name, auth string
		want       int
	}{{"no token", "", http.StatusBadRequest}, {"another token", "other-token", http.StatusBadRequest},
		{"the token as a bearer token", "Bearer pod-token", http.StatusBadRequest}, {"the token", "pod-token", http.StatusOK}} {
		req, err := http.NewRequest(http.MethodGet, s.URL()+"/v1/credentials", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("a GET with %s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}

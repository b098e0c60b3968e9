package fakeaws

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"
)

// TestAssumeRoleRequestPrintsNoSecret: the root tests' failure messages
// print what STS received (t.Fatalf("AssumeRole request %+v",
// a.AssumeRoleRequest) and the like), and a request holds the caller's
// external ID and web identity token, which no output may hold, test
// failure messages included.
func TestAssumeRoleRequestPrintsNoSecret(t *testing.T) {
	const (
		externalID = "ext-id-secret-1"
		webToken   = "oidc-token-secret"
	)
	req := AssumeRoleRequest{Action: "AssumeRoleWithWebIdentity", RoleARN: "arn:aws:iam::123456789012:role/r",
		SessionName: "s", ExternalID: externalID, WebIdentityToken: webToken}
	a := Assumption{AssumeRoleRequest: req, AccessKeyID: "ASIAX", secret: "issued-secret"}
	for _, v := range []any{req, a, &req, &a} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range []struct{ name, value string }{{"external ID", externalID}, {"web identity token", webToken}, {"secret access key", "issued-secret"}} {
				if strings.Contains(out, s.value) {
					t.Errorf("%T under %s prints the %s", v, verb, s.name)
				}
			}
		}
	}
}

func stsClientOf(s *STS, creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{
		Region: STSRegion, Credentials: creds, HTTPClient: s.srv.Client(),
		BaseEndpoint: aws.String(s.URL()), RetryMaxAttempts: 1,
	})
}

func assume(ctx context.Context, c *sts.Client, role string) (*sts.AssumeRoleOutput, error) {
	return c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("fake-test")})
}

// TestSTSRejectsWhatRealSTSRejects (a review finding): real STS rejects an
// AssumeRole signed with a temporary access key id whose
// session token is missing or wrong (InvalidClientTokenId), one signed with
// expired temporary credentials (ExpiredToken), and an unsigned one
// (MissingAuthenticationToken). The fake issued credentials to all three, so
// a test of role chaining (webidentity_test.go checks only the signer's
// access key id) passed even if the library dropped the source session's
// token or refreshed through expired source credentials.
func TestSTSRejectsWhatRealSTSRejects(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	s.AddUser("AKIDBASE", "base-secret")
	ctx := context.Background()
	base := stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", ""))
	out, err := assume(ctx, base, "arn:aws:iam::123456789012:role/a")
	if err != nil {
		t.Fatal(err)
	}
	id := *out.Credentials.AccessKeyId
	secret := *out.Credentials.SecretAccessKey
	token := *out.Credentials.SessionToken

	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider(id, secret, "")), "arn:aws:iam::123456789012:role/b"); err == nil {
		t.Error("AssumeRole signed by an issued temporary key without its session token succeeded")
	}
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider(id, secret, "not-the-token")), "arn:aws:iam::123456789012:role/b"); err == nil {
		t.Error("AssumeRole signed by an issued temporary key with a wrong session token succeeded")
	}
	if _, err := assume(ctx, stsClientOf(s, aws.AnonymousCredentials{}), "arn:aws:iam::123456789012:role/b"); err == nil {
		t.Error("unsigned AssumeRole succeeded")
	}

	s.SetBehavior(func(AssumeRoleRequest) Behavior { return Behavior{Expired: true} })
	out, err = assume(ctx, base, "arn:aws:iam::123456789012:role/c")
	if err != nil {
		t.Fatal(err)
	}
	s.SetBehavior(nil)
	exp := stsClientOf(s, credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken))
	if _, err := assume(ctx, exp, "arn:aws:iam::123456789012:role/d"); err == nil {
		t.Error("AssumeRole signed by expired temporary credentials succeeded")
	}
	// Chaining with the right token still works.
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider(id, secret, token)), "arn:aws:iam::123456789012:role/e"); err != nil {
		t.Errorf("chained AssumeRole with the session's token: %v", err)
	}
}

// TestSTSRejectsACredentialScopeOfAnotherRegionOrService: real STS answers
// an AssumeRole whose SigV4 credential scope names a region other than the
// endpoint's (sts.amazonaws.com's is us-east-1) or a service other than sts
// with 403 SignatureDoesNotMatch ("Credential should be scoped to a valid
// region", "... to correct service: 'sts'"). The fake issued credentials to
// both, so no test could fail for an STS client signing for the wrong region
// (keys.AssumeRoleInput.STSRegion dropped, say).
func TestSTSRejectsACredentialScopeOfAnotherRegionOrService(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	s.AddUser("AKIDBASE", "base-secret")
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", "")
	for _, tc := range []struct {
		name string
		opt  func(*sts.Options)
	}{
		{"region eu-west-1", func(o *sts.Options) { o.Region = "eu-west-1" }},
		{"no region", func(o *sts.Options) { o.Region = "" }},
		{"service s3", sts.WithSigV4SigningName("s3")},
	} {
		c := sts.New(sts.Options{
			Region: STSRegion, Credentials: creds, HTTPClient: s.srv.Client(),
			BaseEndpoint: aws.String(s.URL()), RetryMaxAttempts: 1,
		}, tc.opt)
		_, err := assume(ctx, c, "arn:aws:iam::123456789012:role/a")
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
			t.Errorf("AssumeRole signed for %s: got %v, want SignatureDoesNotMatch", tc.name, err)
		}
	}
	if _, err := assume(ctx, stsClientOf(s, creds), "arn:aws:iam::123456789012:role/a"); err != nil {
		t.Errorf("AssumeRole signed for %s and sts: %v", STSRegion, err)
	}
}

// TestSTSRejectsASignatureOfAnotherSecret: real STS answers a request whose
// SigV4 signature was computed with a secret access key other than its
// access key id's with 403 SignatureDoesNotMatch. The fake read only the
// access key id (and the session token) and issued credentials to such a
// call, so a test's "signed by" proved only which key id a request named,
// not that it was signed with that key's secret.
func TestSTSRejectsASignatureOfAnotherSecret(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	s.AddUser("AKIDBASE", "base-secret")
	ctx := context.Background()
	out, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", "")), "arn:aws:iam::123456789012:role/a")
	if err != nil {
		t.Fatal(err)
	}
	id, token := *out.Credentials.AccessKeyId, *out.Credentials.SessionToken
	_, err = assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider(id, "not-the-secret", token)), "arn:aws:iam::123456789012:role/b")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("AssumeRole signed by an issued session's key and token with another secret: got %v, want SignatureDoesNotMatch", err)
	}
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider(id, *out.Credentials.SecretAccessKey, token)), "arn:aws:iam::123456789012:role/c"); err != nil {
		t.Errorf("AssumeRole signed with the session's own secret: %v", err)
	}

	s.AddUser("AKIDUSER", "user-secret")
	_, err = assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDUSER", "not-the-secret", "")), "arn:aws:iam::123456789012:role/d")
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("AssumeRole signed by an added user's key with another secret: got %v, want SignatureDoesNotMatch", err)
	}
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDUSER", "user-secret", "")), "arn:aws:iam::123456789012:role/e"); err != nil {
		t.Errorf("AssumeRole signed with the added user's secret: %v", err)
	}
}

// TestSTSRejectsAnUnknownKey: real STS answers a call signed with an access
// key id it does not know (neither an IAM user's nor one it issued) with 403
// InvalidClientTokenId. The fake issued credentials to any key it was not
// told about, so a test passed whose identity signed its AssumeRole with a
// key id nobody gave it.
func TestSTSRejectsAnUnknownKey(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	ctx := context.Background()
	_, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDNOBODY", "some-secret", "")), "arn:aws:iam::123456789012:role/a")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Errorf("AssumeRole signed with an unknown key: got %v, want InvalidClientTokenId", err)
	}
	s.AddUser("AKIDNOBODY", "some-secret")
	if _, err := assume(ctx, stsClientOf(s, credentials.NewStaticCredentialsProvider("AKIDNOBODY", "some-secret", "")), "arn:aws:iam::123456789012:role/a"); err != nil {
		t.Errorf("AssumeRole signed with the key once added: %v", err)
	}
}

// TestHoldsIssuedSecretFindsWhatItIssued: the leak check finds an issued
// secret access key and session token inside other text, and nothing in
// text that holds neither.
func TestHoldsIssuedSecretFindsWhatItIssued(t *testing.T) {
	s := NewSTS()
	t.Cleanup(s.Close)
	token := randomHex(32)
	a := Assumption{AccessKeyID: "ASIATEST", tokenDigest: sha256.Sum256([]byte(token)), secret: randomHex(20)}
	s.mu.Lock()
	s.issued[a.AccessKeyID] = a
	s.mu.Unlock()
	for _, tc := range []struct {
		what, text string
		want       bool
	}{
		{"the secret access key", "error: key=" + a.secret + " end", true},
		{"the session token", "X-Amz-Security-Token: " + token + "\\n", true},
		{"the token among other hex digits", "ff" + token + "00", true},
		{"neither", "ASIATEST " + randomHex(32) + " " + randomHex(20), false},
	} {
		if got := s.HoldsIssuedSecret(tc.text); got != tc.want {
			t.Errorf("%s: HoldsIssuedSecret = %v, want %v", tc.what, got, tc.want)
		}
	}
}

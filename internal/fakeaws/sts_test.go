package fakeaws

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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
	a := Assumption{AssumeRoleRequest: req, AccessKeyID: "ASIAX"}
	for _, v := range []any{req, a, &req, &a} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range []struct{ name, value string }{{"external ID", externalID}, {"web identity token", webToken}} {
				if strings.Contains(out, s.value) {
					t.Errorf("%T under %s prints the %s", v, verb, s.name)
				}
			}
		}
	}
}

func stsClientOf(s *STS, creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{
		Region: "us-east-1", Credentials: creds, HTTPClient: s.srv.Client(),
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

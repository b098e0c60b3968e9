package clientcache_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/keys"
)

// webIdentityTenant returns the config identity of a tenant whose
// credentials come from STS AssumeRoleWithWebIdentity with the token in
// tokenFile (as on EKS with IAM roles for service accounts).
func (w *world) webIdentityTenant(t testing.TB, tenant int, tokenFile string) keys.Config {
	t.Helper()
	creds, err := keys.WebIdentityCredentials(keys.WebIdentityInput{
		RoleARN:     roleARN(tenant),
		TokenFile:   tokenFile,
		SessionName: "clientcache-webid",
		STSRegion:   "us-east-1",
		STSEndpoint: w.sts.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w.config(t, creds)
}

func writeToken(t *testing.T, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWebIdentityTenantsAssumeTheirRolesOnce: a config whose credentials are
// a web identity is loaded once per identity, with one
// AssumeRoleWithWebIdentity call carrying the token file's token, unsigned;
// its S3 client signs with the session STS issued and carries its token.
// Two tenants with the same token file and other roles are two identities.
func TestWebIdentityTenantsAssumeTheirRolesOnce(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	oidc := fakeaws.WebIdentityToken("tests")
	token := writeToken(t, oidc)
	for tenant := range 2 {
		key := w.s3Key(t, w.webIdentityTenant(t, tenant, token))
		for range 3 {
			cl, err := clientcache.Client(ctx, c, key, s3.NewFromConfig)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(fmt.Sprintf("tenant-%d/k", tenant))}); err != nil {
				t.Fatal(err)
			}
		}
		if n := w.sts.CallsFor(roleARN(tenant)); n != 1 {
			t.Fatalf("tenant %d: %d STS calls, want 1", tenant, n)
		}
	}
	if st := c.Stats(); st.Configs.Loads != 2 || st.ClientBuilds != 2 || st.CredentialCalls != 2 {
		t.Fatalf("%d configs loaded, %d clients built, %d credential calls; want 2 of each", st.Configs.Loads, st.ClientBuilds, st.CredentialCalls)
	}
	log := w.s3.Log()
	if len(log) != 6 {
		t.Fatalf("%d S3 requests, want 6", len(log))
	}
	for _, r := range log {
		a, _ := w.tenantSessionOf(t, r)
		if a.Action != "AssumeRoleWithWebIdentity" || a.WebIdentityToken != oidc || a.SignedBy != "" || a.SessionName != "clientcache-webid" {
			// Not the token itself: a failure message holds no secret.
			t.Fatalf("STS call %s by %q with the file's token %v and session %q, want an unsigned AssumeRoleWithWebIdentity with the file's token",
				a.Action, a.SignedBy, a.WebIdentityToken == oidc, a.SessionName)
		}
	}
}

// TestRoleChainedFromAWebIdentity: a role assumed from a web identity calls
// AssumeRole signed with the session the web identity's one call fetched;
// tenants chained from one web identity share its config (and its one
// call).
func TestRoleChainedFromAWebIdentity(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	base := w.webIdentityTenant(t, 0, writeToken(t, fakeaws.WebIdentityToken("tests")))
	for tenant := 1; tenant <= 2; tenant++ {
		role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: base.Credentials(), RoleARN: roleARN(tenant),
			SessionName: "chained", STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
		if err != nil {
			t.Fatal(err)
		}
		in := base.Input()
		in.Credentials = role
		key, err := keys.NewConfig(in)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			cfg, err := c.Config(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			creds, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			a, ok := w.sts.Issued(creds.AccessKeyID)
			if !ok || a.Action != "AssumeRole" || a.RoleARN != roleARN(tenant) {
				t.Fatalf("tenant %d's credentials were issued for %+v (issued: %v)", tenant, a.AssumeRoleRequest, ok)
			}
			source, ok := w.sts.Issued(a.SignedBy)
			if !ok || source.Action != "AssumeRoleWithWebIdentity" || source.RoleARN != roleARN(0) {
				t.Fatalf("tenant %d's AssumeRole was signed by %q, not by the web identity's session (%+v)", tenant, a.SignedBy, source.AssumeRoleRequest)
			}
		}
	}
	if n := w.sts.CallsFor(roleARN(0)); n != 1 {
		t.Fatalf("%d AssumeRoleWithWebIdentity calls for two chained tenants, want 1", n)
	}
	if n := w.sts.Calls(); n != 3 {
		t.Fatalf("%d STS calls, want 3 (one web identity, one AssumeRole per tenant)", n)
	}
}

// TestWebIdentityTokenFileIsReadAtTheCall: the token file is read when the
// credentials are fetched, not when the key is made, and a missing file
// fails the load without caching the failure: the next call, after the file
// appears, loads.
func TestWebIdentityTokenFileIsReadAtTheCall(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	token := filepath.Join(t.TempDir(), "token")
	key := w.webIdentityTenant(t, 1, token)
	if _, err := c.Config(ctx, key); err == nil {
		t.Fatal("Config loaded a web identity whose token file does not exist")
	}
	if n := w.sts.Calls(); n != 0 {
		t.Fatalf("%d STS calls without a token", n)
	}
	late := fakeaws.WebIdentityToken("late")
	if err := os.WriteFile(token, []byte(late), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(ctx, key)
	if err != nil {
		t.Fatalf("Config after the token file appeared: %v", err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := w.sts.Issued(creds.AccessKeyID); !ok || a.WebIdentityToken != late {
		t.Fatalf("credentials issued for %+v, want the late token's", a.AssumeRoleRequest)
	}
}

// TestWebIdentityRefreshRereadsToken: a web identity's refresh reads its
// token file again (a rotated token), not the token the load read.
func TestWebIdentityRefreshRereadsToken(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	second := fakeaws.WebIdentityToken("second")
	tok := writeToken(t, fakeaws.WebIdentityToken("first"))
	cfg, err := c.Config(ctx, w.webIdentityTenant(t, 1, tok))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tok, []byte(second), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Credentials.(*aws.CredentialsCache).Invalidate()
	v, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := w.sts.Issued(v.AccessKeyID); a.WebIdentityToken != second {
		t.Fatal("the refreshed credentials were not issued for the rotated token") // (no token printed: a secret)
	}
}

// TestWebIdentityRefusalIsFoundByErrorsAs: STS refusing a web identity
// token answers InvalidIdentityToken, whose SDK error prints
// "InvalidIdentityToken: <message>". Redaction's rule for WebIdentityToken
// fields took that error code for a field named like a secret: it masked the
// first word of STS's message, and errors.As, which hands out no error whose
// text redaction changes, no longer found the SDK's error (smithy.APIError,
// *types.InvalidIdentityTokenException) in the load's error.
func TestWebIdentityRefusalIsFoundByErrorsAs(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	_, err := c.Config(context.Background(), w.webIdentityTenant(t, 1, writeToken(t, "not-a-jwt")))
	if err == nil {
		t.Fatal("STS took a token that is no JWT")
	}
	var invalid *ststypes.InvalidIdentityTokenException
	if !errors.As(err, &invalid) {
		t.Errorf("errors.As finds no *types.InvalidIdentityTokenException in the load's error: %v", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidIdentityToken" {
		t.Errorf("errors.As finds no smithy.APIError InvalidIdentityToken in the load's error: %v", err)
	}
	if !strings.Contains(err.Error(), "InvalidIdentityToken: The web identity token that was passed") {
		t.Errorf("the load's error does not print STS's message as STS sent it: %v", err)
	}
}

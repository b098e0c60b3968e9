package clientcache_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/keys"
)

const (
	leakSecret = "LEAKSECRETwJalrXUtnFEMIK7MDENGbPxRfiCY"
	leakToken  = "LEAKTOKENFwoGZXIvYXdzEJrFIELDSxyz"
)

// leakPrints is every way a caller prints an error.
func leakPrints(err error) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out[verb] = fmt.Sprintf(verb, err)
	}
	var lpe *concurrent.LoaderPanicError
	if errors.As(err, &lpe) {
		out["LoaderPanicError %#v"] = fmt.Sprintf("%#v", lpe)
		out["Value %v"] = fmt.Sprintf("%v", lpe.Value)
		out["Stack"] = string(lpe.Stack)
	}
	return out
}

func assertNoLeak(t *testing.T, what string, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	for how, s := range leakPrints(err) {
		for n, secret := range secrets {
			if secret == "" {
				continue // none (static credentials without a session token)
			}
			if i := strings.Index(s, secret); i >= 0 {
				// Which secret by its position only: a failure message
				// must not print it, not even in part.
				t.Errorf("%s: %s of its error (%d bytes) holds secret #%d (of the %d checked) at byte %d", what, how, len(s), n+1, len(secrets), i)
			}
		}
	}
}

func leakStaticKey(t *testing.T, w *world) keys.Client {
	t.Helper()
	w.s3.AddSession("AKIDLEAK", leakSecret, leakToken)
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDLEAK", SecretAccessKey: keys.NewSecret(leakSecret), SessionToken: keys.NewSecret(leakToken)})
	if err != nil {
		t.Fatal(err)
	}
	return w.s3Key(t, w.config(t, static))
}

// TestNoLeakDerivedPanicWithCredentials: a Derived build that panics
// with the credentials it retrieved (or anything printing them): the
// *LoaderPanicError is handed out as it is, its text the value's %v.
func TestNoLeakDerivedPanicWithCredentials(t *testing.T) {
	w := newWorld(t)
	key := leakStaticKey(t, w)
	c := newClientCache(t, clientcache.Options{})
	_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "creds-panic", func(cl *s3.Client) (*s3.PresignClient, error) {
		creds, err := cl.Options().Credentials.Retrieve(context.Background())
		if err != nil {
			return nil, err
		}
		panic(creds)
	})
	assertNoLeak(t, "Derived with a build panicking with aws.Credentials", err, leakSecret, leakToken)
}

// TestNoLeakClientConstructorPanic: the same for a client constructor,
// panicking with a message that names the secret (as a wrapper checking
// credentials might: "bad credentials %+v").
func TestNoLeakClientConstructorPanic(t *testing.T) {
	w := newWorld(t)
	key := leakStaticKey(t, w)
	c := newClientCache(t, clientcache.Options{})
	_, err := clientcache.Client(context.Background(), c, key, func(cfg aws.Config, o ...func(*s3.Options)) *s3.Client {
		creds, _ := cfg.Credentials.Retrieve(context.Background())
		panic(fmt.Sprintf("refusing credentials %+v", creds))
	})
	assertNoLeak(t, "Client with a constructor panicking with its credentials", err, leakSecret, leakToken)
}

// TestNoLeakAssumedRolePanic: with an assumed role, the credentials a
// build panics with are STS's (a session's secret and token).
func TestNoLeakAssumedRolePanic(t *testing.T) {
	w := newWorld(t)
	key := w.s3Key(t, w.tenant(t, 7))
	c := newClientCache(t, clientcache.Options{})
	var got aws.Credentials
	_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "creds-panic", func(cl *s3.Client) (*s3.PresignClient, error) {
		creds, err := cl.Options().Credentials.Retrieve(context.Background())
		if err != nil {
			return nil, err
		}
		got = creds
		panic(creds)
	})
	if got.SecretAccessKey == "" {
		t.Fatalf("no credentials: %v", err)
	}
	assertNoLeak(t, "Derived (assumed role) with a build panicking with aws.Credentials", err, got.SecretAccessKey, got.SessionToken)
}

// TestNoLeakDerivedPanicWithSDKError: the must-style build that
// panics with the SDK's error where returning it is redacted: a profile
// whose credential_process output does not parse (the SDK's error quotes
// the output, secrets included).
func TestNoLeakDerivedPanicWithSDKError(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "creds.sh")
	out := `{"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":"` + leakSecret + `","SessionToken":"` + leakToken + `","Expiration":"soon"}`
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[profile p]\ncredential_process = "+script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prof, err := keys.ProfileCredentials("p")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: w.ca,
		SharedConfigFiles: []string{cfgFile}, SharedCredentialsFiles: []string{}, Credentials: prof})
	if err != nil {
		t.Fatal(err)
	}
	key := w.s3Key(t, cfg)
	c := newClientCache(t, clientcache.Options{})
	build := func(must bool) func(cl *s3.Client) (*s3.PresignClient, error) {
		return func(cl *s3.Client) (*s3.PresignClient, error) {
			_, err := cl.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("bucket")})
			if err != nil && must {
				panic(err)
			}
			return s3.NewPresignClient(cl), err
		}
	}
	_, err = clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "returns", build(false))
	assertNoLeak(t, "Derived with a build returning the SDK's error", err, leakSecret, leakToken)
	_, err = clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "must", build(true))
	assertNoLeak(t, "Derived with a build panicking with the SDK's error", err, leakSecret, leakToken)
}

// TestNoLeakConfigLoadPanic: named load options' API middleware runs in
// the cache's own STS client during the load; one that panics with the
// signed request (its X-Amz-Security-Token header: the source's session
// token; its body: the external ID) fails the load with a
// *LoaderPanicError that configEntry handed out as it was.
func TestNoLeakConfigLoadPanic(t *testing.T) {
	const extID = "LEAKEXTERNALID-1234567"
	w := newWorld(t)
	w.sts.AddSession("AKIDLEAKSRC", leakSecret, leakToken)
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDLEAKSRC", SecretAccessKey: keys.NewSecret(leakSecret), SessionToken: keys.NewSecret(leakToken)})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: static, RoleARN: roleARN(3), SessionName: "leak",
		ExternalID: keys.NewSecret(extID), STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: w.ca, Credentials: role, Name: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	audit := func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("audit", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			req := in.Request.(*smithyhttp.Request)
			body, _ := io.ReadAll(req.GetStream())
			panic(fmt.Sprintf("audit refused %s headers %v body %s", req.URL, req.Header, body))
		}), middleware.After)
	}
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"audit": {config.WithAPIOptions([]func(*middleware.Stack) error{audit})},
	}})
	_, err = c.Config(context.Background(), key)
	assertNoLeak(t, "Config with named options whose middleware panics", err, leakSecret, leakToken, extID)
}

// TestNoLeakDerivedErrorWithSTSCredentials: a Derived build's error is
// redacted with the secrets of the key's chain, but an assumed role's
// credentials are STS's: an error (or a panic's text) that prints them
// unnamed (%v of aws.Credentials) is handed out as it is.
func TestNoLeakDerivedErrorWithSTSCredentials(t *testing.T) {
	w := newWorld(t)
	key := w.s3Key(t, w.tenant(t, 8))
	c := newClientCache(t, clientcache.Options{})
	assertDerivedPrintingCredentialsLeaksNothing(t, c, key, "assumed role")
}

// assertDerivedPrintingCredentialsLeaksNothing fails t if a Derived build
// of key that returns an error printing its client's credentials unnamed
// (%v of aws.Credentials), or panics with such a text, hands them out;
// what names the key's credentials in the failure. It returns the
// credentials the build saw.
func assertDerivedPrintingCredentialsLeaksNothing(t *testing.T, c *clientcache.Cache, key keys.Client, what string) (got aws.Credentials) {
	t.Helper()
	build := func(panics bool) func(cl *s3.Client) (*s3.PresignClient, error) {
		return func(cl *s3.Client) (*s3.PresignClient, error) {
			creds, err := cl.Options().Credentials.Retrieve(context.Background())
			if err != nil {
				return nil, err
			}
			got = creds
			if panics {
				panic(fmt.Sprint("refusing ", creds))
			}
			return nil, fmt.Errorf("refusing %v", creds)
		}
	}
	_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "creds-error", build(false))
	if got.SecretAccessKey == "" {
		t.Fatalf("no credentials: %v", err)
	}
	assertNoLeak(t, "Derived ("+what+") with a build returning an error printing its credentials", err, got.SecretAccessKey, got.SessionToken)
	_, err = clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "creds-panic-text", build(true))
	assertNoLeak(t, "Derived ("+what+") with a build panicking with a text printing its credentials", err, got.SecretAccessKey, got.SessionToken)
	return got
}

// TestNoLeakProfileCredentials: a profile's credentials are the SDK's (a
// role_arn the SDK assumes itself, or static keys in the shared config
// file), so they never passed through the provider that records what the
// cache's own providers hand out: a Derived build's error, or a panic's
// text, that printed them unnamed (%v of aws.Credentials) was handed out as
// it was, while an assumed role of the cache's is redacted
// (TestNoLeakDerivedErrorWithSTSCredentials).
func TestNoLeakProfileCredentials(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, false)
	for _, profile := range []string{"tenant", "base"} {
		t.Run(profile, func(t *testing.T) {
			creds, err := keys.ProfileCredentials(profile)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: stssrv.CABundle(),
				SharedConfigFiles: []string{cfgFile}, SharedCredentialsFiles: []string{}, Credentials: creds})
			if err != nil {
				t.Fatal(err)
			}
			key, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3"})
			if err != nil {
				t.Fatal(err)
			}
			c := newClientCache(t, clientcache.Options{})
			got := assertDerivedPrintingCredentialsLeaksNothing(t, c, key, "profile "+profile)
			// A client constructor's panic (another client identity of the
			// same config, so that it is built anew).
			key2, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3", Region: "us-west-2"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = clientcache.Client(context.Background(), c, key2, func(cfg aws.Config, o ...func(*s3.Options)) *s3.Client {
				creds, _ := cfg.Credentials.Retrieve(context.Background())
				panic(fmt.Sprint("refusing ", creds))
			})
			assertNoLeak(t, "Client (profile "+profile+") with a constructor panicking with a text printing its credentials", err, got.SecretAccessKey, got.SessionToken)
		})
	}
}

// auditLoad returns a cache whose named load options "audit" add API
// middleware to the cache's own STS client that fails the call (panics, or
// returns an error) quoting what it audits: the request's body, or the
// response's (after STS answered), as an audit that refuses a call might.
// got receives the response bodies it read.
func auditLoad(t *testing.T, response, panics bool, got *[]string) *clientcache.Cache {
	t.Helper()
	audit := func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("audit", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			var msg string
			if response {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					return out, md, err
				}
				body, _ := io.ReadAll(out.RawResponse.(*smithyhttp.Response).Body)
				*got = append(*got, string(body))
				msg = fmt.Sprintf("audit refused the response %s", body)
			} else {
				body, _ := io.ReadAll(in.Request.(*smithyhttp.Request).GetStream())
				msg = fmt.Sprintf("audit refused the request %s", body)
			}
			if panics {
				panic(msg)
			}
			return middleware.DeserializeOutput{}, middleware.Metadata{}, errors.New(msg)
		}), middleware.After)
	}
	return newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"audit": {config.WithAPIOptions([]func(*middleware.Stack) error{audit})},
	}})
}

// TestNoLeakConfigLoadAuditOfSTSResponse: as TestNoLeakConfigLoadPanic,
// with middleware that quotes STS's response: the XML body holds the
// credentials STS issued (<SecretAccessKey>, <SessionToken>), which the
// load's fetch failed before recording, and which redaction's fields rule
// did not know in XML's form.
func TestNoLeakConfigLoadAuditOfSTSResponse(t *testing.T) {
	w := newWorld(t)
	role := w.tenant(t, 9).Credentials()
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: w.ca, Credentials: role, Name: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	element := regexp.MustCompile(`<(SecretAccessKey|SessionToken)>([^<]+)<`)
	for _, panics := range []bool{false, true} {
		var bodies []string
		c := auditLoad(t, true, panics, &bodies)
		_, err := c.Config(context.Background(), key)
		var secrets []string
		for _, b := range bodies {
			for _, m := range element.FindAllStringSubmatch(b, -1) {
				secrets = append(secrets, m[2])
			}
		}
		if len(secrets) == 0 {
			t.Fatalf("the audit read no credentials in STS's response (%d bodies); the load: %v", len(bodies), err)
		}
		assertNoLeak(t, fmt.Sprintf("Config with named options whose middleware quotes STS's response (panics: %v)", panics), err, secrets...)
	}
}

// auditedWebIdentity returns the key of a web identity whose token file
// holds token, assuming its role from a new world's STS, with the load
// options named "audit" (see auditLoad) and one attempt per call.
func auditedWebIdentity(t *testing.T, token string) keys.Config {
	t.Helper()
	w := newWorld(t)
	creds, err := keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleARN(4), TokenFile: writeToken(t, token),
		SessionName: "leak", STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: w.ca, Credentials: creds, Name: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestNoLeakConfigLoadAuditOfWebIdentityRequest: as TestNoLeakConfigLoadPanic,
// for a web identity: the AssumeRoleWithWebIdentity request's body holds
// the token (WebIdentityToken=...), which is no secret of the key's (it
// holds the file's path) and whose field name the fields rule did not know.
func TestNoLeakConfigLoadAuditOfWebIdentityRequest(t *testing.T) {
	const token = "LEAKWEBIDTOKENeyJhbGciOiJSUzI1NiJ9.payload.sig"
	key := auditedWebIdentity(t, token)
	for _, panics := range []bool{false, true} {
		c := auditLoad(t, false, panics, nil)
		_, err := c.Config(context.Background(), key)
		assertNoLeak(t, fmt.Sprintf("Config (web identity) with named options whose middleware quotes the request (panics: %v)", panics), err, token)
	}
}

// TestProfileCredentialsInvalidateFetchesAnew: a profile's credentials
// are recorded for redaction (TestNoLeakProfileCredentials) behind a cache
// of the cache's around the SDK's: Config's credentials are still an
// aws.CredentialsCache, and its Invalidate still makes the next use fetch
// anew (an AssumeRole call for a profile's role_arn), not hand out the
// SDK's cached ones.
func TestProfileCredentialsInvalidateFetchesAnew(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, false)
	creds, err := keys.ProfileCredentials("tenant")
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: stssrv.CABundle(),
		SharedConfigFiles: []string{cfgFile}, SharedCredentialsFiles: []string{}, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{})
	cfg := retrieve(t, c, key, "")
	cache, ok := cfg.Credentials.(*aws.CredentialsCache)
	if !ok {
		t.Fatalf("Config's credentials are a %T, want an aws.CredentialsCache", cfg.Credentials)
	}
	first, err := cache.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := stssrv.CallsFor(fakeaws.RoleARN(1)); n != 1 {
		t.Fatalf("%d AssumeRole calls, want 1", n)
	}
	cache.Invalidate()
	again, err := cache.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := stssrv.CallsFor(fakeaws.RoleARN(1)); n != 2 || again.AccessKeyID == first.AccessKeyID {
		t.Fatalf("after Invalidate: %d AssumeRole calls (want 2), the same access key %v (want a new one)", n, again.AccessKeyID == first.AccessKeyID)
	}
}

// TestNoLeakChainedRoleLoadOfItsSourceSessionToken: a role assumed from
// another assumed role signs its AssumeRole call with the source's
// credentials, which STS issued: they are no secret of the key's chain
// (which holds the base's static keys and the external IDs), and the
// config load's error was redacted of the chain's secrets only, not of
// what the source's provider handed out. Middleware of named load options
// that refuses the call quoting the request's session token header (as a
// Derived build's error printing its client's credentials does, see
// TestNoLeakDerivedErrorWithSTSCredentials) handed the source's session
// token out, in the text and in a JSON dump of the headers.
func TestNoLeakChainedRoleLoadOfItsSourceSessionToken(t *testing.T) {
	w := newWorld(t)
	source := w.tenant(t, 11)
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: source.Credentials(), RoleARN: roleARN(12),
		SessionName: "chained", STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	in := source.Input()
	in.Credentials, in.Labels, in.Name = role, nil, "audit"
	key, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Credentials = source.Credentials()
	sourceKey, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	type refuseKey struct{}
	// Refuses the chained role's AssumeRole only (the source's goes
	// through), after signing, quoting its session token header.
	audit := func(stack *middleware.Stack) error {
		if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("audit-pick", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if a, ok := in.Parameters.(*sts.AssumeRoleInput); ok && aws.ToString(a.RoleArn) == roleARN(12) {
				ctx = context.WithValue(ctx, refuseKey{}, true)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before); err != nil {
			return err
		}
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("audit", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if ctx.Value(refuseKey{}) == nil {
				return next.HandleFinalize(ctx, in)
			}
			h := in.Request.(*smithyhttp.Request).Header
			dump, _ := json.Marshal(h)
			return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("audit refused the session %s (headers %s)", h.Get("X-Amz-Security-Token"), dump)
		}), middleware.After)
	}
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"audit": {config.WithAPIOptions([]func(*middleware.Stack) error{audit})},
	}})
	cfg, err := c.Config(context.Background(), sourceKey)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.SessionToken == "" {
		t.Fatalf("the source's credentials: no session token (%v)", err)
	}
	_, err = c.Config(context.Background(), key)
	if err == nil || !strings.Contains(err.Error(), "audit refused") {
		t.Fatalf("the chained role's load was not refused by the audit (error: %v)", err != nil)
	}
	assertNoLeak(t, "Config of a role chained from an assumed role, refused quoting its source's session token", err, creds.SecretAccessKey, creds.SessionToken)
}

// TestNoLeakWebIdentityTokenPrintedUnnamed: the token of a web identity is
// read from its file by the SDK's provider, so redaction knew it only as
// the value of a field named like it (WebIdentityToken=..., see
// TestNoLeakConfigLoadAuditOfWebIdentityRequest): middleware of named load
// options that refuses the AssumeRoleWithWebIdentity call quoting the
// token's value alone handed it out in the load's error.
func TestNoLeakWebIdentityTokenPrintedUnnamed(t *testing.T) {
	const token = "LEAKUNNAMEDeyJhbGciOiJSUzI1NiJ9.payload.sig"
	key := auditedWebIdentity(t, token)
	audit := func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("audit", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			body, _ := io.ReadAll(in.Request.(*smithyhttp.Request).GetStream())
			form, _ := url.ParseQuery(string(body))
			return middleware.DeserializeOutput{}, middleware.Metadata{}, fmt.Errorf("audit refused the identity %s", form.Get("WebIdentityToken"))
		}), middleware.After)
	}
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"audit": {config.WithAPIOptions([]func(*middleware.Stack) error{audit})},
	}})
	_, err := c.Config(context.Background(), key)
	if err == nil || !strings.Contains(err.Error(), "audit refused") {
		t.Fatalf("the web identity's load was not refused by the audit (error: %v)", err != nil)
	}
	assertNoLeak(t, "Config (web identity) with named options whose middleware quotes the token unnamed", err, token)
}

// TestNoLeakQuotedSecretWithCharactersToEscape: a static secret access key
// or session token may hold any printable ASCII but space, " and \
// included, which Go's %q and JSON print escaped: redaction looked for the
// secret as it is only, and an error quoting it (fmt.Errorf("... %q", s),
// the usual way to quote a value in an error) handed it out escaped, a
// form anyone reads back.
func TestNoLeakQuotedSecretWithCharactersToEscape(t *testing.T) {
	const (
		secret = `LEAKQ"wJalrXUtn\FEMI/K7MDENG<bPxRfiCY`
		token  = `LEAKQTOKEN\"FwoGZXIvYXdzEJr&FIELDS`
	)
	w := newWorld(t)
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDQUOTED", SecretAccessKey: keys.NewSecret(secret), SessionToken: keys.NewSecret(token)})
	if err != nil {
		t.Fatal(err)
	}
	key := w.s3Key(t, w.config(t, static))
	c := newClientCache(t, clientcache.Options{})
	quoted := func(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] }
	jsonQuoted := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	for i, build := range []func(*s3.Client) (*s3.PresignClient, error){
		func(cl *s3.Client) (*s3.PresignClient, error) {
			creds, err := cl.Options().Credentials.Retrieve(context.Background())
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("refusing key %q with token %q", creds.SecretAccessKey, creds.SessionToken)
		},
		func(cl *s3.Client) (*s3.PresignClient, error) {
			creds, err := cl.Options().Credentials.Retrieve(context.Background())
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(map[string]string{"key": creds.SecretAccessKey, "tok": creds.SessionToken})
			return nil, fmt.Errorf("refusing %s", b)
		},
	} {
		_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, fmt.Sprint("quoted-", i), build)
		assertNoLeak(t, fmt.Sprintf("Derived build %d quoting its credentials", i), err,
			secret, token, quoted(secret), quoted(token), jsonQuoted(secret), jsonQuoted(token))
	}
}

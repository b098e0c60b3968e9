package clientcache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/concurrent"
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
	var got aws.Credentials
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
	assertNoLeak(t, "Derived (assumed role) with a build returning an error printing its credentials", err, got.SecretAccessKey, got.SessionToken)
	_, err = clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "creds-panic-text", build(true))
	assertNoLeak(t, "Derived (assumed role) with a build panicking with a text printing its credentials", err, got.SecretAccessKey, got.SessionToken)
}

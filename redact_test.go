package clientcache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/keys"
)

// TestConfigErrorRedactsCredentialProcessOutput loads an assumed role whose
// source profile runs a credential_process printing credentials the SDK
// cannot parse (a bad Expiration): the SDK's error quotes the process's
// whole output, secret access key and session token included, and the
// cache's error once carried it as it was. The error must name the failure
// without the secrets and still wrap the SDK's.
func TestConfigErrorRedactsCredentialProcessOutput(t *testing.T) {
	const (
		processSecret = "PROCSECRETwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
		processToken  = "PROCTOKENFwoGZXIvYXdzEJr"
	)
	dir := t.TempDir()
	script := filepath.Join(dir, "creds.sh")
	out := `{"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":"` + processSecret + `","SessionToken":"` + processToken + `","Expiration":"soon"}`
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[profile src]\ncredential_process = "+script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sts := fakeaws.NewSTS()
	defer sts.Close()
	src, err := keys.ProfileCredentials("src")
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source: src, RoleARN: roleARN(1), SessionName: "redact",
		ExternalID: keys.NewSecret(externalIDOf + "redact"),
		STSRegion:  "us-east-1", STSEndpoint: sts.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{
		Region: "us-east-1", RetryMaxAttempts: 1, CABundle: sts.CABundle(),
		SharedConfigFiles: []string{cfgFile}, SharedCredentialsFiles: []string{},
		Credentials: role,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{})
	_, err = c.Config(context.Background(), key)
	if err == nil {
		t.Fatal("Config succeeded with a credential process whose output does not parse")
	}
	msg := err.Error()
	leaked := false
	for _, s := range []struct{ name, value string }{{"the process's secret access key", processSecret}, {"the process's session token", processToken}} {
		if i := strings.Index(msg, s.value); i >= 0 {
			t.Errorf("Config's error of %d bytes holds %s at byte %d", len(msg), s.name, i)
			leaked = true
		}
	}
	assertNoSecret(t, msg)
	if !strings.Contains(msg, "process output: ***") || !strings.Contains(msg, "AssumeRole") {
		if leaked {
			msg = "(not printed: it holds a secret)"
		}
		t.Errorf("Config's error no longer says what failed: %s", msg)
	}
	// The SDK's *processcreds.ProviderError quotes the output: errors.As
	// must not hand it out, as whoever asks for it prints it (it did).
	var pe *processcreds.ProviderError
	if errors.As(err, &pe) || pe != nil {
		t.Errorf("errors.As hands out the SDK's *processcreds.ProviderError, whose text quotes the process's output")
	}
	// Error reporters walk the chain with errors.Unwrap and print each
	// link's text: every link the walk reaches is redacted.
	depth := 0
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range []struct{ name, value string }{{"the process's secret access key", processSecret}, {"the process's session token", processToken}} {
			if i := strings.Index(e.Error(), s.value); i >= 0 {
				t.Errorf("link %d (%T) of Config's error chain, reached by errors.Unwrap, holds %s at byte %d of its text", depth, e, s.name, i)
			}
		}
		depth++
	}
}

// TestConfigErrorHoldsNoSecretInItsFields: a load error whose text holds no
// secret came back as it was, and a dump that follows its fields by
// reflection (as spew, kr/pretty and litter do, unexported fields
// included) reached the source identity's session token and secret access
// key: the SDK's response error holds the request it sent, its signed
// headers and its context. Every load error is now a redacted one, which
// holds the SDK's behind a function, where such dumps stop (a review
// finding).
func TestConfigErrorHoldsNoSecretInItsFields(t *testing.T) {
	const (
		srcSecret = "SRCSECRETwJalrXUtnFEMIK7MDENGbPxRfiCY"
		srcToken  = "SRCTOKENFwoGZXIvYXdzEJrFIELDS"
	)
	sts := fakeaws.NewSTS()
	defer sts.Close()
	sts.AddSession("AKIDFIELDS", srcSecret, srcToken)
	sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Fail: "AccessDenied"} })
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDFIELDS", SecretAccessKey: keys.NewSecret(srcSecret), SessionToken: keys.NewSecret(srcToken)})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: static, RoleARN: roleARN(1), SessionName: "fields",
		STSRegion: "us-east-1", STSEndpoint: sts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: sts.CABundle(), Credentials: role})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{})
	_, err = c.Config(context.Background(), key)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Config against an STS that denies: %v, want its AccessDenied", err)
	}
	for _, s := range []struct{ name, value string }{{"the source's secret access key", srcSecret}, {"the source's session token", srcToken}} {
		if paths := reachableStrings(reflect.ValueOf(&err).Elem(), s.value); len(paths) > 0 {
			t.Errorf("%s is reachable by reflection from Config's error, at %d places, such as %s", s.name, len(paths), paths[0])
		}
	}
}

// TestDerivedErrorHoldsNoSecret: an error of a Derived build is handed out
// redacted, as a load's is. A build that calls the service (a check that its
// bucket exists) fails with the SDK's response error, which holds the
// request, and so its signed headers (X-Amz-Security-Token: the identity's
// session token) and its context; build errors used to be handed out as
// they were.
func TestDerivedErrorHoldsNoSecret(t *testing.T) {
	const (
		secret = "DERIVEDSECRETwJalrXUtnFEMIK7MDENGbP"
		token  = "DERIVEDTOKENFwoGZXIvYXdzEJrFIELDS"
	)
	w := newWorld(t)
	w.s3.AddSession("AKIDDERIVED", secret, token)
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDDERIVED", SecretAccessKey: keys.NewSecret(secret), SessionToken: keys.NewSecret(token)})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: w.ca, Credentials: static,
		RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{})
	checked := func(cl *s3.Client) (*s3.PresignClient, error) {
		_, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("missing")})
		return s3.NewPresignClient(cl), err
	}
	_, err = clientcache.Derived(context.Background(), c, w.s3Key(t, cfg), s3.NewFromConfig, "checked", checked)
	var missing *s3types.NoSuchKey
	if !errors.As(err, &missing) {
		t.Fatalf("Derived with a build that fails: %v, want the SDK's NoSuchKey through errors.As", err)
	}
	for _, s := range []struct{ name, value string }{{"the secret access key", secret}, {"the session token", token}} {
		if strings.Contains(err.Error(), s.value) {
			t.Errorf("Derived's error text holds %s", s.name)
		}
		if paths := reachableStrings(reflect.ValueOf(&err).Elem(), s.value); len(paths) > 0 {
			t.Errorf("%s is reachable by reflection from Derived's error, at %d places, such as %s", s.name, len(paths), paths[0])
		}
	}
}

// reachableStrings returns the paths, from v, of the strings and byte
// slices holding needle that a dump following every field (unexported ones
// included) and pointer reaches; it does not call functions.
func reachableStrings(v reflect.Value, needle string) []string {
	var out []string
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value, path string, depth int)
	walk = func(v reflect.Value, path string, depth int) {
		if depth > 50 || !v.IsValid() {
			return
		}
		switch v.Kind() {
		case reflect.String:
			if strings.Contains(v.String(), needle) {
				out = append(out, path)
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
				if strings.Contains(string(v.Bytes()), needle) {
					out = append(out, path)
				}
				return
			}
			for i := range min(v.Len(), 1000) {
				walk(v.Index(i), path+"[]", depth+1)
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Key(), path+"{key}", depth+1)
				walk(it.Value(), path+"{}", depth+1)
			}
		case reflect.Pointer:
			if !v.IsNil() && !seen[v.Pointer()] {
				seen[v.Pointer()] = true
				walk(v.Elem(), path, depth+1)
			}
		case reflect.Interface:
			walk(v.Elem(), path, depth+1)
		case reflect.Struct:
			if !v.CanAddr() {
				c := reflect.New(v.Type()).Elem()
				c.Set(v)
				v = c
			}
			for i := range v.NumField() {
				f := v.Field(i)
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
				walk(f, path+"."+v.Type().Field(i).Name, depth+1)
			}
		}
	}
	walk(v, "err", 0)
	return out
}

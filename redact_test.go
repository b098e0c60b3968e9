package clientcache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"

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
	var pe *processcreds.ProviderError
	if !errors.As(err, &pe) {
		t.Errorf("Config's error does not wrap the SDK's *processcreds.ProviderError: %T", err)
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

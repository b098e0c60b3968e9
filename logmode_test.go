package clientcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/keys"
)

// sdkLog is a logger for the SDK (config.WithLogger) that keeps what it is
// given; the SDK's clients may log from several goroutines.
type sdkLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *sdkLog) Logf(_ logging.Classification, format string, v ...interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", v...)
}

// assertHoldsNone fails the test if the log holds any of the secrets' markers
// (printing the log's length, never the log).
func (l *sdkLog) assertHoldsNone(t *testing.T, markers ...string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range markers {
		if strings.Contains(l.b.String(), s) {
			t.Errorf("the SDK's log (%d bytes) holds %s", l.b.Len(), s)
		}
	}
}

// TestNamedLogModesThatPrintSecretsAreRefused: named options may set the
// SDK's logger and log mode, which the cache's own STS client inherits
// from the config: with response bodies logged, the AssumeRole answer (the
// session's secret access key and token) went to the caller's logger, and
// with request headers every request's X-Amz-Security-Token. Such modes
// fail the load with ErrInvalid naming the options; others load.
func TestNamedLogModesThatPrintSecretsAreRefused(t *testing.T) {
	w := newWorld(t)
	logged := &sdkLog{}
	modes := map[string]aws.ClientLogMode{
		"signing":       aws.LogSigning,
		"request":       aws.LogRequest,
		"request-body":  aws.LogRequestWithBody,
		"response-body": aws.LogResponseWithBody,
		"retries":       aws.LogRetries | aws.LogResponse, // no secret: loads
	}
	named := map[string][]func(*config.LoadOptions) error{}
	for name, mode := range modes {
		named[name] = []func(*config.LoadOptions) error{config.WithLogger(logged), config.WithClientLogMode(mode)}
	}
	c := newClientCache(t, clientcache.Options{LoadOptions: named})
	for name := range modes {
		in := w.tenant(t, 1).Input()
		in.Name = name
		key, err := keys.NewConfig(in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Config(context.Background(), key)
		if name == "retries" {
			if err != nil {
				t.Fatalf("named options with ClientLogMode %v: %v", modes[name], err)
			}
			continue
		}
		if want := fmt.Sprintf("Options.LoadOptions[%q]", name); !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Fatalf("named options with ClientLogMode %v: %v; want ErrInvalid naming %s", modes[name], err, want)
		}
	}
	if n := w.sts.Calls(); n != 1 {
		t.Fatalf("%d AssumeRole calls, want 1 (the options that log no secret)", n)
	}
	logged.assertHoldsNone(t, "SessionToken", "SecretAccessKey", "X-Amz-Security-Token", externalIDOf)
}

// TestNamedLogModeOfTheCredentialsLoadIsRefused: named options run a second
// time in the load that resolves profile (or default chain) credentials, and
// the SDK's credential clients (here the STS client of the profile's
// role_arn) take that load's ClientLogMode. Options that set a secret log
// mode only there (here: for the credentials' profile, not the config's)
// passed the first load's check, and the AssumeRole answer (secret access
// key, session token) went to the caller's logger.
func TestNamedLogModeOfTheCredentialsLoadIsRefused(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, false)
	logged := &sdkLog{}
	// Debug logging for one profile: a plausible option, run in both loads.
	debugTenant := func(o *config.LoadOptions) error {
		if o.SharedConfigProfile == "tenant" {
			m := aws.LogRequest | aws.LogResponseWithBody
			o.ClientLogMode = &m
		}
		return nil
	}
	creds, err := keys.ProfileCredentials("tenant")
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Name: "debug", Region: "us-east-1", SharedConfigFiles: []string{cfgFile},
		Credentials: creds, CABundle: stssrv.CABundle()})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"debug": {config.WithLogger(logged), debugTenant},
	}})
	cfg, err := c.Config(context.Background(), key)
	if err == nil {
		// The profile's role is assumed at the first use of the credentials.
		if _, rerr := cfg.Credentials.Retrieve(context.Background()); rerr != nil {
			t.Fatal(rerr)
		}
	}
	logged.assertHoldsNone(t, "SessionToken", "SecretAccessKey")
	if want := `Options.LoadOptions["debug"]`; !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Config: %v; want ErrInvalid naming %s", err, want)
	}
}

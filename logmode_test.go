package clientcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/keys"
)

// TestNamedLogModeOfTheCredentialsLoadIsRefused: named options run a second
// time in the load that resolves profile (or default chain) credentials, and
// the SDK's credential clients (here the STS client of the profile's
// role_arn) take that load's ClientLogMode. Options that set a secret log
// mode only there (here: for the credentials' profile, not the config's)
// passed the first load's check, and the AssumeRole answer (secret access
// key, session token) went to the caller's logger.
func TestNamedLogModeOfTheCredentialsLoadIsRefused(t *testing.T) {
	stssrv := fakeaws.NewSTS()
	t.Cleanup(stssrv.Close)
	cfgFile := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfgFile, []byte("[profile tenant]\nregion = us-east-1\nrole_arn = "+fakeaws.RoleARN(1)+
		"\nsource_profile = base\n[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = "+baseSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL_STS", stssrv.URL())
	var (
		mu     sync.Mutex
		logged bytes.Buffer
	)
	logger := logging.LoggerFunc(func(_ logging.Classification, format string, v ...interface{}) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logged, format+"\n", v...)
	})
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
		"debug": {config.WithLogger(logger), debugTenant},
	}})
	cfg, err := c.Config(context.Background(), key)
	if err == nil {
		// The profile's role is assumed at the first use of the credentials.
		if _, rerr := cfg.Credentials.Retrieve(context.Background()); rerr != nil {
			t.Fatal(rerr)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range []string{"SessionToken", "SecretAccessKey"} {
		if strings.Contains(logged.String(), s) {
			t.Errorf("the SDK's log (%d bytes) holds %s", logged.Len(), s)
		}
	}
	if want := `Options.LoadOptions["debug"]`; !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Config: %v; want ErrInvalid naming %s", err, want)
	}
}

package clientcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// onlyRequestFor loads the config of creds against w's endpoints and
// returns the one request of action it made to w's STS (whose behaviour it
// sets, to record the requests).
func (w *world) onlyRequestFor(t *testing.T, c *clientcache.Cache, creds keys.Credentials, action string) fakeaws.AssumeRoleRequest {
	t.Helper()
	var (
		mu   sync.Mutex
		reqs []fakeaws.AssumeRoleRequest
	)
	w.sts.SetBehavior(func(r fakeaws.AssumeRoleRequest) fakeaws.Behavior {
		mu.Lock()
		defer mu.Unlock()
		if r.Action == action {
			reqs = append(reqs, r)
		}
		return fakeaws.Behavior{}
	})
	defer w.sts.SetBehavior(nil)
	if _, err := c.Config(context.Background(), w.config(t, creds)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 1 {
		t.Fatalf("%d %s calls, want 1", len(reqs), action)
	}
	return reqs[0]
}

// checkParam compares one request parameter, printing it only when it is
// not a secret.
func checkParam(t *testing.T, action, name, got, want string, secret bool) {
	t.Helper()
	if got != want {
		if secret {
			t.Errorf("%s sent %s: present %v, want the key's value", action, name, got != "")
		} else {
			t.Errorf("%s sent %s=%q, want %q", action, name, got, want)
		}
	}
}

// TestAssumeRoleSendsEveryInputOfTheKey: the STS AssumeRole call a load
// makes carries every input of the key's assumed role (session name,
// duration, external ID, inline policy, source identity), and
// AssumeRoleWithWebIdentity its session name and duration.
func TestAssumeRoleSendsEveryInputOfTheKey(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})

	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDRECORDBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	const externalID = "ext-id-recorded"
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source:         base,
		RoleARN:        "arn:aws:iam::123456789012:role/recorded",
		SessionName:    "recorded-session",
		ExternalID:     keys.NewSecret(externalID),
		Duration:       2 * time.Hour,
		Policy:         policy,
		SourceIdentity: "recorded-source",
		STSRegion:      "us-east-1",
		STSEndpoint:    w.sts.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := w.onlyRequestFor(t, c, role, "AssumeRole")
	checkParam(t, r.Action, "RoleArn", r.RoleARN, "arn:aws:iam::123456789012:role/recorded", false)
	checkParam(t, r.Action, "RoleSessionName", r.SessionName, "recorded-session", false)
	checkParam(t, r.Action, "DurationSeconds", fmt.Sprint(r.DurationSeconds), "7200", false)
	checkParam(t, r.Action, "Policy", r.Policy, policy, false)
	checkParam(t, r.Action, "SourceIdentity", r.SourceIdentity, "recorded-source", false)
	checkParam(t, r.Action, "ExternalId", r.ExternalID, externalID, true)

	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(fakeaws.WebIdentityToken("recorded")), 0o600); err != nil {
		t.Fatal(err)
	}
	web, err := keys.WebIdentityCredentials(keys.WebIdentityInput{
		RoleARN:     "arn:aws:iam::123456789012:role/recorded-web",
		TokenFile:   tokenFile,
		SessionName: "recorded-web-session",
		Duration:    3 * time.Hour,
		STSRegion:   "us-east-1",
		STSEndpoint: w.sts.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	wr := w.onlyRequestFor(t, c, web, "AssumeRoleWithWebIdentity")
	checkParam(t, wr.Action, "RoleArn", wr.RoleARN, "arn:aws:iam::123456789012:role/recorded-web", false)
	checkParam(t, wr.Action, "RoleSessionName", wr.SessionName, "recorded-web-session", false)
	checkParam(t, wr.Action, "DurationSeconds", fmt.Sprint(wr.DurationSeconds), "10800", false)
}

// TestUseOfARoleCountsNoHitOfItsSource: a hit of an assumed role's config
// is a use of its source identity too, but not a request for it: the
// config Stats count one hit, not two (Options.IdleTimeout's doc).
func TestUseOfARoleCountsNoHitOfItsSource(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key := w.tenant(t, 1)
	if _, err := c.Config(ctx, key); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Configs
	for range 5 {
		if _, err := c.Config(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	after := c.Stats().Configs
	if hits, misses := after.Hits-before.Hits, after.Misses-before.Misses; hits != 5 || misses != 0 {
		t.Fatalf("5 hits of an assumed role's config counted %d hits and %d misses, want 5 and 0", hits, misses)
	}
}

// TestEveryKeyConfigInputReachesTheAWSConfig: the value inputs of a config
// identity are the loaded aws.Config's settings, each of the two checksum
// modes included.
func TestEveryKeyConfigInputReachesTheAWSConfig(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		mode     keys.ChecksumMode
		request  aws.RequestChecksumCalculation
		response aws.ResponseChecksumValidation
	}{
		{keys.ChecksumWhenRequired, aws.RequestChecksumCalculationWhenRequired, aws.ResponseChecksumValidationWhenRequired},
		{keys.ChecksumWhenSupported, aws.RequestChecksumCalculationWhenSupported, aws.ResponseChecksumValidationWhenSupported},
	} {
		key, err := keys.NewConfig(keys.ConfigInput{
			Region:                     "eu-west-3",
			Endpoint:                   "http://127.0.0.1:9",
			RetryMode:                  keys.RetryModeAdaptive,
			RetryMaxAttempts:           4,
			AppID:                      "app-" + tc.mode.String(),
			RequestChecksumCalculation: tc.mode,
			ResponseChecksumValidation: tc.mode,
			Credentials:                keys.AnonymousCredentials(),
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := c.Config(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Region != "eu-west-3" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:9" ||
			cfg.RetryMode != aws.RetryModeAdaptive || cfg.RetryMaxAttempts != 4 || cfg.AppID != "app-"+tc.mode.String() {
			t.Errorf("%v: region %q, endpoint %q, retry mode %q, max attempts %d, app ID %q",
				key, cfg.Region, aws.ToString(cfg.BaseEndpoint), cfg.RetryMode, cfg.RetryMaxAttempts, cfg.AppID)
		}
		if cfg.RequestChecksumCalculation != tc.request || cfg.ResponseChecksumValidation != tc.response {
			t.Errorf("%v: request checksum %v, response checksum %v; want %v and %v",
				key, cfg.RequestChecksumCalculation, cfg.ResponseChecksumValidation, tc.request, tc.response)
		}
	}
}

// TestDerivedObjectsOfTwoNamesAreTwoObjects: name is part of a derived
// object's identity: two names of one type on one client are built and
// cached apart.
func TestDerivedObjectsOfTwoNamesAreTwoObjects(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	build := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	a, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign-a", build)
	if err != nil {
		t.Fatal(err)
	}
	b, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign-b", build)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("Derived returned one object for two names")
	}
	again, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign-a", build)
	if err != nil {
		t.Fatal(err)
	}
	if again != a {
		t.Fatal("Derived built a cached name again")
	}
	if st := c.Stats(); st.Derived.Loads != 2 {
		t.Fatalf("%d derived loads for two names, want 2", st.Derived.Loads)
	}
}

// TestZeroBoundsAreDefaultMaxEntries: Options' zero bounds mean
// DefaultMaxEntries for each of the three caches.
func TestZeroBoundsAreDefaultMaxEntries(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	n := clientcache.DefaultMaxEntries
	want := fmt.Sprintf("configs: 0/%d, clients: 0/%d, derived: 0/%d", n, n, n)
	if got := c.String(); !strings.Contains(got, want) {
		t.Fatalf("a cache of zero Options is %s, want bounds %s", got, want)
	}
}

// TestKeptClientOfAReleasedPoolLeavesNoHTTP2ConnectionOpen: a client the
// caller kept after its identity and client were evicted goes on working,
// but a request it makes then leaves no connection open once it is done
// (transport's generations). Over HTTP/2, closing idle connections once the
// response's headers arrive cannot close the connection of a stream still
// reading its body.
func TestKeptClientOfAReleasedPoolLeavesNoHTTP2ConnectionOpen(t *testing.T) {
	w := newWorld(t)
	// httptest's own certificate, which w.ca trusts.
	srv, open := connCountingHTTP2Server(t, func(rw http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			t.Errorf("request over %s", r.Proto)
		}
		rw.Header().Set("ETag", `"e"`)
		rw.WriteHeader(http.StatusOK)
		// The body comes after the headers: the stream is still open
		// when the client's RoundTrip returns.
		rw.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
		_, _ = rw.Write([]byte(" "))
	})
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDKEPTCLIENT", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey := w.config(t, creds)
	key, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", Endpoint: srv.URL, S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := clientcache.Client(ctx, c, key, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, cl, "kept/a", "a"); err != nil {
		t.Fatal(err)
	}
	if !clientcache.DeleteClient[*s3.Client](c, key) || !c.DeleteConfig(cfgKey) {
		t.Fatal("the client or its config was not cached")
	}
	testwait.Until(t, "the released pool's idle connection to close", func() bool { return open.Load() == 0 })
	for i := range 2 {
		if err := put(ctx, cl, fmt.Sprintf("kept/b%d", i), "b"); err != nil {
			t.Fatal(err)
		}
		testwait.Until(t, "the kept client's request to leave no connection open", func() bool { return open.Load() == 0 })
	}
}

// TestAssumeRoleIsSignedForItsSTSRegion: the AssumeRole call of a key whose
// STSRegion differs from its config's region is signed for STSRegion
// (keys.AssumeRoleInput.STSRegion: "the region of the STS client"), which
// STS requires of the credential scope; the fake STS, like sts.amazonaws.com,
// accepts only fakeaws.STSRegion. Every other test signs for the config's
// region too, so none failed with STSRegion dropped.
func TestAssumeRoleIsSignedForItsSTSRegion(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSTSREGION", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: base, RoleARN: roleARN(1), SessionName: "sts-region",
		STSRegion: fakeaws.STSRegion, STSEndpoint: w.sts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "eu-west-3", CABundle: w.ca, RetryMaxAttempts: 1, Credentials: role})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Config(context.Background(), key); err != nil {
		t.Fatalf("a role whose STSRegion is %s, in a config of eu-west-3: %v", fakeaws.STSRegion, err)
	}
}

// TestKeysRefuseEndpointSettingsTheSDKRefuses pins keys that were accepted
// but could never build a working client: FIPS or dual-stack Enabled with a
// custom endpoint (the config's, a client's, or an assumed role's STS
// endpoint), and S3 Accelerate with path style, a custom endpoint or FIPS.
// The cache built the clients, and every request failed in the SDK's
// endpoint rules ("FIPS and custom endpoint are not supported"), an error
// naming no parameter. Each case first shows that the SDK itself refuses
// the settings (an SDK client configured by hand, against the fake S3 and
// STS on loopback), then that the key constructor refuses them naming the
// parameter; controls that the SDK accepts must stay accepted.
func TestKeysRefuseEndpointSettingsTheSDKRefuses(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	type settings struct {
		configEndpoint, clientEndpoint, stsEndpoint bool
		fips, dualStack                             keys.Tristate
		accelerate, pathStyle                       bool
	}
	for _, tc := range []struct {
		name      string
		s         settings
		wantField string // "" for accepted
	}{
		{"FIPS with the config's endpoint", settings{configEndpoint: true, fips: keys.Enabled, pathStyle: true}, "Config.FIPS"},
		{"dual-stack with the config's endpoint", settings{configEndpoint: true, dualStack: keys.Enabled, pathStyle: true}, "Config.DualStack"},
		{"FIPS with an STS endpoint", settings{stsEndpoint: true, fips: keys.Enabled}, "Config.FIPS"},
		{"dual-stack with an STS endpoint", settings{stsEndpoint: true, dualStack: keys.Enabled}, "Config.DualStack"},
		{"client endpoint on a FIPS config", settings{clientEndpoint: true, fips: keys.Enabled, pathStyle: true}, "Client.Endpoint"},
		{"client endpoint on a dual-stack config", settings{clientEndpoint: true, dualStack: keys.Enabled, pathStyle: true}, "Client.Endpoint"},
		{"accelerate with path style", settings{accelerate: true, pathStyle: true}, "Client.S3.UseAccelerate"},
		{"accelerate with a client endpoint", settings{clientEndpoint: true, accelerate: true}, "Client.S3.UseAccelerate"},
		{"accelerate with the config's endpoint", settings{configEndpoint: true, accelerate: true}, "Client.S3.UseAccelerate"},
		{"accelerate with FIPS", settings{accelerate: true, fips: keys.Enabled}, "Client.S3.UseAccelerate"},
		// Controls, which the SDK accepts.
		{"FIPS disabled with endpoints", settings{configEndpoint: true, stsEndpoint: true, fips: keys.Disabled, pathStyle: true}, ""},
		{"dual-stack disabled with a client endpoint", settings{clientEndpoint: true, dualStack: keys.Disabled, pathStyle: true}, ""},
		{"accelerate with dual-stack", settings{accelerate: true, dualStack: keys.Enabled}, ""},
		{"FIPS and dual-stack without endpoints", settings{fips: keys.Enabled, dualStack: keys.Enabled}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			// The SDK, configured by hand.
			opts := []func(*config.LoadOptions) error{
				config.WithRegion("us-east-1"), config.WithCustomCABundle(bytes.NewReader(w.ca)), config.WithRetryMaxAttempts(1),
				config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
				config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
				config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSERVICEBASE", baseSecret, "")),
			}
			if s.configEndpoint {
				opts = append(opts, config.WithBaseEndpoint(w.s3.URL()))
			}
			if on, set := s.fips.Bool(); set {
				opts = append(opts, config.WithUseFIPSEndpoint(map[bool]aws.FIPSEndpointState{true: aws.FIPSEndpointStateEnabled, false: aws.FIPSEndpointStateDisabled}[on]))
			}
			if on, set := s.dualStack.Bool(); set {
				opts = append(opts, config.WithUseDualStackEndpoint(map[bool]aws.DualStackEndpointState{true: aws.DualStackEndpointStateEnabled, false: aws.DualStackEndpointStateDisabled}[on]))
			}
			cfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				t.Fatal(err)
			}
			var sdkErr error
			if s.stsEndpoint {
				_, sdkErr = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(w.sts.URL()) }).
					GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			}
			if s.stsEndpoint && sdkErr != nil && !strings.Contains(sdkErr.Error(), "endpoint rule error") {
				sdkErr = nil // the fake STS answers GetCallerIdentity with InvalidAction: the endpoint resolved
			}
			if sdkErr == nil && (!s.stsEndpoint || s.clientEndpoint || s.configEndpoint || s.accelerate || s.pathStyle) {
				_, sdkErr = s3.NewFromConfig(cfg, func(o *s3.Options) {
					if s.clientEndpoint {
						o.BaseEndpoint = aws.String(w.s3.URL())
					}
					o.UseAccelerate, o.UsePathStyle = s.accelerate, s.pathStyle
					if !s.clientEndpoint && !s.configEndpoint {
						// Resolve the endpoint only: no request to AWS.
						o.HTTPClient = refuseAll{}
					}
				}).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket")})
				if sdkErr != nil && !strings.Contains(sdkErr.Error(), "endpoint rule error") {
					sdkErr = nil // resolved, and sent (or refused by refuseAll)
				}
			}
			if refused := sdkErr != nil; refused != (tc.wantField != "") {
				t.Fatalf("the SDK's endpoint rules refuse the settings: %v (error %v); the test expects %v", refused, sdkErr, tc.wantField != "")
			}

			// The keys.
			var creds keys.Credentials
			if s.stsEndpoint {
				creds, err = keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleARN(1), SessionName: "variants", STSEndpoint: w.sts.URL()})
				if err != nil {
					t.Fatal(err)
				}
			}
			in := keys.ConfigInput{Region: "us-east-1", FIPS: s.fips, DualStack: s.dualStack, Credentials: creds}
			if s.configEndpoint {
				in.Endpoint = w.s3.URL()
			}
			cfgKey, err := keys.NewConfig(in)
			if err == nil {
				cin := keys.ClientInput{Config: cfgKey, Service: "s3", S3: keys.S3Options{UseAccelerate: s.accelerate, UsePathStyle: s.pathStyle}}
				if s.clientEndpoint {
					cin.Endpoint = w.s3.URL()
				}
				_, err = keys.NewClient(cin)
			}
			var fe *keys.FieldError
			switch {
			case tc.wantField == "" && err != nil:
				t.Fatalf("settings the SDK accepts are refused: %v", err)
			case tc.wantField != "" && err == nil:
				t.Fatalf("settings the SDK's endpoint rules refuse are accepted: no error naming %s", tc.wantField)
			case tc.wantField != "" && (!errors.As(err, &fe) || fe.Field != tc.wantField):
				t.Fatalf("error %v, want a *keys.FieldError naming %s", err, tc.wantField)
			}
		})
	}
}

// refuseAll is an HTTP client that sends nothing.
type refuseAll struct{}

func (refuseAll) Do(*http.Request) (*http.Response, error) {
	return nil, errors.New("refuseAll: no request leaves this test")
}

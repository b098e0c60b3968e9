package keys_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientcache/clientcache/internal/keysecret"
	"github.com/clientcache/clientcache/keys"
)

func fullConfigInput(t testing.TB) keys.ConfigInput {
	src := static(t, "AKIDFULL", "full-secret", "full-token")
	creds := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source: src, RoleARN: roleA, SessionName: "full", ExternalID: keys.NewSecret("ext-full"),
		Duration: time.Hour, Policy: `{"Version":"2012-10-17"}`, SourceIdentity: "alice",
		STSRegion: "eu-west-1", STSEndpoint: "https://sts.eu-west-1.amazonaws.com",
	}))
	return keys.ConfigInput{
		Region:                     "eu-west-1",
		Profile:                    "prod",
		SharedConfigFiles:          []string{"/etc/aws/config", "/home/a/.aws/config"},
		SharedCredentialsFiles:     []string{},
		Endpoint:                   "https://s3.example.com:8443/base",
		FIPS:                       keys.Disabled, // Enabled is refused with an endpoint
		DualStack:                  keys.Disabled,
		DefaultsMode:               keys.DefaultsModeInRegion,
		RetryMode:                  keys.RetryModeAdaptive,
		RetryMaxAttempts:           5,
		AppID:                      "inventory",
		RequestChecksumCalculation: keys.ChecksumWhenRequired,
		ResponseChecksumValidation: keys.ChecksumWhenSupported,
		CABundle:                   []byte(pem1),
		Name:                       "custom-http-client",
		Labels:                     labels("tenant", "acme", "env", "prod"),
		Credentials:                creds,
	}
}

func TestConfigAccessors(t *testing.T) {
	in := fullConfigInput(t)
	k := must(keys.NewConfig(in))
	if k.Region() != "eu-west-1" || k.Profile() != "prod" || k.Endpoint() != "https://s3.example.com:8443/base" ||
		k.FIPS() != keys.Disabled || k.DualStack() != keys.Disabled || k.DefaultsMode() != keys.DefaultsModeInRegion ||
		k.RetryMode() != keys.RetryModeAdaptive || k.RetryMaxAttempts() != 5 || k.AppID() != "inventory" ||
		k.RequestChecksumCalculation() != keys.ChecksumWhenRequired || k.ResponseChecksumValidation() != keys.ChecksumWhenSupported ||
		k.Name() != "custom-http-client" || k.Credentials() != in.Credentials {
		t.Errorf("accessors do not return the inputs: %+v", k)
	}
	if got := k.SharedConfigFiles(); !slices.Equal(got, in.SharedConfigFiles) {
		t.Errorf("SharedConfigFiles = %q", got)
	}
	if got := k.SharedCredentialsFiles(); got == nil || len(got) != 0 {
		t.Errorf("SharedCredentialsFiles = %#v, want a non-nil empty slice", got)
	}
	if got := (keys.Config{}).SharedConfigFiles(); got != nil {
		t.Errorf("zero Config SharedConfigFiles = %#v, want nil", got)
	}
	// Accessors return copies.
	k.SharedConfigFiles()[0] = "changed"
	k.CABundle()[0] = 'X'
	if k.SharedConfigFiles()[0] != "/etc/aws/config" || !bytes.Equal(k.CABundle(), []byte(pem1)) {
		t.Errorf("mutating a returned slice changed the key")
	}
	if sum, ok := k.CABundleSHA256(); !ok || sum != sha256.Sum256([]byte(pem1)) {
		t.Errorf("CABundleSHA256 = %x, %v", sum, ok)
	}
	if _, ok := (keys.Config{}).CABundleSHA256(); ok || (keys.Config{}).CABundle() != nil {
		t.Errorf("zero Config has a CA bundle")
	}
	if got := maps.Collect(k.Labels()); !maps.Equal(got, map[string]string{"tenant": "acme", "env": "prod"}) {
		t.Errorf("Labels = %v", got)
	}
	var order []string
	for key := range k.Labels() {
		order = append(order, key)
	}
	if !slices.Equal(order, []string{"env", "tenant"}) {
		t.Errorf("label order %v, want sorted", order)
	}
	for key := range k.Labels() {
		_ = key
		break // an early break must not panic
	}
	if v, ok := k.Label("tenant"); !ok || v != "acme" {
		t.Errorf("Label(tenant) = %q, %v", v, ok)
	}
	if _, ok := k.Label("missing"); ok {
		t.Errorf("Label(missing) found")
	}
}

func TestInputRoundTrip(t *testing.T) {
	k := must(keys.NewConfig(fullConfigInput(t)))
	if again := must(keys.NewConfig(k.Input())); again != k {
		t.Errorf("NewConfig(k.Input()) != k")
	}
	in := k.Input()
	if in.Endpoint != "https://s3.example.com:8443/base" || in.Labels[0].Key != "env" {
		t.Errorf("Input is not normalised: %q %v", in.Endpoint, in.Labels)
	}
	// Derive a key that differs in one field.
	in.Region = "us-east-1"
	if other := must(keys.NewConfig(in)); other == k || other.Region() != "us-east-1" || other.Profile() != "prod" {
		t.Errorf("derived key wrong: %v", other)
	}
	if must(keys.NewConfig((keys.Config{}).Input())) != (keys.Config{}) {
		t.Errorf("zero Config does not round-trip")
	}

	c := must(keys.NewClient(keys.ClientInput{
		Config: k, Service: "S3", Region: "us-west-2", Endpoint: "HTTP://Minio:80/", Name: "mw",
		S3: keys.S3Options{UsePathStyle: true, UseARNRegion: keys.Enabled, DisableS3Express: keys.Disabled, DisableMultiRegionAccessPoints: keys.Enabled},
	}))
	if again := must(keys.NewClient(c.Input())); again != c {
		t.Errorf("NewClient(c.Input()) != c")
	}
	if c.Config() != k || c.Service() != "s3" || c.Region() != "us-west-2" || c.Endpoint() != "http://minio" || c.Name() != "mw" ||
		c.S3() != (keys.S3Options{UsePathStyle: true, UseARNRegion: keys.Enabled, DisableS3Express: keys.Disabled, DisableMultiRegionAccessPoints: keys.Enabled}) ||
		c.DynamoDB() != (keys.DynamoDBOptions{}) {
		t.Errorf("client accessors wrong: %+v", c)
	}
	d := must(keys.NewClient(keys.ClientInput{Service: "dynamodb", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryEnabled}}))
	if d.DynamoDB().EndpointDiscovery != keys.EndpointDiscoveryEnabled || d.Config() != (keys.Config{}) {
		t.Errorf("dynamodb client accessors wrong: %v", d)
	}
}

func TestCredentialsAccessors(t *testing.T) {
	st := static(t, "AKIDX", "secret-x", "token-x")
	if st.Kind() != keys.KindStatic || st.AccessKeyID() != "AKIDX" || !st.HasSessionToken() || st.Depth() != 0 {
		t.Errorf("static accessors wrong: %+v", st)
	}
	if static(t, "AKIDX", "secret-x", "").HasSessionToken() {
		t.Errorf("HasSessionToken without a token")
	}
	p := must(keys.ProfileCredentials("dev"))
	if p.Kind() != keys.KindProfile || p.Profile() != "dev" {
		t.Errorf("profile accessors wrong: %v", p)
	}
	if keys.AnonymousCredentials().Kind() != keys.KindAnonymous || keys.DefaultCredentials().Kind() != keys.KindDefault {
		t.Errorf("anonymous or default kind wrong")
	}
	w := must(keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleB, TokenFile: "/var/run/t", SessionName: "w1", Duration: time.Hour, STSRegion: "us-east-1"}))
	if w.Kind() != keys.KindWebIdentity || w.RoleARN() != roleB || w.TokenFile() != "/var/run/t" || w.SessionName() != "w1" ||
		w.Duration() != time.Hour || w.STSRegion() != "us-east-1" || w.Depth() != 0 || w.Source() != (keys.Credentials{}) {
		t.Errorf("web identity accessors wrong: %v", w)
	}
	a := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: w, RoleARN: roleA, SessionName: "a1", ExternalID: keys.NewSecret("ext-1"),
		Policy: "{}", SourceIdentity: "bob", STSEndpoint: "HTTPS://STS.local/"}))
	if a.Kind() != keys.KindAssumeRole || a.RoleARN() != roleA || a.SessionName() != "a1" || !a.HasExternalID() ||
		a.Policy() != "{}" || a.SourceIdentity() != "bob" || a.STSEndpoint() != "https://sts.local" || a.Source() != w ||
		a.Duration() != 15*time.Minute || a.Depth() != 1 {
		t.Errorf("assume-role accessors wrong: %v", a)
	}
	b := role(t, a, "arn:aws:iam::123456789012:role/c")
	if b.Depth() != 2 || b.Source().Source() != w || b.HasExternalID() {
		t.Errorf("chain accessors wrong: %v", b)
	}
}

// TestSecretMaterial checks that the module (through internal/keysecret) can
// reach the secrets the AWS layer needs, and nothing else can.
func TestSecretMaterial(t *testing.T) {
	st := static(t, "AKIDM", "secret-m", "token-m")
	m, err := keysecret.Of(st)
	if err != nil || m.SecretAccessKey() != "secret-m" || m.SessionToken() != "token-m" || m.ExternalID() != "" {
		t.Errorf("static material wrong (err %v)", err)
	}
	a := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: st, RoleARN: roleA, SessionName: "s1", ExternalID: keys.NewSecret("ext-m")}))
	m, err = keysecret.Of(a)
	if err != nil || m.ExternalID() != "ext-m" || m.SecretAccessKey() != "" {
		t.Errorf("assume-role material wrong (err %v)", err)
	}
	m, err = keysecret.Of(a.Source())
	if err != nil || m.SecretAccessKey() != "secret-m" {
		t.Errorf("source material wrong (err %v)", err)
	}
	for _, c := range []keys.Credentials{{}, keys.AnonymousCredentials(), must(keys.ProfileCredentials("p")), role(t, st, roleB)} {
		if m, err := keysecret.Of(c); err != nil || !m.IsZero() {
			t.Errorf("%v: material not empty (err %v)", c.Kind(), err)
		}
	}
	if _, err := keysecret.Of(must(keys.NewConfig(keys.ConfigInput{}))); err == nil {
		t.Errorf("keysecret.Of accepted a Config")
	}
}

func TestKeysAsMapKeys(t *testing.T) {
	build := func() (keys.Config, keys.Client) {
		k := must(keys.NewConfig(keys.ConfigInput{
			Region: "us-east-1", Labels: labels("tenant", "acme"),
			Credentials: role(t, static(t, "AKIDMAP", "map-secret", "map-token"), roleA),
		}))
		return k, must(keys.NewClient(keys.ClientInput{Config: k, Service: "sqs"}))
	}
	k1, c1 := build()
	k2, c2 := build()
	if k1 != k2 || c1 != c2 {
		t.Fatalf("keys built separately from equal inputs differ")
	}
	configs := map[keys.Config]int{k1: 1}
	clients := map[keys.Client]int{c1: 1}
	configs[k2]++
	clients[c2]++
	if len(configs) != 1 || configs[k1] != 2 || len(clients) != 1 || clients[c1] != 2 {
		t.Errorf("map keys do not match: %d configs, %d clients", len(configs), len(clients))
	}
	// Equal keys from other goroutines, under the race detector.
	var wg sync.WaitGroup
	got := make([]keys.Client, 16)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); _, got[i] = build() }()
	}
	wg.Wait()
	for _, c := range got {
		if c != c1 {
			t.Fatalf("concurrently built key differs")
		}
	}
}

// TestDistinctInputsDistinctKeys builds a corpus of keys that each differ from
// a base in one input and checks that every pair differs as a key, in its
// encoding and (for this small set) in its fingerprint.
func TestDistinctInputsDistinctKeys(t *testing.T) {
	base := fullConfigInput(t)
	variants := map[string]func(*keys.ConfigInput){
		"base":             func(*keys.ConfigInput) {},
		"region":           func(in *keys.ConfigInput) { in.Region = "eu-west-2" },
		"no region":        func(in *keys.ConfigInput) { in.Region = "" },
		"profile":          func(in *keys.ConfigInput) { in.Profile = "prod2" },
		"config files":     func(in *keys.ConfigInput) { in.SharedConfigFiles = in.SharedConfigFiles[:1] },
		"nil config files": func(in *keys.ConfigInput) { in.SharedConfigFiles = nil },
		"creds files":      func(in *keys.ConfigInput) { in.SharedCredentialsFiles = []string{"/c"} },
		"nil creds files":  func(in *keys.ConfigInput) { in.SharedCredentialsFiles = nil },
		"endpoint":         func(in *keys.ConfigInput) { in.Endpoint = "https://s3.example.com:8443" },
		"fips unset":       func(in *keys.ConfigInput) { in.FIPS = keys.Unset },
		"dual-stack unset": func(in *keys.ConfigInput) { in.DualStack = keys.Unset },
		"defaults mode":    func(in *keys.ConfigInput) { in.DefaultsMode = keys.DefaultsModeCrossRegion },
		"retry mode":       func(in *keys.ConfigInput) { in.RetryMode = keys.RetryModeStandard },
		"max attempts":     func(in *keys.ConfigInput) { in.RetryMaxAttempts = 6 },
		"app ID":           func(in *keys.ConfigInput) { in.AppID = "inventory2" },
		"request checksum": func(in *keys.ConfigInput) { in.RequestChecksumCalculation = keys.ChecksumWhenSupported },
		"response check":   func(in *keys.ConfigInput) { in.ResponseChecksumValidation = keys.ChecksumUnset },
		"CA bundle":        func(in *keys.ConfigInput) { in.CABundle = []byte(pem1 + "\n") },
		"no CA bundle":     func(in *keys.ConfigInput) { in.CABundle = nil },
		"name":             func(in *keys.ConfigInput) { in.Name = "other" },
		"label value":      func(in *keys.ConfigInput) { in.Labels = labels("tenant", "acme2", "env", "prod") },
		"label key":        func(in *keys.ConfigInput) { in.Labels = labels("tenant2", "acme", "env", "prod") },
		"fewer labels":     func(in *keys.ConfigInput) { in.Labels = labels("tenant", "acme") },
		"default creds":    func(in *keys.ConfigInput) { in.Credentials = keys.Credentials{} },
		"other secret":     func(in *keys.ConfigInput) { in.Credentials = static(t, "AKIDFULL", "full-secreT", "full-token") },
		"other token":      func(in *keys.ConfigInput) { in.Credentials = static(t, "AKIDFULL", "full-secret", "full-tokeN") },
		"no token":         func(in *keys.ConfigInput) { in.Credentials = static(t, "AKIDFULL", "full-secret", "") },
		"key ID shifted":   func(in *keys.ConfigInput) { in.Credentials = static(t, "AKIDFUL", "Lfull-secret", "full-token") },
		"secret shifted":   func(in *keys.ConfigInput) { in.Credentials = static(t, "AKIDFULL", "full-secretf", "ull-token") },
	}
	type entry struct {
		name string
		k    keys.Config
	}
	var all []entry
	for name, mod := range variants {
		in := base
		mod(&in)
		all = append(all, entry{name, must(keys.NewConfig(in))})
	}
	creds := []keys.Credentials{
		keys.AnonymousCredentials(),
		must(keys.ProfileCredentials("prod")),
		static(t, "AKIDFULL", "full-secret", "full-token"),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", ExternalID: keys.NewSecret("ab")})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", ExternalID: keys.NewSecret("ac")})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", Policy: "{}"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", SourceIdentity: "bob"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", STSRegion: "us-east-1"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", STSEndpoint: "https://sts"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", Duration: time.Hour})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "fulL"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleB, SessionName: "full"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", Source: must(keys.ProfileCredentials("prod"))})),
		must(keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleA, SessionName: "full", TokenFile: "/t"})),
		must(keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleA, SessionName: "full", TokenFile: "/u"})),
	}
	for i, c := range creds {
		in := base
		in.Credentials = c
		all = append(all, entry{"creds " + string(rune('a'+i)), must(keys.NewConfig(in))})
	}
	fingerprints := map[string]string{}
	for i, a := range all {
		if fp, dup := fingerprints[a.k.Fingerprint()]; dup {
			t.Errorf("%s and %s share a fingerprint", a.name, fp)
		}
		fingerprints[a.k.Fingerprint()] = a.name
		for _, b := range all[i+1:] {
			if a.k == b.k || bytes.Equal(a.k.Bytes(), b.k.Bytes()) {
				t.Errorf("%s and %s give equal keys or encodings", a.name, b.name)
			}
		}
	}
	// Clients that differ in one input.
	k := all[0].k
	clients := []keys.ClientInput{
		{Config: k, Service: "s3"},
		{Service: "s3"},
		{Config: k, Service: "sqs"},
		{Config: k, Service: "s3", Region: "us-east-1"},
		{Config: k, Service: "s3", Endpoint: "http://x"},
		{Config: k, Service: "s3", Name: "n"},
		{Config: k, Service: "s3", S3: keys.S3Options{UsePathStyle: true}},
		{Service: "s3", S3: keys.S3Options{UseAccelerate: true}}, // refused with an endpoint, which k may have
		{Config: k, Service: "s3", S3: keys.S3Options{UseARNRegion: keys.Enabled}},
		{Config: k, Service: "s3", S3: keys.S3Options{UseARNRegion: keys.Disabled}},
		{Config: k, Service: "s3", S3: keys.S3Options{DisableS3Express: keys.Enabled}},
		{Config: k, Service: "s3", S3: keys.S3Options{DisableMultiRegionAccessPoints: keys.Enabled}},
		{Config: k, Service: "dynamodb"},
		{Config: k, Service: "dynamodb", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryAuto}},
		{Config: k, Service: "dynamodb", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryDisabled}},
	}
	var built []keys.Client
	for _, in := range clients {
		built = append(built, must(keys.NewClient(in)))
	}
	for i, a := range built {
		for j, b := range built[i+1:] {
			if a == b || bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("clients %d and %d give equal keys or encodings", i, i+1+j)
			}
		}
	}
}

// TestKeysHoldNoPlainSecret looks inside the key with reflection, as a
// printer that ignores methods would, for the secret inputs.
func TestKeysHoldNoPlainSecret(t *testing.T) {
	k := must(keys.NewConfig(fullConfigInput(t)))
	v := reflect.ValueOf(k)
	if v.NumField() != 1 || v.Field(0).Type().Kind() != reflect.Struct {
		t.Fatalf("Config is not a single handle: %v", v.Type())
	}
	// The full redaction test is in redaction_test.go; this one only pins
	// the shape: Config, Credentials and Client are one pointer each.
	for _, x := range []any{keys.Config{}, keys.Credentials{}, keys.Client{}} {
		if s := reflect.TypeOf(x).Size(); s != reflect.TypeOf(uintptr(0)).Size() {
			t.Errorf("%T is %d bytes, want one pointer", x, s)
		}
	}
}

func TestFieldErrorMatching(t *testing.T) {
	_, err := keys.NewConfig(keys.ConfigInput{Region: "nowhere"})
	wrapped := errors.Join(errors.New("loading tenant"), err)
	var fe *keys.FieldError
	if !errors.Is(wrapped, keys.ErrInvalid) || !errors.As(wrapped, &fe) || fe.Field != "Config.Region" {
		t.Errorf("wrapped FieldError does not match: %v", wrapped)
	}
	if errors.Is(errors.New("keys: invalid input"), keys.ErrInvalid) {
		t.Errorf("an unrelated error matches ErrInvalid")
	}
	// FieldError.Is matches ErrInvalid only, not whatever it is asked about.
	for _, other := range []error{io.EOF, errors.New("keys: invalid input"), context.Canceled} {
		if errors.Is(err, other) {
			t.Errorf("a FieldError matches %v", other)
		}
	}
}

// TestLabelsSequenceIsReusable pins that the iter.Seq2 returned by
// Config.Labels walks the labels every time it is called, as the iter
// package expects of any sequence not documented as single-use, and that
// two goroutines may range over the same sequence (keys are safe for
// concurrent use). labelPairs advanced the captured string itself, so a
// second range saw no labels at all, and concurrent ranges raced.
func TestLabelsSequenceIsReusable(t *testing.T) {
	k, err := keys.NewConfig(keys.ConfigInput{Labels: []keys.Label{{Key: "tenant", Value: "acme"}, {Key: "env", Value: "prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	seq := k.Labels()
	count := func() int {
		n := 0
		for range seq {
			n++
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("first range: %d labels, want 2", n)
	}
	if n := count(); n != 2 {
		t.Fatalf("second range over the same sequence: %d labels, want 2", n)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); count() }()
	}
	wg.Wait()
}

// ConfigInput.Region's documented rules, with and without Endpoint.
func TestRegionRulesAsDocumented(t *testing.T) {
	check := func(region, endpoint string, ok bool) {
		t.Helper()
		_, err := keys.NewConfig(keys.ConfigInput{Region: region, Endpoint: endpoint})
		if ok && err != nil || !ok && !errors.Is(err, keys.ErrInvalid) {
			t.Errorf("Region %q, Endpoint %q: err %v, want accepted %v", region, endpoint, err, ok)
		}
	}
	const ep = "https://minio.example"
	for _, r := range []string{"auto", "nyc3", "a", "9", "a-b"} {
		check(r, ep, true)
	}
	for _, r := range []string{"-auto", "auto-", "-", "a-", "Auto"} {
		check(r, ep, false)
	}
	for _, r := range []string{"us-east-1", "us-gov-west-1", "eusc-de-east-1", "ap-southeast-12"} {
		check(r, "", true)
	}
	for _, r := range []string{"us-e-1", "us-east-100", "us-abcdefghijk-1", "fips-us-east-1", "us-fips-1", "u-east-1", "us-1"} {
		check(r, "", false)
	}
}

// Each String doc lists the names it returns, and "T(n)" for other values.
func TestEnumStringsOfEveryValue(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{keys.Disabled.String(), "disabled"},
		{keys.Tristate(9).String(), "Tristate(9)"},
		{keys.ChecksumWhenRequired.String(), "when_required"},
		{keys.ChecksumMode(9).String(), "ChecksumMode(9)"},
		{keys.EndpointDiscoveryAuto.String(), "auto"},
		{keys.EndpointDiscovery(9).String(), "EndpointDiscovery(9)"},
		{keys.KindWebIdentity.String(), "web-identity"},
		{keys.CredentialsKind(9).String(), "CredentialsKind(9)"},
	} {
		if c.got != c.want {
			t.Errorf("String() = %q, want %q", c.got, c.want)
		}
	}
}

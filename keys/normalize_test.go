package keys_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientcache/clientcache/keys"
)

// sameConfig asserts that a and b build equal keys with equal encodings;
// differentConfig that they build different keys with different encodings.
func sameConfig(t *testing.T, a, b keys.ConfigInput) {
	t.Helper()
	ka, kb := must(keys.NewConfig(a)), must(keys.NewConfig(b))
	if ka != kb {
		t.Errorf("keys differ, want equal:\n%v\n%v", ka, kb)
	}
	if !bytes.Equal(ka.Bytes(), kb.Bytes()) {
		t.Errorf("encodings differ, want equal:\n%x\n%x", ka.Bytes(), kb.Bytes())
	}
}

func differentConfig(t *testing.T, a, b keys.ConfigInput) {
	t.Helper()
	ka, kb := must(keys.NewConfig(a)), must(keys.NewConfig(b))
	if ka == kb {
		t.Errorf("keys equal, want different: %v", ka)
	}
	if bytes.Equal(ka.Bytes(), kb.Bytes()) {
		t.Errorf("encodings equal, want different: %x", ka.Bytes())
	}
}

func endpoint(s string) keys.ConfigInput { return keys.ConfigInput{Endpoint: s} }

// One test per documented normalisation rule, in both directions.

func TestNormaliseEndpointSchemeCase(t *testing.T) {
	sameConfig(t, endpoint("HTTPS://example.com"), endpoint("https://example.com"))
	sameConfig(t, endpoint("Http://example.com"), endpoint("http://example.com"))
	differentConfig(t, endpoint("http://example.com"), endpoint("https://example.com"))
}

func TestNormaliseEndpointHostCase(t *testing.T) {
	sameConfig(t, endpoint("https://S3.Example.COM"), endpoint("https://s3.example.com"))
	sameConfig(t, endpoint("http://[FE80::1]:4566"), endpoint("http://[fe80::1]:4566"))
	// An IPv6 zone is refused (TestEndpointWithAnIPv6ZoneIsRefused).
	// The path is case-sensitive.
	differentConfig(t, endpoint("https://example.com/A"), endpoint("https://example.com/a"))
	differentConfig(t, endpoint("https://example.com"), endpoint("https://example.org"))
}

// TestEndpointHostLowercasesASCIIOnly pins a host normalised with Unicode
// case mapping: "http://\u212Aey.com" (a Kelvin sign) became
// "http://key.com", and "ÉXAMPLE" became "éxample", though net/http sends
// them as other hosts (Host: xn--ey-0qu.com, xn--XAMPLE-voa.com): the key
// named, and the SDK was given, another endpoint than the caller's. Host
// names are case-insensitive in ASCII only.
// Non-ASCII names are now refused altogether (they must be written in
// Punycode: TestEndpointWithANonASCIIHostIsRefused), so none can be mapped
// onto an ASCII one.
func TestEndpointHostLowercasesASCIIOnly(t *testing.T) {
	for _, e := range []string{"http://\u212Aey.com", "https://\u00c9XAMPLE.com", "https://\u00e9xample.com"} {
		if k, err := keys.NewConfig(endpoint(e)); err == nil {
			t.Errorf("endpoint %q accepted as %q, want it refused", e, k.Endpoint())
		}
	}
	sameConfig(t, endpoint("https://XN--XAMPLE-9UA.COM"), endpoint("https://xn--xample-9ua.com"))
}

// TestEndpointHostEscapesThatCannotBeWrittenBack pins hosts whose escapes
// url.Parse decodes into what a URL cannot hold as given: "%25" made a host
// with a "%" ("http://%2541.com" became "http://%41.com", which does not
// validate again), and an escaped byte that is not UTF-8 made a key holding
// invalid UTF-8 (which its JSON view prints as U+FFFD, "http://%ff" like
// "http://%fe") for a host no request can name. Both are refused, and so is
// an escaped UTF-8 name (a non-ASCII name must be written in Punycode).
func TestEndpointHostEscapesThatCannotBeWrittenBack(t *testing.T) {
	for _, e := range []string{"http://%2541.com", "http://a%25b", "https://%ff", "https://%fe.example.com", "https://%C3%A9xample.com"} {
		_, err := keys.NewConfig(endpoint(e))
		var fe *keys.FieldError
		if !errors.As(err, &fe) || fe.Field != "Config.Endpoint" {
			t.Errorf("endpoint %q: got error %v, want a *FieldError for Config.Endpoint", e, err)
		}
	}
}

func TestNormaliseEndpointDefaultPort(t *testing.T) {
	sameConfig(t, endpoint("https://example.com:443"), endpoint("https://example.com"))
	sameConfig(t, endpoint("http://example.com:80"), endpoint("http://example.com"))
	// A port with leading zeros is kept: the SDK sends and signs the Host
	// header as written ("example.com:0443"), and drops only ":443" itself
	// (TestEndpointPortReachesTheSDK in the root package sends them).
	differentConfig(t, endpoint("https://example.com:0443"), endpoint("https://example.com"))
	differentConfig(t, endpoint("http://localhost:09000"), endpoint("http://localhost:9000"))
	differentConfig(t, endpoint("http://example.com:080"), endpoint("http://example.com"))
	// Only the scheme's own default port is dropped.
	differentConfig(t, endpoint("https://example.com:80"), endpoint("https://example.com"))
	differentConfig(t, endpoint("http://example.com:443"), endpoint("http://example.com"))
	differentConfig(t, endpoint("http://localhost:9000"), endpoint("http://localhost:9001"))
}

// TestNormaliseEndpointTrailingSlash pins which trailing slashes the SDK
// ignores: only a path of "/" alone. "https://h/p/" and "https://h/p" were
// once one endpoint, and a client cached for one was handed to callers of
// the other, whose operations with the path "/" then went to the other path
// (TestEndpointTrailingSlashReachesTheSDK in the root package sends them).
func TestNormaliseEndpointTrailingSlash(t *testing.T) {
	sameConfig(t, endpoint("https://example.com/"), endpoint("https://example.com"))
	differentConfig(t, endpoint("https://example.com/prefix/"), endpoint("https://example.com/prefix"))
	differentConfig(t, endpoint("https://example.com//"), endpoint("https://example.com"))
	// Nothing else in the path is rewritten.
	differentConfig(t, endpoint("https://example.com/prefix//"), endpoint("https://example.com/prefix"))
	differentConfig(t, endpoint("https://example.com/a/../b"), endpoint("https://example.com/b"))
	differentConfig(t, endpoint("https://example.com/prefix"), endpoint("https://example.com/other"))
}

// TestNormaliseEndpointIsIdempotent pins broken round trips: an endpoint
// whose path ended in "//" lost one "/" per normalisation, an IPv6 zone
// with an escaped character came back unescaped (zones are now refused
// altogether: TestEndpointWithAnIPv6ZoneIsRefused), so the key's own
// endpoint (and its Input) normalised to another key, and the SDK was given
// another endpoint than the caller's. Normalising a normalised endpoint must
// change nothing, for config, client and STS endpoints alike.
func TestNormaliseEndpointIsIdempotent(t *testing.T) {
	for _, e := range []string{
		"https://h//", "https://h///", "https://h/p//", "HTTPS://H:443//", "https://h/", "https://h/p/", "https://h",
		"http://[FE80::1]:8443/p",
	} {
		k := must(keys.NewConfig(endpoint(e)))
		if again := must(keys.NewConfig(endpoint(k.Endpoint()))); again != k {
			t.Errorf("config endpoint %q normalised to %q, which normalises to %q", e, k.Endpoint(), again.Endpoint())
		}
		if again := must(keys.NewConfig(k.Input())); again != k {
			t.Errorf("config endpoint %q: NewConfig(k.Input()) != k", e)
		}
		c := must(keys.NewClient(keys.ClientInput{Service: "s3", Endpoint: e}))
		if again := must(keys.NewClient(c.Input())); again != c {
			t.Errorf("client endpoint %q normalised to %q, which normalises to %q", e, c.Endpoint(), again.Endpoint())
		}
		role := func(sts string) keys.Credentials {
			return must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "session", STSEndpoint: sts}))
		}
		if a := role(e); role(a.STSEndpoint()) != a {
			t.Errorf("STS endpoint %q normalised to %q, which normalises to another", e, a.STSEndpoint())
		}
	}
	// The SDK joins an operation path to "p//" keeping both slashes: another
	// endpoint than "p/".
	differentConfig(t, endpoint("https://example.com//"), endpoint("https://example.com/"))
	differentConfig(t, endpoint("https://example.com/prefix//"), endpoint("https://example.com/prefix/"))
}

func TestNormaliseLabelOrder(t *testing.T) {
	sameConfig(t,
		keys.ConfigInput{Labels: labels("tenant", "acme", "env", "prod", "team", "x")},
		keys.ConfigInput{Labels: labels("team", "x", "env", "prod", "tenant", "acme")})
	differentConfig(t,
		keys.ConfigInput{Labels: labels("tenant", "acme", "env", "prod")},
		keys.ConfigInput{Labels: labels("tenant", "prod", "env", "acme")})
	// An empty value is a label, not its absence.
	differentConfig(t, keys.ConfigInput{Labels: labels("tenant", "")}, keys.ConfigInput{})
	// No labels and an empty slice are the same.
	sameConfig(t, keys.ConfigInput{Labels: []keys.Label{}}, keys.ConfigInput{})
}

func TestNormaliseServiceCase(t *testing.T) {
	a := must(keys.NewClient(keys.ClientInput{Service: "S3"}))
	b := must(keys.NewClient(keys.ClientInput{Service: "s3"}))
	if a != b || !bytes.Equal(a.Bytes(), b.Bytes()) || a.Service() != "s3" {
		t.Errorf("S3 and s3 differ: %v %v", a, b)
	}
	c := must(keys.NewClient(keys.ClientInput{Service: "s3control"}))
	if a == c || bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Errorf("s3 and s3control are equal")
	}
}

func TestNormaliseCABundle(t *testing.T) {
	sameConfig(t, keys.ConfigInput{CABundle: []byte{}}, keys.ConfigInput{})
	sameConfig(t, keys.ConfigInput{CABundle: []byte(pem1)}, keys.ConfigInput{CABundle: []byte(pem1)})
	differentConfig(t, keys.ConfigInput{CABundle: []byte(pem1)}, keys.ConfigInput{})
	differentConfig(t, keys.ConfigInput{CABundle: []byte(pem1)}, keys.ConfigInput{CABundle: []byte(pem1 + pem1)})
}

func TestNormaliseAssumeRoleDuration(t *testing.T) {
	base := static(t, "AKID", "secret", "")
	mk := func(d time.Duration) keys.Credentials {
		return must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: base, RoleARN: roleA, SessionName: "s1", Duration: d}))
	}
	if mk(0) != mk(15*time.Minute) || mk(0).Duration() != 15*time.Minute {
		t.Errorf("duration 0 and 15m differ")
	}
	if mk(0) == mk(16*time.Minute) || mk(time.Hour) == mk(15*time.Minute) {
		t.Errorf("different durations are equal")
	}
	// Web identity sends no duration when unset: 0 is not 15 minutes.
	wi := func(d time.Duration) keys.Credentials {
		return must(keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleA, TokenFile: "/t", SessionName: "s1", Duration: d}))
	}
	if wi(0) == wi(15*time.Minute) {
		t.Errorf("web identity durations 0 and 15m are equal")
	}
}

// TestUnsetIsNotDefault pins the rule that an unset input differs from an
// explicit default wherever the SDK may fill the unset one from elsewhere.
func TestUnsetIsNotDefault(t *testing.T) {
	for name, in := range map[string]keys.ConfigInput{
		"region":              {Region: "us-east-1"},
		"profile":             {Profile: "default"},
		"FIPS":                {FIPS: keys.Disabled},
		"dual-stack":          {DualStack: keys.Disabled},
		"defaults mode":       {DefaultsMode: keys.DefaultsModeLegacy},
		"retry mode":          {RetryMode: keys.RetryModeStandard},
		"max attempts":        {RetryMaxAttempts: 3},
		"request checksum":    {RequestChecksumCalculation: keys.ChecksumWhenSupported},
		"response checksum":   {ResponseChecksumValidation: keys.ChecksumWhenSupported},
		"no config files":     {SharedConfigFiles: []string{}},
		"no credentials file": {SharedCredentialsFiles: []string{}},
		"name":                {Name: ""}, // the one field whose empty value is unset
	} {
		t.Run(name, func(t *testing.T) {
			if name == "name" {
				sameConfig(t, in, keys.ConfigInput{})
				return
			}
			differentConfig(t, in, keys.ConfigInput{})
		})
	}
	if keys.DefaultCredentials() != (keys.Credentials{}) {
		t.Errorf("DefaultCredentials is not the zero Credentials")
	}
	if must(keys.NewConfig(keys.ConfigInput{})) != (keys.Config{}) {
		t.Errorf("NewConfig of the zero input is not the zero Config")
	}
	// Empty and nil shared file lists differ, as in the SDK.
	differentConfig(t, keys.ConfigInput{SharedConfigFiles: []string{}}, keys.ConfigInput{SharedConfigFiles: nil})
	differentConfig(t, keys.ConfigInput{SharedConfigFiles: []string{}}, keys.ConfigInput{SharedCredentialsFiles: []string{}})
}

// TestNotNormalised pins inputs that look alike but are kept apart.
func TestNotNormalised(t *testing.T) {
	differentConfig(t, keys.ConfigInput{SharedConfigFiles: []string{"a/../b"}}, keys.ConfigInput{SharedConfigFiles: []string{"b"}})
	differentConfig(t, keys.ConfigInput{SharedConfigFiles: []string{"a", "b"}}, keys.ConfigInput{SharedConfigFiles: []string{"b", "a"}})
	differentConfig(t, keys.ConfigInput{SharedConfigFiles: []string{"a"}}, keys.ConfigInput{SharedCredentialsFiles: []string{"a"}})
	differentConfig(t, keys.ConfigInput{Endpoint: "https://example.com."}, keys.ConfigInput{Endpoint: "https://example.com"})
	differentConfig(t, keys.ConfigInput{Endpoint: "https://example.com/%41"}, keys.ConfigInput{Endpoint: "https://example.com/A"})
	differentConfig(t, keys.ConfigInput{Name: "a"}, keys.ConfigInput{Name: "A"})
	p := func(policy string) keys.Credentials {
		return must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "s1", Policy: policy}))
	}
	if p(`{"a":1}`) == p(`{"a": 1}`) {
		t.Errorf("policies that differ in white space are equal")
	}
}

// TestRegressionNormalisedEndpointWithinLengthLimit: the 2048-byte limit was
// checked on the endpoint as given, but normalising escapes the path (a space
// is "%20", "é" is "%C3%A9"), so an accepted endpoint could normalise to more
// than 2048 bytes, which NewConfig(k.Input()) then refused.
func TestRegressionNormalisedEndpointWithinLengthLimit(t *testing.T) {
	for _, e := range []string{
		"https://h/" + strings.Repeat(" ", 700),  // 710 bytes, 2110 normalised
		"https://h/" + strings.Repeat("é", 1000), // 2010 bytes, 6010 normalised
	} {
		k, err := keys.NewConfig(endpoint(e))
		if err != nil {
			var fe *keys.FieldError
			if !errors.As(err, &fe) || fe.Field != "Config.Endpoint" {
				t.Errorf("error %v, want a FieldError on Config.Endpoint", err)
			}
			continue
		}
		if _, err := keys.NewConfig(k.Input()); err != nil {
			t.Errorf("endpoint of %d bytes normalised to %d bytes, which does not validate again: %v", len(e), len(k.Endpoint()), err)
		}
	}
	// At the limit once normalised: still accepted.
	e := "https://h/" + strings.Repeat(" ", (2048-len("https://h/"))/3)
	k := must(keys.NewConfig(endpoint(e)))
	if len(k.Endpoint()) > 2048 {
		t.Fatalf("normalised endpoint of %d bytes", len(k.Endpoint()))
	}
}

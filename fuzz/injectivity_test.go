package fuzz

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/keys"
)

// anyKey erases the key type but keeps == meaningful: values of different
// key types never compare equal.
type anyKey struct {
	v     any
	bytes []byte
}

func wrap[K interface {
	comparable
	Bytes() []byte
}](k K, err error) (anyKey, error) {
	return anyKey{k, k.Bytes()}, err
}

const role = "arn:aws:iam::123456789012:role/r"

// splitters build a key from two adjacent string inputs, x and y. They cover
// the places where two strings meet in an encoding, inside a key and across
// nesting levels; none of these inputs is normalised (the service name is
// lowercased, which keeps its length), so different (x, y) must give
// different keys.
var splitters = []struct {
	name  string
	build func(x, y string) (anyKey, error)
}{
	{"region/profile", func(x, y string) (anyKey, error) {
		return wrap(keys.NewConfig(keys.ConfigInput{Region: x, Profile: y, Endpoint: "http://localhost"}))
	}},
	{"profile/name", func(x, y string) (anyKey, error) { return wrap(keys.NewConfig(keys.ConfigInput{Profile: x, Name: y})) }},
	{"app ID/name", func(x, y string) (anyKey, error) { return wrap(keys.NewConfig(keys.ConfigInput{AppID: x, Name: y})) }},
	{"label key/value", func(x, y string) (anyKey, error) {
		return wrap(keys.NewConfig(keys.ConfigInput{Labels: []keys.Label{{Key: x, Value: y}}}))
	}},
	{"label value/next label key", func(x, y string) (anyKey, error) {
		return wrap(keys.NewConfig(keys.ConfigInput{Labels: []keys.Label{{Key: "a", Value: x}, {Key: y, Value: "z"}}}))
	}},
	{"name/label value", func(x, y string) (anyKey, error) {
		return wrap(keys.NewConfig(keys.ConfigInput{Name: x, Labels: []keys.Label{{Key: "k", Value: y}}}))
	}},
	{"config file/config file", func(x, y string) (anyKey, error) {
		return wrap(keys.NewConfig(keys.ConfigInput{SharedConfigFiles: []string{x, y}}))
	}},
	{"config file/credentials file", func(x, y string) (anyKey, error) {
		return wrap(keys.NewConfig(keys.ConfigInput{SharedConfigFiles: []string{x}, SharedCredentialsFiles: []string{y}}))
	}},
	{"access key ID/secret", func(x, y string) (anyKey, error) {
		return wrap(keys.StaticCredentials(keys.StaticInput{AccessKeyID: x, SecretAccessKey: keys.NewSecret(y)}))
	}},
	{"secret/token", func(x, y string) (anyKey, error) {
		return wrap(keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKID", SecretAccessKey: keys.NewSecret(x), SessionToken: keys.NewSecret(y)}))
	}},
	{"role name/session name", func(x, y string) (anyKey, error) {
		return wrap(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/" + x, SessionName: y}))
	}},
	{"session name/source identity", func(x, y string) (anyKey, error) {
		return wrap(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: role, SessionName: x, SourceIdentity: y}))
	}},
	{"external ID/policy", func(x, y string) (anyKey, error) {
		return wrap(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: role, SessionName: "s1", ExternalID: keys.NewSecret(x), Policy: y}))
	}},
	{"token file/session name", func(x, y string) (anyKey, error) {
		return wrap(keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: role, TokenFile: x, SessionName: y}))
	}},
	{"source session/role session", func(x, y string) (anyKey, error) {
		src, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: role + "0", SessionName: x})
		if err != nil {
			return anyKey{}, err
		}
		return wrap(keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: src, RoleARN: role, SessionName: y}))
	}},
	{"config name/client service", func(x, y string) (anyKey, error) {
		k, err := keys.NewConfig(keys.ConfigInput{Name: x})
		if err != nil {
			return anyKey{}, err
		}
		return wrap(keys.NewClient(keys.ClientInput{Config: k, Service: y}))
	}},
	{"client service/client name", func(x, y string) (anyKey, error) {
		return wrap(keys.NewClient(keys.ClientInput{Service: x, Name: y}))
	}},
	{"profile credentials/config profile", func(x, y string) (anyKey, error) {
		c, err := keys.ProfileCredentials(x)
		if err != nil {
			return anyKey{}, err
		}
		return wrap(keys.NewConfig(keys.ConfigInput{Profile: y, Credentials: c}))
	}},
}

// injectivitySeeds are the seeds of FuzzInjectivity: (a, b, i, j, pair).
// They stay small (see maxInjectivitySeed): the fuzzer mutates every seed,
// and when a mutant of a long one brings new coverage it minimizes it, which
// runs the target a number of times quadratic in its length (up to
// -fuzzminimizetime, 60 s by default). A 65,535-byte seed kept both workers
// minimizing its mutants with no execution for the rest of a 20 or 45 s
// run. Long inputs are regression tests instead
// (TestInjectivityOfA65535ByteInput).
var injectivitySeeds = []struct {
	a, b string
	i, j uint16
	pair uint8
}{
	{"tenantacme", "", 6, 7, 3},
	{"AKIDEXAMPLEsecret", "token", 11, 12, 8},
	{"/a/b", "/c", 2, 4, 6},
	{"sessionsource", "", 7, 6, 11},
	{"s3", "sqs", 2, 3, 16},
	{"us-east-1prod", "", 9, 8, 0},
}

// maxInjectivitySeed is the most bytes (a and b together) of a seed of
// FuzzInjectivity.
const maxInjectivitySeed = 1024

// FuzzInjectivity splits one string at two different points between two
// adjacent inputs: when both splits are accepted, the keys must differ and
// so must their encodings. It also checks, for every pair it builds, that
// keys are == exactly when their encodings are equal.
func FuzzInjectivity(f *testing.F) {
	for _, s := range injectivitySeeds {
		f.Add(s.a, s.b, s.i, s.j, s.pair)
	}
	f.Fuzz(checkInjectivity)
}

// TestInjectivityOfA65535ByteInput: the split points were once reduced
// modulo len(s)+1 in uint16, which a 65,535-byte input made 0 (a panic). It
// is a test of its own rather than a seed of FuzzInjectivity: see
// injectivitySeeds.
func TestInjectivityOfA65535ByteInput(t *testing.T) {
	checkInjectivity(t, strings.Repeat("a", 65535), "", 1, 2, 2)
}

// TestInjectivitySeedsAreSmall pins the bound on the seeds of
// FuzzInjectivity (see injectivitySeeds).
func TestInjectivitySeedsAreSmall(t *testing.T) {
	for n, s := range injectivitySeeds {
		if l := len(s.a) + len(s.b); l > maxInjectivitySeed {
			t.Errorf("seed %d holds %d bytes, more than %d: make it a test calling checkInjectivity", n, l, maxInjectivitySeed)
		}
	}
}

// checkInjectivity is the body of FuzzInjectivity.
func checkInjectivity(t *testing.T, a, b string, ui, uj uint16, pair uint8) {
	s := a + b
	p := splitters[int(pair)%len(splitters)]
	// In int: len(s)+1 may not fit in a uint16 (65535 bytes made it 0).
	i, j := int(ui)%(len(s)+1), int(uj)%(len(s)+1)
	k1, err1 := p.build(s[:i], s[i:])
	k2, err2 := p.build(s[:j], s[j:])
	checkError(t, err1)
	checkError(t, err2)
	if err1 != nil || err2 != nil {
		return
	}
	same := k1.v == k2.v
	if same != bytes.Equal(k1.bytes, k2.bytes) {
		t.Fatalf("%s: key equality (%v) and encoding equality disagree", p.name, same)
	}
	if i != j && same {
		t.Fatalf("%s: splitting at %d and %d gives the same key", p.name, i, j)
	}
}

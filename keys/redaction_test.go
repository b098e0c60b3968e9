package keys_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientcache/clientcache/internal/keysecret"
	"github.com/clientcache/clientcache/internal/rendertest"
	"github.com/clientcache/clientcache/keys"
)

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
	externalIDs = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@:/-"
)

func randString(r *rand.Rand, alphabet string, min, max int) string {
	n := min + r.IntN(max-min+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestRedaction builds 10,000 random credentials (1,000 with -short) and
// renders keys holding them through every printing path (see
// rendertest.All: every fmt verb, errors wrapping a key, %#v of structs
// holding a key, slog text and JSON, json and xml, a recovered panic, and a
// reflection dump that follows pointers into unexported fields). No output
// may contain the secret access key, the session token or the external ID,
// nor their hex, base64 or plain SHA-256 forms. Constructor errors for inputs
// that carry those secrets are checked the same way.
func TestRedaction(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	// Two shards with fixed seeds, so a failure replays and two cores share
	// the work.
	const shards = 2
	for s := range shards {
		t.Run(fmt.Sprintf("shard%d", s), func(t *testing.T) {
			t.Parallel()
			redactionShard(t, rand.New(rand.NewPCG(2024, uint64(s))), s*n/shards, (s+1)*n/shards)
		})
	}
}

func redactionShard(t *testing.T, r *rand.Rand, from, to int) {
	for i := from; i < to; i++ {
		id := "AKIA" + randString(r, upperDigits, 16, 16)
		secrets := map[string]string{
			"secret access key": randString(r, base64Chars, 40, 40),
			"session token":     randString(r, base64Chars, 16, 600),
			"external ID":       randString(r, externalIDs, 16, 128),
		}
		st, err := keys.StaticCredentials(keys.StaticInput{
			AccessKeyID: id, SecretAccessKey: keys.NewSecret(secrets["secret access key"]), SessionToken: keys.NewSecret(secrets["session token"]),
		})
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		ar, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
			Source: st, RoleARN: roleA, SessionName: "s" + randString(r, upperDigits, 1, 20),
			ExternalID: keys.NewSecret(secrets["external ID"]),
		})
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: ar, Labels: labels("i", fmt.Sprint(i))})
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		c, err := keys.NewClient(keys.ClientInput{Config: k, Service: "s3"})
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}

		// Each key type takes its turn through every path.
		var v any
		switch i % 4 {
		case 0:
			v = st
		case 1:
			v = ar
		case 2:
			v = k
		case 3:
			v = c
		}
		outputs := rendertest.All(v)
		// The access key ID is not a secret, but keys print it as *** too
		// (a client key, through its config's).
		for _, o := range outputs {
			if strings.Contains(o.Text, id) && !strings.HasPrefix(o.Path, "dump") {
				t.Fatalf("iteration %d: %s shows the access key ID", i, o.Path)
			}
		}

		// Errors from inputs that carry the same secrets.
		errs := []error{
			errOf(keys.StaticCredentials(keys.StaticInput{AccessKeyID: "bad id", SecretAccessKey: keys.NewSecret(secrets["secret access key"])})),
			errOf(keys.StaticCredentials(keys.StaticInput{SecretAccessKey: keys.NewSecret(secrets["secret access key"]), SessionToken: keys.NewSecret(secrets["session token"])})),
			errOf(keys.StaticCredentials(keys.StaticInput{AccessKeyID: id, SecretAccessKey: keys.NewSecret(secrets["secret access key"] + "\n")})),
			errOf(keys.StaticCredentials(keys.StaticInput{AccessKeyID: secrets["secret access key"] + "/", SecretAccessKey: keys.NewSecret("x")})),
			errOf(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: "arn:" + secrets["external ID"], SessionName: "s1", ExternalID: keys.NewSecret(secrets["external ID"])})),
			errOf(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "s1", ExternalID: keys.NewSecret(secrets["external ID"] + " ")})),
			errOf(keys.NewConfig(keys.ConfigInput{Region: secrets["secret access key"], Credentials: ar})),
			errOf(keys.NewConfig(keys.ConfigInput{Endpoint: "https://u:" + url.QueryEscape(secrets["session token"]) + "@example.com"})),
		}
		for j, err := range errs {
			if err == nil {
				t.Fatalf("iteration %d: input %d was accepted", i, j)
			}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
				outputs = append(outputs, rendertest.Output{Path: fmt.Sprintf("error %d %s", j, verb), Text: fmt.Sprintf(verb, err)})
			}
		}
		if i%100 == 0 {
			// The inputs' own redaction, and the sealed material's.
			m, err := keysecret.Of(st)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range []any{
				keys.NewSecret(secrets["session token"]),
				keys.StaticInput{AccessKeyID: id, SecretAccessKey: keys.NewSecret(secrets["secret access key"]), SessionToken: keys.NewSecret(secrets["session token"])},
				keys.AssumeRoleInput{RoleARN: roleA, ExternalID: keys.NewSecret(secrets["external ID"])},
				m,
			} {
				for _, o := range rendertest.All(x) {
					if !strings.HasPrefix(o.Path, "dump") { // a reflection dump of an input shows the input
						outputs = append(outputs, o)
					}
				}
			}
		}
		if leaks := rendertest.Leaks(outputs, secrets); len(leaks) > 0 {
			t.Fatalf("iteration %d (%T): secrets leak through %d paths, first: %s", i, v, len(leaks), leaks[0])
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

// TestRedactionHelperFindsLeaks makes sure the redaction test can fail: a
// value that prints its secret is reported, by path and form, without the
// secret in the report.
func TestRedactionHelperFindsLeaks(t *testing.T) {
	type leaky struct{ Secret string }
	const secret = "0123456789abcdef-not-a-real-secret"
	leaks := rendertest.Leaks(rendertest.All(leaky{secret}), map[string]string{"secret": secret})
	want := map[string]bool{"fmt %v: plain of secret": false, "json: plain of secret": false, "slog JSON: plain of secret": false, "fmt %x: hex of secret": false, "dump: plain of secret": false}
	for _, l := range leaks {
		if strings.Contains(l, secret) {
			t.Fatalf("a leak report contains the secret")
		}
		if _, ok := want[l]; ok {
			want[l] = true
		}
	}
	for l, found := range want {
		if !found {
			t.Errorf("leak not reported: %s", l)
		}
	}
	// Sealed material is ciphertext, and a key's dump shows only that.
	st := static(t, "AKIDDUMP", secret, "")
	if leaks := rendertest.Leaks([]rendertest.Output{{Path: "dump", Text: rendertest.Dump(st)}}, map[string]string{"secret": secret}); len(leaks) > 0 {
		t.Errorf("dump of a key leaks: %v", leaks)
	}
	if !strings.Contains(rendertest.Dump(st), "AKIDDUMP") {
		t.Errorf("the dump does not reach the interned value; the test above proves nothing")
	}
}

// TestMarshalTextDistinguishesKeys pins that the text encoding of two
// different keys differs. encoding/json writes a map keyed by keys with
// MarshalText (and gob and xml use it too): MarshalText returned the label,
// in which two static identities with other access key IDs and secrets are
// the same text, so a JSON object of per-identity values held one name
// twice and a decoder kept one tenant's entry in place of the other's.
func TestMarshalTextDistinguishesKeys(t *testing.T) {
	c1, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDTENANTONE", SecretAccessKey: keys.NewSecret("secret-one")})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDTENANTTWO", SecretAccessKey: keys.NewSecret("secret-two")})
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: c1})
	k2, _ := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: c2})
	s1, _ := keys.NewClient(keys.ClientInput{Config: k1, Service: "s3"})
	s2, _ := keys.NewClient(keys.ClientInput{Config: k2, Service: "s3"})
	for _, m := range []any{
		map[keys.Credentials]int{c1: 1, c2: 2},
		map[keys.Config]int{k1: 1, k2: 2},
		map[keys.Client]int{s1: 1, s2: 2},
	} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]int
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if len(back) != 2 {
			t.Errorf("%T: two keys marshal to %d distinct JSON object names", m, len(back))
		}
	}
}

// TestDecodingAKeyIsAnError (a review finding): a key has no decoder (its JSON and text
// are a redacted view), yet encoding/json and encoding/xml decoded a key's
// own output, or any object, into a struct field of key type without an
// error, leaving the zero key there: for a Config or a ConfigInput's
// Credentials, the SDK's default credential chain, the process's own
// identity. A tenant's static-credentials key sent through a JSON job
// payload came back as a different identity, silently. Decoding must fail,
// naming the key type, and a JSON null must stay "not present".
func TestDecodingAKeyIsAnError(t *testing.T) {
	st, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDFAKE", SecretAccessKey: keys.NewSecret("fake-secret-not-real")})
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.NewConfig(keys.ConfigInput{Region: "eu-west-1", Credentials: st, Labels: []keys.Label{{Key: "tenant", Value: "acme"}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := keys.NewClient(keys.ClientInput{Config: k, Service: "s3"})
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		Config      keys.Config
		Credentials keys.Credentials
		Client      keys.Client
	}
	b, err := json.Marshal(job{k, st, c})
	if err != nil {
		t.Fatal(err)
	}
	var back job
	err = json.Unmarshal(b, &back)
	if err == nil {
		t.Errorf("json.Unmarshal of a key's JSON succeeded: the Config decoded to the zero key (default chain: %v), the Credentials to %v",
			back.Config == keys.Config{}, back.Credentials)
	} else if !errors.Is(err, keys.ErrInvalid) {
		t.Errorf("json.Unmarshal error %v does not match keys.ErrInvalid", err)
	}
	var in keys.ConfigInput
	if err := json.Unmarshal([]byte(`{"Region":"eu-west-1","Credentials":{"kind":"static"}}`), &in); err == nil {
		t.Errorf("a ConfigInput with credentials decoded without an error; its Credentials are the default chain: %v", in.Credentials == keys.Credentials{})
	}
	x, err := xml.Marshal(job{k, st, c})
	if err != nil {
		t.Fatal(err)
	}
	var xback job
	if err := xml.Unmarshal(x, &xback); err == nil {
		t.Errorf("xml.Unmarshal of a key's XML succeeded: the Config decoded to the zero key: %v", xback.Config == keys.Config{})
	}
	// null is "not present" to encoding/json: it leaves the key as it was.
	keep := job{Config: k}
	if err := json.Unmarshal([]byte(`{"Config":null}`), &keep); err != nil || keep.Config != k {
		t.Errorf("a JSON null for a key: error %v, key kept %v", err, keep.Config == k)
	}
}

// TestLabelsShowWhatTheyRedact pins the label's promise for secrets: the
// access key ID, secret access key, session token and external ID are
// shown as *** (so a reader sees that a token or an external ID is set),
// never left out nor shown in any other form.
func TestLabelsShowWhatTheyRedact(t *testing.T) {
	withToken := static(t, "AKIDLABEL", "label-secret", "label-token")
	withExt := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "s1", ExternalID: keys.NewSecret("label-ext")}))
	for _, tc := range []struct {
		c    keys.Credentials
		want []string
	}{
		{withToken, []string{"access-key-id=***", "secret-access-key=***", "session-token=***"}},
		{withExt, []string{"external-id=***"}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.c.String(), w) {
				t.Errorf("the label of %s credentials lacks %s", tc.c.Kind(), w)
			}
		}
	}
}

// TestLabelsTellInputsApart: labels of keys that differ only in secrets
// (or in the access key ID) are equal, as the package documentation says;
// keys that differ in any other input have different labels, so a log
// line names the identity it is about.
func TestLabelsTellInputsApart(t *testing.T) {
	base := must(keys.NewConfig(keys.ConfigInput{Region: "eu-west-1"}))
	creds := []keys.Credentials{
		keys.DefaultCredentials(),
		keys.AnonymousCredentials(),
		must(keys.ProfileCredentials("prod")),
		static(t, "AKIDLABEL", "label-secret", ""),
		static(t, "AKIDLABEL", "label-secret", "label-token"),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full"})),
		must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "full", ExternalID: keys.NewSecret("ab")})),
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
		must(keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleA, SessionName: "full", TokenFile: "/t", Duration: time.Hour})),
	}
	clients := []keys.ClientInput{
		{Config: base, Service: "s3"},
		{Service: "s3"},
		{Config: base, Service: "sqs"},
		{Config: base, Service: "s3", Region: "us-east-1"},
		{Config: base, Service: "s3", Endpoint: "http://x"},
		{Config: base, Service: "s3", Name: "n"},
		{Config: base, Service: "s3", S3: keys.S3Options{UsePathStyle: true}},
		{Config: base, Service: "s3", S3: keys.S3Options{UseAccelerate: true}},
		{Config: base, Service: "s3", S3: keys.S3Options{UseARNRegion: keys.Enabled}},
		{Config: base, Service: "s3", S3: keys.S3Options{UseARNRegion: keys.Disabled}},
		{Config: base, Service: "s3", S3: keys.S3Options{DisableS3Express: keys.Enabled}},
		{Config: base, Service: "s3", S3: keys.S3Options{DisableMultiRegionAccessPoints: keys.Enabled}},
		{Config: base, Service: "dynamodb"},
		{Config: base, Service: "dynamodb", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryAuto}},
		{Config: base, Service: "dynamodb", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryDisabled}},
	}
	seen := map[string]string{}
	add := func(what, label string) {
		t.Helper()
		if other, dup := seen[label]; dup {
			t.Errorf("%s and %s share the label %s", other, what, label)
		}
		seen[label] = what
	}
	for i, c := range creds {
		add("credentials "+strconv.Itoa(i), c.String())
		add("config of credentials "+strconv.Itoa(i), must(keys.NewConfig(keys.ConfigInput{Region: "eu-west-1", Credentials: c})).String())
	}
	for i, in := range clients {
		add("client "+strconv.Itoa(i), must(keys.NewClient(in)).String())
	}
	// Only secrets and the access key ID differ: equal labels.
	a, b := static(t, "AKIDONE", "secret-one", "token-one"), static(t, "AKIDTWO", "secret-two", "token-two")
	if a.String() != b.String() {
		t.Errorf("labels of static credentials that differ only in secrets differ")
	}
}

package keys_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/keys"
)

// fieldOf returns the field a keys error names, or "" for no such error.
func fieldOf(err error) string {
	var fe *keys.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, keys.ErrInvalid) {
		return ""
	}
	return fe.Field
}

// TestRegionHasOneToThreeWords: ConfigInput.Region documents "one to three
// lowercase words" between the area and the number; four are refused.
func TestRegionHasOneToThreeWords(t *testing.T) {
	for _, r := range []string{"us-east-1", "us-gov-west-1", "us-ab-cd-ef-1"} {
		if _, err := keys.NewConfig(keys.ConfigInput{Region: r}); err != nil {
			t.Errorf("region %q: %v", r, err)
		}
	}
	for _, r := range []string{"us-ab-cd-ef-gh-1", "us-a-b-c-d-e-1"} {
		k, err := keys.NewConfig(keys.ConfigInput{Region: r})
		if got := fieldOf(err); got != "Config.Region" {
			t.Errorf("region %q: key %v, error %v; want an error naming Config.Region", r, k, err)
		}
	}
}

// TestRoleARNPartitionHasAtMostThreeWords: a partition is "aws" or "aws-"
// and one to three lowercase words (aws-cn, aws-us-gov, aws-iso-b).
func TestRoleARNPartitionHasAtMostThreeWords(t *testing.T) {
	arn := func(partition string) string { return "arn:" + partition + ":iam::123456789012:role/r" }
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov", "aws-ab-cd-ef"} {
		if _, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: arn(p), SessionName: "s1"}); err != nil {
			t.Errorf("partition %q: %v", p, err)
		}
	}
	for _, p := range []string{"aws-ab-cd-ef-gh", "aws-a-b-c-d-e"} {
		c, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: arn(p), SessionName: "s1"})
		if got := fieldOf(err); got != "Credentials.AssumeRole.RoleARN" {
			t.Errorf("partition %q: credentials %v, error %v; want an error naming Credentials.AssumeRole.RoleARN", p, c, err)
		}
	}
}

// oneOfEachKey returns a config key, its credentials and a client key of it.
func oneOfEachKey(t *testing.T) (keys.Config, keys.Credentials, keys.Client) {
	t.Helper()
	creds, err := keys.ProfileCredentials("dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, creds, cl
}

// TestPlusVerbPrintsTheFingerprint: %+v prints the label with the
// fingerprint (format's doc), for every key type, as GoString and
// MarshalText do.
func TestPlusVerbPrintsTheFingerprint(t *testing.T) {
	cfg, creds, cl := oneOfEachKey(t)
	for _, k := range []interface {
		Fingerprint() string
		String() string
	}{cfg, creds, cl} {
		got := fmt.Sprintf("%+v", k)
		if !strings.Contains(got, "fingerprint="+k.Fingerprint()) {
			t.Errorf("%%+v of %s = %s, want the fingerprint %s", k, got, k.Fingerprint())
		}
		if plain := fmt.Sprintf("%v", k); strings.Contains(plain, "fingerprint=") {
			t.Errorf("%%v of a key prints a fingerprint: %s", plain)
		}
	}
}

// TestFormatVerbsAsDocumented pins what Format promises beyond %v and %+v:
// %#v is the Go-syntax label with the fingerprint (what GoString returns,
// which fmt does not call itself once a type has Format), %s the label,
// %q the quoted label, %x and %X the label in hex.
func TestFormatVerbsAsDocumented(t *testing.T) {
	cfg, creds, cl := oneOfEachKey(t)
	for _, k := range []interface {
		String() string
		GoString() string
	}{cfg, creds, cl} {
		label := k.String()
		for verb, want := range map[string]string{
			"%#v": k.GoString(),
			"%s":  label,
			"%q":  fmt.Sprintf("%q", label),
			"%x":  fmt.Sprintf("%x", label),
			"%X":  fmt.Sprintf("%X", label),
		} {
			if got := fmt.Sprintf(verb, k); got != want {
				t.Errorf("%s of %s = %s, want %s", verb, label, got, want)
			}
		}
		if !strings.Contains(fmt.Sprintf("%#v", k), "fingerprint=") {
			t.Errorf("%%#v of %s carries no fingerprint", label)
		}
	}
}

// TestProfileDefaultIsNotTheDefaultChain: the credentials of the profile
// named "default" are a profile's (the shared files only), not the default
// chain (environment first): two identities.
func TestProfileDefaultIsNotTheDefaultChain(t *testing.T) {
	p, err := keys.ProfileCredentials("default")
	if err != nil {
		t.Fatal(err)
	}
	if p == keys.DefaultCredentials() || p.Kind() != keys.KindProfile || p.Profile() != "default" {
		t.Fatalf("ProfileCredentials(\"default\") = %v (kind %v, profile %q), want a profile identity distinct from the default chain", p, p.Kind(), p.Profile())
	}
	a, err := keys.NewConfig(keys.ConfigInput{Credentials: p})
	if err != nil {
		t.Fatal(err)
	}
	b, err := keys.NewConfig(keys.ConfigInput{})
	if err != nil {
		t.Fatal(err)
	}
	if a == b || string(a.Bytes()) == string(b.Bytes()) {
		t.Fatalf("a config with the profile \"default\" collides with the default chain's: %v", a)
	}
}

// TestServiceOptionsAreRefusedForEveryOtherService: S3 options belong to the
// service "s3" only and DynamoDB options to "dynamodb" only, whatever the
// other service is.
func TestServiceOptionsAreRefusedForEveryOtherService(t *testing.T) {
	for _, svc := range []string{"sqs", "sts", "dynamodb", "s3control"} {
		k, err := keys.NewClient(keys.ClientInput{Service: svc, S3: keys.S3Options{UsePathStyle: true}})
		if got := fieldOf(err); got != "Client.S3" {
			t.Errorf("S3 options for service %q: key %v, error %v; want an error naming Client.S3", svc, k, err)
		}
	}
	for _, svc := range []string{"s3", "sqs", "dynamodbstreams"} {
		k, err := keys.NewClient(keys.ClientInput{Service: svc, DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryEnabled}})
		if got := fieldOf(err); got != "Client.DynamoDB" {
			t.Errorf("DynamoDB options for service %q: key %v, error %v; want an error naming Client.DynamoDB", svc, k, err)
		}
	}
}

// TestCABundleWithAPrivateKeySaysSo: a combined certificate-and-key file
// passed as a CA bundle is refused with a reason that names the private
// key (the usual accident), not only as a block of another type; the
// reason quotes nothing of the bundle.
func TestCABundleWithAPrivateKeySaysSo(t *testing.T) {
	const keyBody = "cHJpdmF0ZS1rZXktbWF0ZXJpYWw="
	for _, typ := range []string{"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"} {
		bundle := pem1 + "-----BEGIN " + typ + "-----\n" + keyBody + "\n-----END " + typ + "-----\n"
		_, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(bundle)})
		if err == nil {
			t.Errorf("a CA bundle with a %s block was accepted", typ)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, keyBody) {
			t.Errorf("a CA bundle with a %s block: the error quotes the bundle", typ)
			continue
		}
		if fieldOf(err) != "Config.CABundle" || !strings.Contains(msg, "private key") {
			t.Errorf("a CA bundle with a %s block: error %q, want one naming Config.CABundle and the private key", typ, msg)
		}
	}
}

package keys_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/clientcache/clientcache/internal/testcert"
	"github.com/clientcache/clientcache/keys"
)

const (
	roleA = "arn:aws:iam::123456789012:role/a"
	roleB = "arn:aws:iam::123456789012:role/b"
	// pem1 and pem2 are CA certificates that parse.
	pem1 = testcert.CA1
	pem2 = testcert.CA2
)

// must returns v, or panics with err (whose message never holds a secret).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func static(t testing.TB, id, secret, token string) keys.Credentials {
	t.Helper()
	return must(keys.StaticCredentials(keys.StaticInput{AccessKeyID: id, SecretAccessKey: keys.NewSecret(secret), SessionToken: keys.NewSecret(token)}))
}

func role(t testing.TB, source keys.Credentials, arn string) keys.Credentials {
	t.Helper()
	return must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: source, RoleARN: arn, SessionName: "s1"}))
}

func cfg(in keys.ConfigInput) func() error {
	return func() error { _, err := keys.NewConfig(in); return err }
}

func ar(in keys.AssumeRoleInput) func() error {
	return func() error {
		if in.SessionName == "" {
			in.SessionName = "sess"
		}
		if in.RoleARN == "" {
			in.RoleARN = roleA
		}
		_, err := keys.AssumeRoleCredentials(in)
		return err
	}
}

func wi(in keys.WebIdentityInput) func() error {
	return func() error { _, err := keys.WebIdentityCredentials(in); return err }
}

func st(in keys.StaticInput) func() error {
	return func() error { _, err := keys.StaticCredentials(in); return err }
}

func cl(in keys.ClientInput) func() error {
	return func() error { _, err := keys.NewClient(in); return err }
}

func labels(kv ...string) []keys.Label {
	var l []keys.Label
	for i := 0; i < len(kv); i += 2 {
		l = append(l, keys.Label{Key: kv[i], Value: kv[i+1]})
	}
	return l
}

// TestValidationErrors checks every validation rule: the error matches
// ErrInvalid, is a *FieldError naming the field, and its message is
// "keys: <field>: ...".
func TestValidationErrors(t *testing.T) {
	t.Parallel()
	base := static(t, "AKIDBASE", "base-secret", "")
	anon := keys.AnonymousCredentials()
	chain := func(n int) keys.Credentials {
		c := base
		for i := range n {
			c = role(t, c, "arn:aws:iam::123456789012:role/r"+string(rune('0'+i)))
		}
		return c
	}
	web := must(keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleB, TokenFile: "/t", SessionName: "w1"}))
	okWeb := keys.WebIdentityInput{RoleARN: roleA, TokenFile: "/var/run/token", SessionName: "sess"}
	many := func(n int, s string) []string { return strings.Split(strings.Repeat(s+"\n", n)[:n*(len(s)+1)-1], "\n") }
	manyLabels := func(n int) []keys.Label {
		var l []keys.Label
		for i := range n {
			l = append(l, keys.Label{Key: "k" + strings.Repeat("x", i), Value: "v"})
		}
		return l
	}

	tests := []struct {
		name  string
		build func() error
		field string
	}{
		// Config.Region
		{"region upper case", cfg(keys.ConfigInput{Region: "US-EAST-1"}), "Config.Region"},
		{"region without number", cfg(keys.ConfigInput{Region: "us-east"}), "Config.Region"},
		{"region without dashes", cfg(keys.ConfigInput{Region: "useast1"}), "Config.Region"},
		{"region fips suffix", cfg(keys.ConfigInput{Region: "us-east-1-fips"}), "Config.Region"},
		{"region fips prefix", cfg(keys.ConfigInput{Region: "fips-us-east-1"}), "Config.Region"},
		{"region pseudo global", cfg(keys.ConfigInput{Region: "aws-global"}), "Config.Region"},
		{"region three digits", cfg(keys.ConfigInput{Region: "us-east-100"}), "Config.Region"},
		{"region space", cfg(keys.ConfigInput{Region: " us-east-1"}), "Config.Region"},
		{"region loose name without endpoint", cfg(keys.ConfigInput{Region: "auto"}), "Config.Region"},
		{"region loose with upper case", cfg(keys.ConfigInput{Region: "Auto", Endpoint: "https://r2.example"}), "Config.Region"},
		{"region loose trailing dash", cfg(keys.ConfigInput{Region: "auto-", Endpoint: "https://r2.example"}), "Config.Region"},
		// The shape allows up to 40 bytes; the documented limit is 32.
		{"region longer than 32 bytes", cfg(keys.ConfigInput{Region: "abcd-abcdefghij-abcdefghij-abcd-1"}), "Config.Region"},
		// Config.Profile
		{"profile leading space", cfg(keys.ConfigInput{Profile: " prod"}), "Config.Profile"},
		{"profile trailing space", cfg(keys.ConfigInput{Profile: "prod "}), "Config.Profile"},
		{"profile trailing no-break space", cfg(keys.ConfigInput{Profile: "prod\u00a0"}), "Config.Profile"},
		{"profile comment", cfg(keys.ConfigInput{Profile: "prod#1"}), "Config.Profile"},
		{"profile control", cfg(keys.ConfigInput{Profile: "pr\nod"}), "Config.Profile"},
		{"profile too long", cfg(keys.ConfigInput{Profile: strings.Repeat("p", 257)}), "Config.Profile"},
		{"profile invalid UTF-8", cfg(keys.ConfigInput{Profile: "pro\xffd"}), "Config.Profile"},
		// Shared files
		{"too many config files", cfg(keys.ConfigInput{SharedConfigFiles: many(17, "/f")}), "Config.SharedConfigFiles"},
		{"empty config file path", cfg(keys.ConfigInput{SharedConfigFiles: []string{"/a", ""}}), "Config.SharedConfigFiles[1]"},
		{"credentials file with NUL", cfg(keys.ConfigInput{SharedCredentialsFiles: []string{"/a\x00"}}), "Config.SharedCredentialsFiles[0]"},
		// Config.Endpoint
		{"endpoint without scheme", cfg(keys.ConfigInput{Endpoint: "example.com"}), "Config.Endpoint"},
		{"endpoint relative", cfg(keys.ConfigInput{Endpoint: "/path"}), "Config.Endpoint"},
		{"endpoint ftp", cfg(keys.ConfigInput{Endpoint: "ftp://example.com"}), "Config.Endpoint"},
		{"endpoint opaque", cfg(keys.ConfigInput{Endpoint: "https:example.com"}), "Config.Endpoint"},
		{"endpoint user info", cfg(keys.ConfigInput{Endpoint: "https://user:pw@example.com"}), "Config.Endpoint"},
		{"endpoint query", cfg(keys.ConfigInput{Endpoint: "https://example.com?a=1"}), "Config.Endpoint"},
		{"endpoint empty query", cfg(keys.ConfigInput{Endpoint: "https://example.com?"}), "Config.Endpoint"},
		{"endpoint fragment", cfg(keys.ConfigInput{Endpoint: "https://example.com#f"}), "Config.Endpoint"},
		{"endpoint empty fragment", cfg(keys.ConfigInput{Endpoint: "https://example.com/#"}), "Config.Endpoint"},
		{"endpoint no host", cfg(keys.ConfigInput{Endpoint: "https://:443"}), "Config.Endpoint"},
		{"endpoint port zero", cfg(keys.ConfigInput{Endpoint: "https://example.com:0"}), "Config.Endpoint"},
		{"endpoint port too big", cfg(keys.ConfigInput{Endpoint: "https://example.com:65536"}), "Config.Endpoint"},
		{"endpoint empty port", cfg(keys.ConfigInput{Endpoint: "https://example.com:"}), "Config.Endpoint"},
		// url.Parse reads these as host ":" (or "a:") and port 1; they were
		// accepted and normalised to "http://[:]:1", which is not a URL
		// (found by FuzzValidation).
		{"endpoint IPv6 without brackets", cfg(keys.ConfigInput{Endpoint: "http://::1"}), "Config.Endpoint"},
		{"endpoint colon in host", cfg(keys.ConfigInput{Endpoint: "http://a::1"}), "Config.Endpoint"},
		{"endpoint space in host", cfg(keys.ConfigInput{Endpoint: "https://exa mple.com"}), "Config.Endpoint"},
		{"endpoint too long", cfg(keys.ConfigInput{Endpoint: "https://e.com/" + strings.Repeat("p", 2048)}), "Config.Endpoint"},
		// Enums
		{"unknown FIPS", cfg(keys.ConfigInput{FIPS: 3}), "Config.FIPS"},
		{"unknown dual-stack", cfg(keys.ConfigInput{DualStack: 9}), "Config.DualStack"},
		{"unknown defaults mode", cfg(keys.ConfigInput{DefaultsMode: "fast"}), "Config.DefaultsMode"},
		{"defaults mode wrong case", cfg(keys.ConfigInput{DefaultsMode: "Standard"}), "Config.DefaultsMode"},
		{"unknown retry mode", cfg(keys.ConfigInput{RetryMode: "eager"}), "Config.RetryMode"},
		{"negative max attempts", cfg(keys.ConfigInput{RetryMaxAttempts: -1}), "Config.RetryMaxAttempts"},
		{"unknown request checksum", cfg(keys.ConfigInput{RequestChecksumCalculation: 3}), "Config.RequestChecksumCalculation"},
		{"unknown response checksum", cfg(keys.ConfigInput{ResponseChecksumValidation: 7}), "Config.ResponseChecksumValidation"},
		// Config.AppID, CABundle, Name, Labels
		{"app ID too long", cfg(keys.ConfigInput{AppID: strings.Repeat("a", 51)}), "Config.AppID"},
		{"app ID with space", cfg(keys.ConfigInput{AppID: "my app"}), "Config.AppID"},
		{"CA bundle not PEM", cfg(keys.ConfigInput{CABundle: []byte("/etc/ssl/ca.pem")}), "Config.CABundle"},
		{"CA bundle without certificate", cfg(keys.ConfigInput{CABundle: []byte("-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n")}), "Config.CABundle"},
		{"CA bundle too large", cfg(keys.ConfigInput{CABundle: append([]byte(pem1), make([]byte, 8<<20)...)}), "Config.CABundle"},
		{"name with control", cfg(keys.ConfigInput{Name: "http\tclient"}), "Config.Name"},
		{"name too long", cfg(keys.ConfigInput{Name: strings.Repeat("n", 257)}), "Config.Name"},
		{"name with DEL", cfg(keys.ConfigInput{Name: "http\x7fclient"}), "Config.Name"},
		{"name with C1 control", cfg(keys.ConfigInput{Name: "http\u0085client"}), "Config.Name"},
		{"label key empty", cfg(keys.ConfigInput{Labels: labels("a", "1", "", "2")}), "Config.Labels[1].Key"},
		{"label key with space", cfg(keys.ConfigInput{Labels: labels("a b", "1")}), "Config.Labels[0].Key"},
		{"label key too long", cfg(keys.ConfigInput{Labels: labels(strings.Repeat("k", 64), "1")}), "Config.Labels[0].Key"},
		{"label value control", cfg(keys.ConfigInput{Labels: labels("a", "x\x00")}), "Config.Labels[0].Value"},
		{"label value too long", cfg(keys.ConfigInput{Labels: labels("a", strings.Repeat("v", 257))}), "Config.Labels[0].Value"},
		{"label key repeated", cfg(keys.ConfigInput{Labels: labels("b", "1", "a", "2", "b", "3")}), "Config.Labels[2].Key"},
		{"too many labels", cfg(keys.ConfigInput{Labels: manyLabels(33)}), "Config.Labels"},

		// Static credentials
		{"secret without access key ID", st(keys.StaticInput{SecretAccessKey: keys.NewSecret("s")}), "Credentials.Static.AccessKeyID"},
		{"token without secret", st(keys.StaticInput{AccessKeyID: "AKID", SessionToken: keys.NewSecret("t")}), "Credentials.Static.SessionToken"},
		{"token alone", st(keys.StaticInput{SessionToken: keys.NewSecret("t")}), "Credentials.Static.SessionToken"},
		{"access key ID without secret", st(keys.StaticInput{AccessKeyID: "AKID"}), "Credentials.Static.SecretAccessKey"},
		{"nothing at all", st(keys.StaticInput{}), "Credentials.Static.AccessKeyID"},
		{"access key ID with slash", st(keys.StaticInput{AccessKeyID: "AK/ID", SecretAccessKey: keys.NewSecret("s")}), "Credentials.Static.AccessKeyID"},
		{"access key ID with space", st(keys.StaticInput{AccessKeyID: "AK ID", SecretAccessKey: keys.NewSecret("s")}), "Credentials.Static.AccessKeyID"},
		{"access key ID too long", st(keys.StaticInput{AccessKeyID: strings.Repeat("A", 129), SecretAccessKey: keys.NewSecret("s")}), "Credentials.Static.AccessKeyID"},
		{"secret with newline", st(keys.StaticInput{AccessKeyID: "AKID", SecretAccessKey: keys.NewSecret("secret\n")}), "Credentials.Static.SecretAccessKey"},
		{"secret too long", st(keys.StaticInput{AccessKeyID: "AKID", SecretAccessKey: keys.NewSecret(strings.Repeat("s", 1025))}), "Credentials.Static.SecretAccessKey"},
		{"token with space", st(keys.StaticInput{AccessKeyID: "AKID", SecretAccessKey: keys.NewSecret("s"), SessionToken: keys.NewSecret("t t")}), "Credentials.Static.SessionToken"},
		{"token too long", st(keys.StaticInput{AccessKeyID: "AKID", SecretAccessKey: keys.NewSecret("s"), SessionToken: keys.NewSecret(strings.Repeat("t", 16385))}), "Credentials.Static.SessionToken"},
		// Profile credentials
		{"profile credentials empty", func() error { _, err := keys.ProfileCredentials(""); return err }, "Credentials.Profile"},
		{"profile credentials comment", func() error { _, err := keys.ProfileCredentials("a;"); return err }, "Credentials.Profile"},

		// Assume role
		{"role ARN missing", func() error {
			_, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{SessionName: "sess"})
			return err
		}, "Credentials.AssumeRole.RoleARN"},
		{"role ARN of a bucket", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:s3:::bucket"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN of a user", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:user/bob"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN short account", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::12345:role/x"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN with region", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam:us-east-1:123456789012:role/x"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN bad partition", ar(keys.AssumeRoleInput{RoleARN: "arn:azure:iam::123456789012:role/x"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN partition upper case", ar(keys.AssumeRoleInput{RoleARN: "arn:AWS:iam::123456789012:role/x"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN empty name", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN name too long", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/" + strings.Repeat("n", 65)}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN name bad char", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/a:b"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN empty path segment", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role//x"}), "Credentials.AssumeRole.RoleARN"},
		{"role ARN path with space", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/a b/x"}), "Credentials.AssumeRole.RoleARN"},
		// IAM's path, with the leading "/" the ARN leaves out, is at most
		// 512 characters: here 513.
		{"role ARN path over 512", ar(keys.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/" + strings.Repeat("p", 511) + "/x"}), "Credentials.AssumeRole.RoleARN"},
		{"session name missing", func() error {
			_, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA})
			return err
		}, "Credentials.AssumeRole.SessionName"},
		{"session name too short", ar(keys.AssumeRoleInput{SessionName: "a"}), "Credentials.AssumeRole.SessionName"},
		{"session name too long", ar(keys.AssumeRoleInput{SessionName: strings.Repeat("s", 65)}), "Credentials.AssumeRole.SessionName"},
		{"session name with space", ar(keys.AssumeRoleInput{SessionName: "my session"}), "Credentials.AssumeRole.SessionName"},
		{"external ID too short", ar(keys.AssumeRoleInput{ExternalID: keys.NewSecret("x")}), "Credentials.AssumeRole.ExternalID"},
		{"external ID too long", ar(keys.AssumeRoleInput{ExternalID: keys.NewSecret(strings.Repeat("x", 1225))}), "Credentials.AssumeRole.ExternalID"},
		{"external ID with space", ar(keys.AssumeRoleInput{ExternalID: keys.NewSecret("ext id")}), "Credentials.AssumeRole.ExternalID"},
		{"duration too short", ar(keys.AssumeRoleInput{Duration: 899 * time.Second}), "Credentials.AssumeRole.Duration"},
		{"duration too long", ar(keys.AssumeRoleInput{Duration: 43201 * time.Second}), "Credentials.AssumeRole.Duration"},
		{"duration negative", ar(keys.AssumeRoleInput{Duration: -time.Hour}), "Credentials.AssumeRole.Duration"},
		{"duration fraction of a second", ar(keys.AssumeRoleInput{Duration: time.Hour + time.Millisecond}), "Credentials.AssumeRole.Duration"},
		{"chained duration over an hour", ar(keys.AssumeRoleInput{Source: role(t, base, roleB), Duration: 2 * time.Hour}), "Credentials.AssumeRole.Duration"},
		{"chained on web identity over an hour", ar(keys.AssumeRoleInput{Source: web, Duration: 2 * time.Hour}), "Credentials.AssumeRole.Duration"},
		{"policy with control", ar(keys.AssumeRoleInput{Policy: "{\x01}"}), "Credentials.AssumeRole.Policy"},
		{"policy beyond Latin-1", ar(keys.AssumeRoleInput{Policy: "{\"a\":\"€\"}"}), "Credentials.AssumeRole.Policy"},
		{"policy too long", ar(keys.AssumeRoleInput{Policy: strings.Repeat(" ", 2049)}), "Credentials.AssumeRole.Policy"},
		{"source identity too short", ar(keys.AssumeRoleInput{SourceIdentity: "x"}), "Credentials.AssumeRole.SourceIdentity"},
		{"source identity bad char", ar(keys.AssumeRoleInput{SourceIdentity: "a/b"}), "Credentials.AssumeRole.SourceIdentity"},
		{"STS region malformed", ar(keys.AssumeRoleInput{STSRegion: "us-east"}), "Credentials.AssumeRole.STSRegion"},
		{"STS endpoint not a URL", ar(keys.AssumeRoleInput{STSEndpoint: "sts.amazonaws.com"}), "Credentials.AssumeRole.STSEndpoint"},
		{"source anonymous", ar(keys.AssumeRoleInput{Source: anon}), "Credentials.AssumeRole.Source"},
		{"role chain loops", ar(keys.AssumeRoleInput{Source: role(t, role(t, base, roleA), roleB), RoleARN: roleA}), "Credentials.AssumeRole.Source"},
		{"role assumes itself", ar(keys.AssumeRoleInput{Source: role(t, base, roleA), RoleARN: roleA}), "Credentials.AssumeRole.Source"},
		{"role chain loops through web identity", ar(keys.AssumeRoleInput{Source: web, RoleARN: roleB}), "Credentials.AssumeRole.Source"},
		{"role chain too deep", ar(keys.AssumeRoleInput{Source: chain(keys.MaxRoleChainDepth)}), "Credentials.AssumeRole.Source"},

		// Web identity
		{"web identity role ARN missing", wi(keys.WebIdentityInput{TokenFile: "/t", SessionName: "sess"}), "Credentials.WebIdentity.RoleARN"},
		{"web identity role ARN bad", wi(keys.WebIdentityInput{RoleARN: "role/x", TokenFile: "/t", SessionName: "sess"}), "Credentials.WebIdentity.RoleARN"},
		{"web identity session missing", wi(keys.WebIdentityInput{RoleARN: roleA, TokenFile: "/t"}), "Credentials.WebIdentity.SessionName"},
		{"web identity token file missing", wi(keys.WebIdentityInput{RoleARN: roleA, SessionName: "sess"}), "Credentials.WebIdentity.TokenFile"},
		{"web identity token file NUL", wi(keys.WebIdentityInput{RoleARN: roleA, SessionName: "sess", TokenFile: "/t\x00"}), "Credentials.WebIdentity.TokenFile"},
		{"web identity duration", wi(func() keys.WebIdentityInput { in := okWeb; in.Duration = time.Minute; return in }()), "Credentials.WebIdentity.Duration"},
		{"web identity duration fraction", wi(func() keys.WebIdentityInput { in := okWeb; in.Duration = time.Hour + 1; return in }()), "Credentials.WebIdentity.Duration"},
		{"web identity STS endpoint", wi(func() keys.WebIdentityInput { in := okWeb; in.STSEndpoint = "https://u@sts"; return in }()), "Credentials.WebIdentity.STSEndpoint"},
		{"web identity STS region", wi(func() keys.WebIdentityInput { in := okWeb; in.STSRegion = "EU"; return in }()), "Credentials.WebIdentity.STSRegion"},

		// Client
		{"service missing", cl(keys.ClientInput{}), "Client.Service"},
		{"service with space", cl(keys.ClientInput{Service: "s 3"}), "Client.Service"},
		{"service starting with digit", cl(keys.ClientInput{Service: "3s"}), "Client.Service"},
		{"service with dash", cl(keys.ClientInput{Service: "s3-control"}), "Client.Service"},
		{"service one letter", cl(keys.ClientInput{Service: "s"}), "Client.Service"},
		{"service Kelvin sign", cl(keys.ClientInput{Service: "\u212Ams"}), "Client.Service"},
		{"client region malformed", cl(keys.ClientInput{Service: "s3", Region: "auto"}), "Client.Region"},
		{"client endpoint bad", cl(keys.ClientInput{Service: "s3", Endpoint: "s3.local"}), "Client.Endpoint"},
		{"client name control", cl(keys.ClientInput{Service: "s3", Name: "\x1b[31m"}), "Client.Name"},
		{"S3 options on DynamoDB", cl(keys.ClientInput{Service: "dynamodb", S3: keys.S3Options{UsePathStyle: true}}), "Client.S3"},
		{"DynamoDB options on S3", cl(keys.ClientInput{Service: "s3", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryAuto}}), "Client.DynamoDB"},
		{"unknown UseARNRegion", cl(keys.ClientInput{Service: "s3", S3: keys.S3Options{UseARNRegion: 4}}), "Client.S3.UseARNRegion"},
		{"unknown DisableS3Express", cl(keys.ClientInput{Service: "s3", S3: keys.S3Options{DisableS3Express: 4}}), "Client.S3.DisableS3Express"},
		{"unknown DisableMultiRegionAccessPoints", cl(keys.ClientInput{Service: "s3", S3: keys.S3Options{DisableMultiRegionAccessPoints: 4}}), "Client.S3.DisableMultiRegionAccessPoints"},
		{"unknown endpoint discovery", cl(keys.ClientInput{Service: "dynamodb", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: 4}}), "Client.DynamoDB.EndpointDiscovery"},
		{"client region loose needs an endpoint", cl(keys.ClientInput{Config: must(keys.NewConfig(keys.ConfigInput{Region: "us-east-1"})), Service: "s3", Region: "nyc3"}), "Client.Region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.build()
			if err == nil {
				t.Fatalf("no error, want one for %s", tt.field)
			}
			if !errors.Is(err, keys.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var fe *keys.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
			if want := "keys: " + tt.field + ": "; !strings.HasPrefix(err.Error(), want) || fe.Reason == "" {
				t.Errorf("message %q, want prefix %q and a reason", err.Error(), want)
			}
		})
	}
}

// TestValidInputs pins inputs at the edges of each rule that must be
// accepted.
func TestValidInputs(t *testing.T) {
	t.Parallel()
	base := static(t, "AKIDBASE", "base-secret", "")
	chain := base
	for i := range keys.MaxRoleChainDepth {
		chain = role(t, chain, "arn:aws:iam::123456789012:role/r"+string(rune('0'+i)))
	}
	if chain.Depth() != keys.MaxRoleChainDepth {
		t.Errorf("Depth = %d, want %d", chain.Depth(), keys.MaxRoleChainDepth)
	}
	for _, r := range []string{"us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "us-iso-east-1",
		"us-isob-east-1", "ap-southeast-5", "eusc-de-east-1", "il-central-1", "mx-central-1", "ca-west-1"} {
		if _, err := keys.NewConfig(keys.ConfigInput{Region: r}); err != nil {
			t.Errorf("region %s: %v", r, err)
		}
	}
	for _, r := range []string{"auto", "nyc3", "us-west-004", "garage", "us-east-1"} {
		if _, err := keys.NewConfig(keys.ConfigInput{Region: r, Endpoint: "http://127.0.0.1:9000"}); err != nil {
			t.Errorf("region %s with an endpoint: %v", r, err)
		}
	}
	for _, arn := range []string{
		"arn:aws:iam::123456789012:role/a",
		"arn:aws-cn:iam::123456789012:role/service-role/My.Role+1=,@-_",
		"arn:aws-us-gov:iam::123456789012:role/a/b/c/" + strings.Repeat("n", 64),
		"arn:aws-iso-b:iam::123456789012:role/x",
		"arn:aws-eusc:iam::123456789012:role/x",
		"arn:aws:iam::123456789012:role/" + strings.Repeat("p", 510) + "/x", // a path of 512 with its leading "/"
	} {
		if _, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: arn, SessionName: "ab"}); err != nil {
			t.Errorf("role ARN %s: %v", arn, err)
		}
	}
	valid := []struct {
		name  string
		build func() error
	}{
		{"session name 64", ar(keys.AssumeRoleInput{SessionName: strings.Repeat("s", 64)})},
		{"session name all classes", ar(keys.AssumeRoleInput{SessionName: "aZ09_+=,.@-"})},
		{"external ID 2", ar(keys.AssumeRoleInput{ExternalID: keys.NewSecret("ab")})},
		{"external ID 1224 with : and /", ar(keys.AssumeRoleInput{ExternalID: keys.NewSecret("a:/" + strings.Repeat("x", 1221))})},
		{"duration 900s", ar(keys.AssumeRoleInput{Duration: 900 * time.Second})},
		{"duration 12h", ar(keys.AssumeRoleInput{Duration: 12 * time.Hour})},
		{"chained duration 1h", ar(keys.AssumeRoleInput{Source: role(t, base, roleB), Duration: time.Hour})},
		{"chain of MaxRoleChainDepth", ar(keys.AssumeRoleInput{Source: chain.Source(), RoleARN: roleB})},
		{"policy 2048 Latin-1", ar(keys.AssumeRoleInput{Policy: strings.Repeat("é", 2048)})},
		{"policy with tab and newline", ar(keys.AssumeRoleInput{Policy: "{\n\t\"a\": 1\r\n}"})},
		{"STS loose region with endpoint", ar(keys.AssumeRoleInput{STSRegion: "auto", STSEndpoint: "http://localhost:4566"})},
		{"access key ID short", st(keys.StaticInput{AccessKeyID: "minio", SecretAccessKey: keys.NewSecret("minio123")})},
		{"app ID 50 token chars", cfg(keys.ConfigInput{AppID: "a!#$%&'*+.^_`|~-" + strings.Repeat("z", 34)})},
		{"label value empty", cfg(keys.ConfigInput{Labels: labels("a", "")})},
		{"region of 32 bytes", cfg(keys.ConfigInput{Region: "abcd-abcdefghij-abcdefghij-abc-1"})},
		{"32 labels", cfg(keys.ConfigInput{Labels: func() []keys.Label {
			var l []keys.Label
			for i := range 32 {
				l = append(l, keys.Label{Key: "k" + strings.Repeat("x", i), Value: "v"})
			}
			return l
		}()})},
		{"IPv6 endpoint", cfg(keys.ConfigInput{Endpoint: "http://[::1]:4566"})},
		{"client loose region from config endpoint", cl(keys.ClientInput{Config: must(keys.NewConfig(keys.ConfigInput{Endpoint: "http://localhost:9000"})), Service: "s3", Region: "auto"})},
		{"client loose region from own endpoint", cl(keys.ClientInput{Service: "s3", Region: "auto", Endpoint: "http://localhost:9000"})},
		{"client upper-case service", cl(keys.ClientInput{Service: "DynamoDB", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryDisabled}})},
	}
	for _, v := range valid {
		if err := v.build(); err != nil {
			t.Errorf("%s: %v", v.name, err)
		}
	}
}

// TestCABundleWithAPrivateKeyIsRefused pins a secret kept in a key: a CA
// bundle that also holds a private key (a combined cert-and-key PEM file
// passed by mistake) was accepted, since its certificate satisfied the
// rule, and the key then held the private key's bytes for the AWS layer,
// where CABundle returns them and a reflection-based printer that follows
// pointers (spew with DisableMethods, go-cmp) shows them, against "a key
// holds no secret". The SDK ignores the block, so nothing said anything was
// wrong. It is now refused, naming Config.CABundle and echoing nothing.
func TestCABundleWithAPrivateKeyIsRefused(t *testing.T) {
	const keyBody = "cHJpdmF0ZS1rZXktbWF0ZXJpYWw="
	for _, typ := range []string{"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY"} {
		bundle := pem1 + "-----BEGIN " + typ + "-----\n" + keyBody + "\n-----END " + typ + "-----\n"
		k, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(bundle)})
		var fe *keys.FieldError
		if !errors.As(err, &fe) || fe.Field != "Config.CABundle" || !errors.Is(err, keys.ErrInvalid) {
			t.Errorf("a CA bundle with a %s block: key %v, error %v; want an error naming Config.CABundle", typ, k, err)
			continue
		}
		if strings.Contains(err.Error(), keyBody) {
			t.Errorf("the error echoes the private key: %v", err)
		}
	}
	// Certificates only, and what is not a PEM block around them, are fine.
	if _, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte("# CA of the lab\n" + pem1 + pem2)}); err != nil {
		t.Fatal(err)
	}
}

// TestCABundleBlocksTheSDKWouldSkipAreRefused: the SDK's certificate pool
// silently skips a PEM block that is not a CERTIFICATE block, has headers,
// or does not parse. A bundle of such blocks only was accepted and failed
// when the config loaded, with the SDK's error naming no parameter; one
// with a good certificate beside them lost the others without a word. Each
// is now refused, naming Config.CABundle and the block.
func TestCABundleBlocksTheSDKWouldSkipAreRefused(t *testing.T) {
	notDER := "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
	for _, tc := range []struct{ name, bundle, reason string }{
		{"not a certificate alone", notDER, "PEM block 0 is not an X.509 certificate"},
		{"not a certificate after a good one", pem1 + notDER, "PEM block 1 is not an X.509 certificate"},
		{"another type", pem1 + "-----BEGIN TRUSTED CERTIFICATE-----\nAQID\n-----END TRUSTED CERTIFICATE-----\n", "PEM block 1 is not of type CERTIFICATE"},
		{"headers", strings.Replace(pem2, "-----\nMIIB", "-----\nProc-Type: 4,ENCRYPTED\n\nMIIB", 1), "PEM block 0 has headers"},
		// Blocks pem.Decode passes over to the next one (and the SDK's
		// pool with it): a truncated file, a body that is not base64, an
		// END line of another type.
		{"no END line", pem1 + strings.TrimSuffix(pem2, "-----END CERTIFICATE-----\n"), "PEM block 1 is malformed"},
		{"no END line before a good one", strings.TrimSuffix(pem2, "-----END CERTIFICATE-----\n") + pem1, "PEM block 0 is malformed"},
		{"body not base64", pem1 + "-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n-----END CERTIFICATE-----\n" + pem2, "PEM block 1 is malformed"},
		{"END of another type", pem1 + strings.Replace(pem2, "-----END CERTIFICATE-----", "-----END X509 CERTIFICATE-----", 1), "PEM block 1 is malformed"},
		{"indented", pem1 + "  " + pem2, "PEM block 1 is malformed"},
		// A block the SDK skips because its BEGIN line does not start its
		// line shows by its END line (a review helper found these accepted,
		// the pool loading one certificate of two).
		{"byte-order mark", "\xEF\xBB\xBF" + pem1 + pem2, "PEM block 0 is malformed"},
		{"lone CR before a block", pem1 + "# second CA\r" + pem2, "PEM block 1 is malformed"},
		{"END line running into a BEGIN", strings.Replace(pem1, "-----END CERTIFICATE-----\n", "-----END ", 1) + pem2, "PEM block 0 is malformed"},
		{"a tab after BEGIN", pem1 + strings.Replace(pem2, "-----BEGIN CERTIFICATE", "-----BEGIN\tCERTIFICATE", 1), "PEM block 1 is malformed"},
		{"a stray END line", pem1 + pem2 + "-----END CERTIFICATE-----\n", "PEM block 2 is malformed"},
	} {
		_, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(tc.bundle)})
		var fe *keys.FieldError
		if !errors.As(err, &fe) || fe.Field != "Config.CABundle" || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: error %v, want one naming Config.CABundle: %s", tc.name, err, tc.reason)
		}
	}
	// Text around the blocks may not mention a PEM marker: a block the
	// pool skips could hide in it (review helpers found bundles accepted
	// of which the pool loaded one certificate of two, behind a marker the
	// check did not read as one: a lone CR, a tab, a sixth dash, a
	// byte-order mark). Windows line endings are fine.
	cr := func(s string) string { return strings.ReplaceAll(s, "\n", "\r") }
	noEnd := func(s string) string { return strings.TrimSuffix(s, "-----END CERTIFICATE-----\n") }
	tabs := strings.NewReplacer("-----BEGIN ", "-----BEGIN\t", "-----END ", "-----END\t")
	for _, tc := range []struct {
		name, bundle string
		loaded       int // by the SDK's pool
	}{
		{"lone-CR block after a lone-CR comment", pem1 + "# second CA\r" + cr(pem2), 1},
		{"lone-CR block before a good one", "# CAs\r" + cr(pem2) + "\n" + pem1, 1},
		{"a tab after BEGIN and END", pem1 + tabs.Replace(pem2), 1},
		{"byte-order mark, then a block without its END line", "\xEF\xBB\xBF" + noEnd(pem2) + pem1, 1},
		{"lone CR, then a block without its END line", pem1 + "# second CA\r" + noEnd(pem2), 1},
		{"six dashes", pem1 + strings.NewReplacer("-----BEGIN", "------BEGIN", "-----END", "------END").Replace(pem2), 1},
		{"a comment that mentions BEGIN", pem1 + "# Each certificate below starts with -----BEGIN CERTIFICATE-----\n" + pem2, 2},
		{"a comment that mentions END, last", pem1 + pem2 + "# -----END of bundle\n", 2},
	} {
		if n := poolLoads([]byte(tc.bundle)); n != tc.loaded {
			t.Fatalf("%s: the SDK's pool loads %d certificates, want %d", tc.name, n, tc.loaded)
		}
		_, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(tc.bundle)})
		var fe *keys.FieldError
		if !errors.As(err, &fe) || fe.Field != "Config.CABundle" || !strings.Contains(err.Error(), "mentions -----BEGIN or -----END") {
			t.Errorf("%s: error %v, want one naming Config.CABundle and the markers", tc.name, err)
		}
	}
	if _, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(strings.ReplaceAll(pem1+pem2, "\n", "\r\n"))}); err != nil {
		t.Errorf("a bundle with Windows line endings is refused: %v", err)
	}
	// A bundle already checked is accepted again (from memory), and a
	// change of one byte is checked anew.
	for range 2 {
		if _, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(pem1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(strings.Replace(pem1, "MIIB", "MIIC", 1))}); err == nil {
		t.Error("a bundle one byte away from a checked one was accepted unchecked")
	}
}

// TestCABundleReasonsQuoteNothingOfTheBundle: a refused CA bundle's reason
// quoted the PEM block's type, which is the caller's text (a secret pasted
// into the wrong field shows up there), and appended the X.509 parser's
// error, which can quote a certificate's names; the package promises that no
// error quotes an input. Each reason now names the block by its index only.
func TestCABundleReasonsQuoteNothingOfTheBundle(t *testing.T) {
	const pasted = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
	for _, bundle := range []string{
		"-----BEGIN AKIDX " + pasted + "-----\nAQID\n-----END AKIDX " + pasted + "-----\n",
		"-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n",
	} {
		_, err := keys.NewConfig(keys.ConfigInput{CABundle: []byte(bundle)})
		if err == nil {
			t.Fatal("a bundle of no certificate was accepted")
		}
		if msg := err.Error(); strings.Contains(msg, pasted) || strings.Contains(msg, "AKIDX") || strings.Contains(msg, "x509:") {
			t.Errorf("the reason quotes the bundle or the parser: %d bytes of message", len(msg))
		}
	}
}

// caBundleSeq numbers BenchmarkNewConfigCABundle's bundles.
var caBundleSeq int

// poolLoads returns the number of certificates the SDK's certificate pool
// (x509.CertPool.AppendCertsFromPEM) loads from bundle.
func poolLoads(bundle []byte) int {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(bundle)
	//lint:ignore SA1019 Subjects counts what a pool of our own loaded (no system roots)
	return len(pool.Subjects())
}

// BenchmarkNewConfigCABundle checks CA bundles of about 1 MiB and 8 MiB
// (the most NewConfig accepts) of good certificates, each iteration a new
// bundle (one byte of a comment changed, so that none is remembered as
// checked): per byte, the check must cost about the same at both sizes,
// and about what the SDK's pool costs to parse the bundle, beside it.
// The block count was read once per block over the rest of the bundle, and
// 8 MiB took 47 s (found by a review helper).
func BenchmarkNewConfigCABundle(b *testing.B) {
	for _, size := range []int{1 << 20, 8<<20 - 4096} {
		var sb strings.Builder
		sb.WriteString("# 0000000000\n")
		for sb.Len()+len(pem1)+len(pem2) <= size {
			sb.WriteString(pem1 + pem2)
		}
		bundle := []byte(sb.String())
		b.Run(fmt.Sprintf("impl=NewConfig/bytes=%d", len(bundle)), func(b *testing.B) {
			b.SetBytes(int64(len(bundle)))
			for b.Loop() {
				caBundleSeq++ // across runs too (-count): no bundle is checked twice
				copy(bundle[2:12], fmt.Sprintf("%010d", caBundleSeq))
				if _, err := keys.NewConfig(keys.ConfigInput{CABundle: bundle}); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Beside it, what the SDK does with the same bundle when the
		// config loads (config.WithCustomCABundle): the pool's own parse.
		b.Run(fmt.Sprintf("impl=x509.CertPool/bytes=%d", len(bundle)), func(b *testing.B) {
			b.SetBytes(int64(len(bundle)))
			for b.Loop() {
				if !x509.NewCertPool().AppendCertsFromPEM(bundle) {
					b.Fatal("the pool loaded nothing")
				}
			}
		})
	}
}

// TestCABundleCheckAgreesWithThePool replays many two-certificate bundles,
// varied as files are (separators, line endings, a marker line damaged or
// cut off), through NewConfig and through the SDK's pool (poolLoads): a
// bundle is accepted if and only if the pool loads both certificates.
// (Separators that mention a marker are refused by design, see
// ConfigInput.CABundle, and left out.) Review helpers found the check and
// the pool disagreeing twice; this is their enumeration.
func TestCABundleCheckAgreesWithThePool(t *testing.T) {
	seps := []string{"", "\n", "\r", "# c\r", "# c\n", "\xEF\xBB\xBF", " ", "\t", "\v", "\f", "\r\n", "x", "\n\n"}
	eols := []string{"\n", "\r\n", "\r", "\r\r\n", " \n", "\t\r\n"}
	damage := []func(string) string{
		func(c string) string { return c },
		func(c string) string { return strings.Replace(c, "-----BEGIN ", "-----BEGIN\t", 1) },
		func(c string) string { return strings.Replace(c, "-----END ", "-----END\t", 1) },
		func(c string) string { return strings.Replace(c, "-----END CERTIFICATE-----", "", 1) },
		func(c string) string { return strings.Replace(c, "-----END", "\xEF\xBB\xBF-----END", 1) },
		func(c string) string {
			return strings.NewReplacer("-----BEGIN", "------BEGIN", "-----END", "------END").Replace(c)
		},
	}
	cases := 0
	for _, s0 := range seps {
		for _, s1 := range seps {
			for _, eol := range eols {
				for d := range damage {
					for which := range 2 {
						certs := [2]string{pem1, pem2}
						certs[which] = damage[d](strings.ReplaceAll(certs[which], "\n", eol))
						bundle := []byte(s0 + certs[0] + s1 + certs[1] + "\n")
						_, err := keys.NewConfig(keys.ConfigInput{CABundle: bundle})
						if n := poolLoads(bundle); (err == nil) != (n == 2) {
							t.Fatalf("bundle %q: the pool loads %d certificates of 2, NewConfig's error %v", bundle, n, err)
						}
						cases++
					}
				}
			}
		}
	}
	t.Logf("%d bundles", cases)
}

// TestProfileNamesNoFileCanHoldAreRefused pins that a profile name the
// shared files cannot hold is refused: the SDK's
// ini parser cuts a section line at its first "#" or ";" (a comment), so
// "[profile team#1]" names no profile and LoadDefaultConfig with that
// profile fails at load time ("failed to get shared config profile").
func TestProfileNamesNoFileCanHoldAreRefused(t *testing.T) {
	for _, p := range []string{"team#1", "a;b", "#", "x ;y"} {
		_, err := keys.ProfileCredentials(p)
		var fe *keys.FieldError
		if !errors.As(err, &fe) || fe.Field != "Credentials.Profile" {
			t.Errorf("ProfileCredentials(%q): error %v, want a FieldError for Credentials.Profile", p, err)
		}
		_, err = keys.NewConfig(keys.ConfigInput{Profile: p})
		if !errors.As(err, &fe) || fe.Field != "Config.Profile" {
			t.Errorf("NewConfig with Profile %q: error %v, want a FieldError for Config.Profile", p, err)
		}
	}
}

// signingCapture records the Authorization header of the one request a client
// sends, and fails it.
type signingCapture struct{ auth string }

func (c *signingCapture) Do(r *http.Request) (*http.Response, error) {
	c.auth = r.Header.Get("Authorization")
	return nil, errors.New("not sent")
}

// sdkSigningRegions returns the region each of STS, S3 and SQS signs with
// when built with this region and base endpoint, or the error of the first
// that refuses to build a request.
func sdkSigningRegions(region, endpoint string) (map[string]string, error) {
	out := map[string]string{}
	c := &signingCapture{}
	cfg := aws.Config{Region: region, BaseEndpoint: aws.String(endpoint), HTTPClient: c, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	ctx := context.Background()
	scope := func(name string) error {
		// Credential=AKID/<date>/<region>/<service>/aws4_request
		_, rest, ok := strings.Cut(c.auth, "Credential=")
		if !ok {
			return errors.New(name + ": no request signed")
		}
		parts := strings.Split(strings.SplitN(rest, ",", 2)[0], "/")
		out[name] = parts[2]
		c.auth = ""
		return nil
	}
	for _, call := range []struct {
		name string
		do   func() error
	}{
		{"sts", func() error { _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil); return err }},
		{"s3", func() error {
			_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).
				GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
			return err
		}},
		{"sqs", func() error { _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, nil); return err }},
	} {
		err := call.do()
		if c.auth == "" {
			return nil, err // refused before sending
		}
		if err := scope(call.name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestAcceptedRegionIsTheOneTheSDKSigns: with a custom endpoint, a key accepts
// any signing region of [a-z0-9-] and says the region is "only the signing
// region". The SDK does not take every such region as given: a region
// containing "fips-" or "-fips" (fips-us-east-1, us-east-1-fips,
// nyc-fips-3) turns FIPS on and every client then fails to resolve its
// endpoint ("FIPS and custom endpoint are not supported"), an error at the
// first request naming no parameter; and S3 signs "aws-global" as
// us-east-1. A region the key accepts must be sent as given.
func TestAcceptedRegionIsTheOneTheSDKSigns(t *testing.T) {
	const endpoint = "http://localhost:9000"
	for _, region := range []string{
		"auto", "nyc3", "us-east-1", "fips", // accepted and sent as given
		"fips-us-east-1", "us-east-1-fips", "nyc-fips-3", "nofips-1", "aws-global",
	} {
		_, kerr := keys.NewConfig(keys.ConfigInput{Endpoint: endpoint, Region: region})
		sdk, err := sdkSigningRegions(region, endpoint)
		sdkOK := err == nil
		for _, r := range sdk {
			sdkOK = sdkOK && r == region
		}
		if kerr == nil && !sdkOK {
			t.Errorf("Config.Region %q with an endpoint is accepted, but the SDK does not sign with it (signed %v, error %v)", region, sdk, err)
		}
		if kerr != nil && sdkOK {
			t.Errorf("Config.Region %q with an endpoint is refused (%v), but the SDK signs with it as given", region, kerr)
		}
		if kerr != nil {
			var fe *keys.FieldError
			if !errors.As(kerr, &fe) || fe.Field != "Config.Region" {
				t.Errorf("Config.Region %q: error %v, want a FieldError on Config.Region", region, kerr)
			}
		}
	}
	// The same rule for the client's region and the STS region.
	cfg := must(keys.NewConfig(keys.ConfigInput{Endpoint: endpoint}))
	for _, region := range []string{"fips-us-east-1", "us-east-1-fips", "nyc-fips-3"} {
		if _, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3", Region: region}); err == nil {
			t.Errorf("Client.Region %q with an endpoint is accepted: the SDK turns FIPS on and fails", region)
		}
		if _, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "s1", STSRegion: region, STSEndpoint: endpoint}); err == nil {
			t.Errorf("AssumeRole STSRegion %q with an STS endpoint is accepted: the SDK turns FIPS on and fails", region)
		}
	}
	// Without an endpoint the AWS shape must not hold a word the SDK reads
	// as FIPS either: "us-nofips-1" has the shape, and the SDK would call
	// us-no1 with FIPS on.
	if _, err := keys.NewConfig(keys.ConfigInput{Region: "us-nofips-1"}); err == nil {
		t.Errorf("Config.Region us-nofips-1 is accepted: the SDK rewrites it to us-no1 with FIPS on")
	}
}

// TestEndpointVariantsWithACustomEndpointAreRefused pins keys the SDK's
// endpoint rules make useless (see TestKeysRefuseEndpointSettingsTheSDKRefuses
// in the root package, which shows the SDK refusing each): FIPS or dual-stack
// Enabled with a custom endpoint, including the STS endpoint of a role
// further down the credentials chain, and S3 Accelerate with path style, an
// endpoint or FIPS. Each error names the parameter.
func TestEndpointVariantsWithACustomEndpointAreRefused(t *testing.T) {
	withSTS := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		RoleARN: "arn:aws:iam::123456789012:role/base", SessionName: "base", STSEndpoint: "https://sts.local",
	}))
	chained := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source: withSTS, RoleARN: "arn:aws:iam::123456789012:role/top", SessionName: "top",
	}))
	fipsCfg := must(keys.NewConfig(keys.ConfigInput{Region: "us-east-1", FIPS: keys.Enabled}))
	dsCfg := must(keys.NewConfig(keys.ConfigInput{Region: "us-east-1", DualStack: keys.Enabled}))
	epCfg := must(keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Endpoint: "https://s3.local"}))
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"FIPS with an endpoint", errOf(keys.NewConfig(keys.ConfigInput{Endpoint: "https://s3.local", FIPS: keys.Enabled})), "Config.FIPS"},
		{"dual-stack with an endpoint", errOf(keys.NewConfig(keys.ConfigInput{Endpoint: "https://s3.local", DualStack: keys.Enabled})), "Config.DualStack"},
		{"FIPS with a chain's STS endpoint", errOf(keys.NewConfig(keys.ConfigInput{FIPS: keys.Enabled, Credentials: chained})), "Config.FIPS"},
		{"dual-stack with an STS endpoint", errOf(keys.NewConfig(keys.ConfigInput{DualStack: keys.Enabled, Credentials: withSTS})), "Config.DualStack"},
		{"client endpoint on FIPS", errOf(keys.NewClient(keys.ClientInput{Config: fipsCfg, Service: "sqs", Endpoint: "https://sqs.local"})), "Client.Endpoint"},
		{"client endpoint on dual-stack", errOf(keys.NewClient(keys.ClientInput{Config: dsCfg, Service: "sqs", Endpoint: "https://sqs.local"})), "Client.Endpoint"},
		{"accelerate with path style", errOf(keys.NewClient(keys.ClientInput{Service: "s3", S3: keys.S3Options{UseAccelerate: true, UsePathStyle: true}})), "Client.S3.UseAccelerate"},
		{"accelerate with an endpoint", errOf(keys.NewClient(keys.ClientInput{Service: "s3", Endpoint: "https://s3.local", S3: keys.S3Options{UseAccelerate: true}})), "Client.S3.UseAccelerate"},
		{"accelerate with the config's endpoint", errOf(keys.NewClient(keys.ClientInput{Config: epCfg, Service: "s3", S3: keys.S3Options{UseAccelerate: true}})), "Client.S3.UseAccelerate"},
		{"accelerate with FIPS", errOf(keys.NewClient(keys.ClientInput{Config: fipsCfg, Service: "s3", S3: keys.S3Options{UseAccelerate: true}})), "Client.S3.UseAccelerate"},
	} {
		var fe *keys.FieldError
		if !errors.As(tc.err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: error %v, want one naming %s", tc.name, tc.err, tc.field)
		}
	}
	// What the SDK accepts stays accepted.
	for _, in := range []keys.ConfigInput{
		{Endpoint: "https://s3.local", FIPS: keys.Disabled, DualStack: keys.Disabled, Credentials: chained},
		{FIPS: keys.Enabled, DualStack: keys.Enabled, Region: "us-east-1"},
	} {
		if _, err := keys.NewConfig(in); err != nil {
			t.Errorf("accepted by the SDK, refused here: %v", err)
		}
	}
	if _, err := keys.NewClient(keys.ClientInput{Config: dsCfg, Service: "s3", S3: keys.S3Options{UseAccelerate: true}}); err != nil {
		t.Errorf("accelerate with dual-stack, accepted by the SDK, refused here: %v", err)
	}
}

// TestProfileNamesWithSquareBracketsAreAccepted pins a refusal of profile
// names the shared files do hold: Profile and ProfileCredentials refused any
// square bracket ("no shared file could name the profile"), but the SDK's
// ini parser reads a section line as the text between its first "[" and its
// last "]", so "[profile a]b]" names the profile "a]b" and "[[prod]]" (in
// the credentials file) names "[prod]". LoadDefaultConfig loads those
// profiles; the keys refused them.
func TestProfileNamesWithSquareBracketsAreAccepted(t *testing.T) {
	for _, p := range []string{"[prod]", "a]", "a]b", "[x", "team[1]"} {
		dir := t.TempDir()
		cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
		if err := os.WriteFile(cfgFile, []byte("[profile "+p+"]\nregion = eu-west-3\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(credFile, []byte("["+p+"]\naws_access_key_id = AKIDBRACKET\naws_secret_access_key = not-a-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		sc, err := config.LoadSharedConfigProfile(context.Background(), p, func(o *config.LoadSharedConfigOptions) {
			o.ConfigFiles, o.CredentialsFiles = []string{cfgFile}, []string{credFile}
		})
		if err != nil || sc.Region != "eu-west-3" || sc.Credentials.AccessKeyID != "AKIDBRACKET" {
			t.Fatalf("profile %q: the SDK does not load it from the shared files (region %q, error %v)", p, sc.Region, err)
		}
		if _, err := keys.ProfileCredentials(p); err != nil {
			t.Errorf("ProfileCredentials(%q), a profile the shared files hold: %v", p, err)
		}
		if _, err := keys.NewConfig(keys.ConfigInput{Profile: p}); err != nil {
			t.Errorf("NewConfig with Profile %q, a profile the shared files hold: %v", p, err)
		}
	}
}

// sigv4Survives reports whether an STS request the SDK signs for endpoint
// still verifies once net/http has put it on the wire: the request is
// written as net/http writes it, read back as a server reads it, and signed
// again from what the server received, as AWS does to verify it.
func sigv4Survives(t *testing.T, endpoint string) bool {
	t.Helper()
	c := &requestCapture{}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), HTTPClient: c, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")}
	_, _ = sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), nil)
	if c.req == nil {
		t.Fatalf("endpoint %q: no request sent", endpoint)
	}
	var wire bytes.Buffer
	if err := c.req.Write(&wire); err != nil {
		t.Fatalf("endpoint %q: writing the request: %v", endpoint, err)
	}
	got, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("endpoint %q: reading the request back: %v", endpoint, err)
	}
	body, _ := io.ReadAll(got.Body)
	when, err := time.Parse("20060102T150405Z", got.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("endpoint %q: no signing time", endpoint)
	}
	check, _ := http.NewRequest(got.Method, "https://"+got.Host+got.URL.RequestURI(), bytes.NewReader(body))
	for k, v := range got.Header {
		if k != "Authorization" {
			check.Header[k] = v
		}
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "not-a-secret"},
		check, hex.EncodeToString(sum[:]), "sts", "us-east-1", when)
	if err != nil {
		t.Fatalf("endpoint %q: signing again: %v", endpoint, err)
	}
	return check.Header.Get("Authorization") == got.Header.Get("Authorization")
}

// requestCapture records the one request a client sends, and fails it.
type requestCapture struct{ req *http.Request }

func (c *requestCapture) Do(r *http.Request) (*http.Response, error) {
	if b, err := io.ReadAll(r.Body); err == nil {
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	c.req = r
	return nil, errors.New("not sent")
}

// TestEndpointWithANonASCIIHostIsRefused pins an accepted endpoint no signed
// request can use: the SDK signs the host name as given ("é.example") while
// net/http sends it in Punycode ("Host: xn--9ca.example"), so AWS, or any
// S3-compatible service, computes another signature and answers every
// request with SignatureDoesNotMatch. Written in Punycode, the same host
// works.
func TestEndpointWithANonASCIIHostIsRefused(t *testing.T) {
	if !sigv4Survives(t, "https://xn--9ca.example") {
		t.Fatal("a request to an ASCII host does not verify: the check is broken")
	}
	for _, e := range []string{"https://\u00e9.example", "https://%C3%A9.example", "http://\u212Aey.com:8080/p"} {
		if sigv4Survives(t, e) {
			t.Fatalf("endpoint %q: the SDK's signature survives the wire: non-ASCII hosts work", e)
		}
		assertEndpointRefused(t, e)
	}
}

// TestEndpointWithAnIPv6ZoneIsRefused pins accepted endpoints no signed
// request can use: the SDK signs an IPv6 literal with its zone
// ("host:[fe80::1%en0]:4566") while net/http leaves the zone out of the
// Host header it sends ("[fe80::1]:4566"), so every signed request fails
// with SignatureDoesNotMatch.
func TestEndpointWithAnIPv6ZoneIsRefused(t *testing.T) {
	if !sigv4Survives(t, "http://[fe80::1]:4566") {
		t.Fatal("a request to an IPv6 address does not verify: the check is broken")
	}
	for _, e := range []string{"http://[fe80::1%25en0]:4566", "https://[FE80::1%25Eth0]/p"} {
		if sigv4Survives(t, e) {
			t.Fatalf("endpoint %q: the SDK's signature survives the wire: IPv6 zones work", e)
		}
		for _, f := range []struct {
			field string
			err   func() error
		}{
			{"Config.Endpoint", func() error { _, err := keys.NewConfig(keys.ConfigInput{Endpoint: e}); return err }},
			{"Client.Endpoint", func() error { _, err := keys.NewClient(keys.ClientInput{Service: "s3", Endpoint: e}); return err }},
			{"Credentials.WebIdentity.STSEndpoint", func() error {
				_, err := keys.WebIdentityCredentials(keys.WebIdentityInput{RoleARN: roleA, SessionName: "sess", TokenFile: "/t", STSEndpoint: e})
				return err
			}},
		} {
			var fe *keys.FieldError
			if err := f.err(); !errors.As(err, &fe) || fe.Field != f.field {
				t.Errorf("endpoint %q: error %v, want a FieldError for %s", e, err, f.field)
			}
		}
	}
}

// TestPercentSignInAHostNameIsNotSaidToBeAllowedInAZone: the reason given
// for a "%" in a host name said only an IPv6 zone may hold one, while a
// zone is refused too (TestEndpointWithAnIPv6ZoneIsRefused).
func TestPercentSignInAHostNameIsNotSaidToBeAllowedInAZone(t *testing.T) {
	_, err := keys.NewConfig(keys.ConfigInput{Endpoint: "http://a%25b.example/"})
	var fe *keys.FieldError
	if !errors.As(err, &fe) || fe.Field != "Config.Endpoint" {
		t.Fatalf("error %v, want a FieldError for Config.Endpoint", err)
	}
	if strings.Contains(err.Error(), "zone may") {
		t.Errorf("error %q says an IPv6 zone may hold a percent sign; zones are refused", err)
	}
}

// TestEndpointHostNetHTTPCannotSendIsRefused pins accepted endpoints whose
// host name net/http cannot send as the SDK signs it. url.Parse accepts '"',
// '<' and '>' in a host name, and the SDK signs the host with them, while
// net/http finds the Host header invalid and sends an empty one instead, so
// every signed request fails with SignatureDoesNotMatch (as with an IPv6
// zone). A ']' outside an IPv6 literal parses too, but net/http's dialer
// refuses the address ("unexpected ']' in address") at every request. Each
// must be refused when the key is built, naming the field.
func TestEndpointHostNetHTTPCannotSendIsRefused(t *testing.T) {
	if !sigv4Survives(t, "http://a;b.example") {
		t.Fatal("a request to a host name with ';' does not verify: the check is broken")
	}
	for _, e := range []string{`http://a"b.example`, "https://a<b.example/p", "http://A>B.example:8080"} {
		if sigv4Survives(t, e) {
			t.Fatalf("endpoint %q: the SDK's signature survives the wire: net/http sends this host", e)
		}
	}
	e := "http://a]b.example:8080"
	req, err := http.NewRequest(http.MethodGet, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Transport{}).RoundTrip(req); err == nil || !strings.Contains(err.Error(), "unexpected ']'") {
		t.Fatalf("endpoint %q: net/http's error %v, want the dialer's refusal of the address", e, err)
	}
	for _, e := range []string{`http://a"b.example`, "https://a<b.example/p", "http://A>B.example:8080", "http://a]b.example:8080", "https://a]"} {
		assertEndpointRefused(t, e)
	}
}

// assertEndpointRefused fails t unless e is refused, with a FieldError naming
// the field, as a config's, a client's and an assumed role's STS endpoint.
func assertEndpointRefused(t *testing.T, e string) {
	t.Helper()
	for _, f := range []struct {
		field string
		err   func() error
	}{
		{"Config.Endpoint", func() error { _, err := keys.NewConfig(keys.ConfigInput{Endpoint: e}); return err }},
		{"Client.Endpoint", func() error { _, err := keys.NewClient(keys.ClientInput{Service: "s3", Endpoint: e}); return err }},
		{"Credentials.AssumeRole.STSEndpoint", func() error {
			_, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleA, SessionName: "sess", STSEndpoint: e})
			return err
		}},
	} {
		var fe *keys.FieldError
		if err := f.err(); !errors.As(err, &fe) || fe.Field != f.field {
			t.Errorf("endpoint %q: error %v, want a FieldError for %s", e, err, f.field)
		}
	}
}

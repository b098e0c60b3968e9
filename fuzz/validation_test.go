package fuzz

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/clientcache/clientcache/internal/testcert"
	"github.com/clientcache/clientcache/keys"
)

// FuzzValidation feeds arbitrary values to every constructor. Validation
// must never panic, every error must follow the error contract, and every
// accepted key must re-validate: rebuilt from its accessors (credentials,
// with their sealed material) or from its Input method, it is the same key.
func FuzzValidation(f *testing.F) {
	f.Add("us-east-1", "prod", "https://S3.example.com:443/", "app", "client-v1", "tenant=acme\nenv=prod", "/etc/aws/config", "\x00",
		uint8(1), uint8(2), uint8(1), uint8(2), "standard", "adaptive", 3, []byte(pemCert),
		uint8(4), "AKIAEXAMPLE", "secret/key+1", "token==", "arn:aws:iam::123456789012:role/app", "session", "ext-id", `{"Version":"2012-10-17"}`, "alice", "eu-west-1", "https://sts.local", "/var/run/token", int64(3600),
		"S3", "us-west-2", "", "mw", uint16(1|1<<2|2<<5|1<<8), uint8(0)) // path style, ARN region on, S3 Express off, MRAP on
	f.Add("auto", "", "http://localhost:9000", "", "", "", "", "",
		uint8(0), uint8(0), uint8(0), uint8(0), "", "", 0, []byte(nil),
		uint8(2), "minio", "minio123", "", "", "", "", "", "", "", "", "", int64(0),
		"s3", "", "", "", uint16(1), uint8(0))
	f.Add("fips-us-east-1", "[x]", "ftp://x", "a b", "\x01", "=\n=", "\n", "a\x00b",
		uint8(3), uint8(4), uint8(3), uint8(9), "fast", "eager", -1, []byte("not pem"),
		uint8(7), "AK/ID", "secret\n", "tok en", "arn:aws:iam::1:role/x", "s", "x", "\x01", "x", "US", "x", "", int64(10),
		"3s", "nyc3", "s3.local", "\n", uint16(0xffff), uint8(5))
	f.Add("eu-central-2", "dev", "", "", "", "", "", "",
		uint8(0), uint8(0), uint8(0), uint8(0), "", "", 0, []byte(nil),
		uint8(8), "AKID", "s", "", "arn:aws-cn:iam::123456789012:role/path/x", "chain", "", "", "", "", "", "/t", int64(900),
		"dynamodb", "", "", "", uint16(0), uint8(2))
	f.Add("eu-central-2", "", "", "", "", "", "", "", // a role chain that loops
		uint8(0), uint8(0), uint8(0), uint8(0), "", "", 0, []byte(nil),
		uint8(7), "", "", "", "arn:aws:iam::123456789012:role/loop", "chain", "", "", "", "", "", "", int64(0),
		"sts", "", "", "", uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T,
		region, profile, endpoint, appID, name, labels, configFiles, credentialsFiles string,
		fips, dualStack, requestChecksum, responseChecksum uint8, defaultsMode, retryMode string, attempts int, caBundle []byte,
		kind uint8, akid, secret, token, roleARN, session, externalID, policy, sourceIdentity, stsRegion, stsEndpoint, tokenFile string, duration int64,
		service, clientRegion, clientEndpoint, clientName string, s3 uint16, dynamodb uint8,
	) {
		static := func() (keys.Credentials, error) {
			return keys.StaticCredentials(keys.StaticInput{AccessKeyID: akid, SecretAccessKey: keys.NewSecret(secret), SessionToken: keys.NewSecret(token)})
		}
		assume := func(src keys.Credentials, arn string) (keys.Credentials, error) {
			return keys.AssumeRoleCredentials(keys.AssumeRoleInput{
				Source: src, RoleARN: arn, SessionName: session, ExternalID: keys.NewSecret(externalID), Duration: seconds(duration),
				Policy: policy, SourceIdentity: sourceIdentity, STSRegion: stsRegion, STSEndpoint: stsEndpoint,
			})
		}
		web := func() (keys.Credentials, error) {
			return keys.WebIdentityCredentials(keys.WebIdentityInput{
				RoleARN: roleARN + "-web", TokenFile: tokenFile, SessionName: session, Duration: seconds(duration),
				STSRegion: stsRegion, STSEndpoint: stsEndpoint,
			})
		}
		var creds keys.Credentials
		var err error
		switch kind % 9 {
		case 0:
		case 1:
			creds = keys.AnonymousCredentials()
		case 2:
			creds, err = static()
		case 3:
			creds, err = keys.ProfileCredentials(profile)
		case 4:
			if creds, err = static(); err == nil {
				creds, err = assume(creds, roleARN)
			}
		case 5:
			creds, err = web()
		case 6:
			if creds, err = web(); err == nil {
				creds, err = assume(creds, roleARN)
			}
		case 7: // a loop unless the ARNs are invalid
			if creds, err = assume(keys.Credentials{}, roleARN); err == nil {
				creds, err = assume(creds, roleARN)
				var fe *keys.FieldError
				if !errors.As(err, &fe) || fe.Field != "Credentials.AssumeRole.Source" {
					t.Fatalf("a chain naming one role twice: error %v, want a loop refused on Credentials.AssumeRole.Source", err)
				}
			}
		case 8: // a chain of up to 7 roles: deeper than MaxRoleChainDepth fails
			for i := range int(s3 % 8) {
				checkError(t, err)
				if err == nil {
					creds, err = assume(creds, roleARN+strconv.Itoa(i))
				}
			}
		}
		checkError(t, err)
		if err != nil {
			creds = keys.Credentials{}
		} else {
			rebuild(t, creds)
			if creds.Depth() > keys.MaxRoleChainDepth {
				t.Fatalf("chain of depth %d accepted", creds.Depth())
			}
		}

		k, err := keys.NewConfig(keys.ConfigInput{
			Region: region, Profile: profile, SharedConfigFiles: parseList(configFiles), SharedCredentialsFiles: parseList(credentialsFiles),
			Endpoint: endpoint, FIPS: keys.Tristate(fips), DualStack: keys.Tristate(dualStack),
			DefaultsMode: keys.DefaultsMode(defaultsMode), RetryMode: keys.RetryMode(retryMode), RetryMaxAttempts: attempts,
			AppID: appID, RequestChecksumCalculation: keys.ChecksumMode(requestChecksum), ResponseChecksumValidation: keys.ChecksumMode(responseChecksum),
			CABundle: caBundle, Name: name, Labels: parseLabels(labels), Credentials: creds,
		})
		checkError(t, err)
		if err != nil {
			k = keys.Config{}
		} else {
			again, err := keys.NewConfig(k.Input())
			if err != nil || again != k {
				t.Fatalf("an accepted config does not re-validate to itself (error %v)", err)
			}
			checkKey(t, k)
			if (k.FIPS() == keys.Enabled || k.DualStack() == keys.Enabled) && (k.Endpoint() != "" || hasSTSEndpoint(k.Credentials())) {
				t.Fatalf("a config with FIPS or dual-stack enabled and a custom endpoint is accepted: the SDK refuses every request of it")
			}
		}

		c, err := keys.NewClient(keys.ClientInput{
			Config: k, Service: service, Region: clientRegion, Endpoint: clientEndpoint, Name: clientName,
			S3: keys.S3Options{
				UsePathStyle: s3&1 != 0, UseAccelerate: s3&2 != 0, UseARNRegion: keys.Tristate(s3 >> 2 & 7),
				DisableS3Express: keys.Tristate(s3 >> 5 & 7), DisableMultiRegionAccessPoints: keys.Tristate(s3 >> 8 & 7),
			},
			DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscovery(dynamodb % 6)},
		})
		checkError(t, err)
		if err == nil {
			again, err := keys.NewClient(c.Input())
			if err != nil || again != c {
				t.Fatalf("an accepted client does not re-validate to itself (error %v)", err)
			}
			checkKey(t, c)
			cfg := c.Config()
			if c.Endpoint() != "" && (cfg.FIPS() == keys.Enabled || cfg.DualStack() == keys.Enabled) {
				t.Fatalf("a client endpoint on a config with FIPS or dual-stack enabled is accepted: the SDK refuses every request of it")
			}
			if s3 := c.S3(); s3.UseAccelerate && (s3.UsePathStyle || c.Endpoint() != "" || cfg.Endpoint() != "" || cfg.FIPS() == keys.Enabled) {
				t.Fatalf("S3 Accelerate with path style, a custom endpoint or FIPS is accepted: S3 refuses every request of it")
			}
		}
	})
}

// hasSTSEndpoint reports whether c or a role it is assumed from calls STS at
// a custom endpoint.
func hasSTSEndpoint(c keys.Credentials) bool {
	for ; c != (keys.Credentials{}); c = c.Source() {
		if c.STSEndpoint() != "" {
			return true
		}
	}
	return false
}

type key interface {
	Bytes() []byte
	Fingerprint() string
	String() string
	MarshalJSON() ([]byte, error)
}

// checkKey asserts the basic shape of an accepted key's outputs.
func checkKey(t *testing.T, k key) {
	t.Helper()
	if b := k.Bytes(); len(b) < 2 || b[0] != 0x01 {
		t.Fatalf("encoding does not start with the version byte")
	}
	if len(k.Fingerprint()) != 16 || k.String() == "" {
		t.Fatalf("empty fingerprint or label")
	}
	j, err := k.MarshalJSON()
	if err != nil || !json.Valid(j) {
		t.Fatalf("MarshalJSON is not valid JSON (error %v)", err)
	}
}

// pemCert is a CA certificate that parses.
const pemCert = testcert.CA1

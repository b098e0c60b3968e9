package keys_test

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/clientcache/clientcache/keys"
)

// goldenKey is a key whose encoding is pinned.
type goldenKey interface {
	Bytes() []byte
	Fingerprint() string
}

// TestGoldenEncoding pins the canonical encoding and fingerprint of a set of
// keys, so that an accidental change of format between releases fails here.
// A deliberate change must bump the version byte and update these vectors.
//
// Keys with secrets encode per-process HMAC digests; for them the test fixes
// the HMAC key through an export_test.go hook, so it must not run in
// parallel with other tests.
func TestGoldenEncoding(t *testing.T) {
	restore := keys.SetDigestKey([]byte("golden-vector-hmac-key-32-bytes!"))
	defer restore()

	web := must(keys.WebIdentityCredentials(keys.WebIdentityInput{
		RoleARN: "arn:aws:iam::123456789012:role/ci", TokenFile: "/var/run/token", SessionName: "ci",
	}))
	chain := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source: web, RoleARN: "arn:aws:iam::210987654321:role/deploy", SessionName: "deploy",
		Policy: `{"Version":"2012-10-17"}`, SourceIdentity: "alice", STSRegion: "eu-west-1",
	}))
	stat := must(keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: keys.NewSecret("wJalrXUtnFEMI"), SessionToken: keys.NewSecret("FwoGZXIvYXdzE")}))
	ext := must(keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source: stat, RoleARN: "arn:aws:iam::123456789012:role/x", SessionName: "x1", ExternalID: keys.NewSecret("tenant-42"), Duration: time.Hour,
	}))
	full := must(keys.NewConfig(keys.ConfigInput{
		Region: "eu-west-1", Profile: "prod", SharedConfigFiles: []string{"/etc/aws/config"}, SharedCredentialsFiles: []string{},
		Endpoint: "HTTPS://S3.Example.com:443/", FIPS: keys.Disabled, DualStack: keys.Disabled,
		DefaultsMode: keys.DefaultsModeStandard, RetryMode: keys.RetryModeAdaptive, RetryMaxAttempts: 300,
		AppID: "inventory", RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenSupported,
		CABundle: []byte(pem1), Name: "http", Labels: labels("tenant", "acme", "env", "prod"),
		Credentials: must(keys.ProfileCredentials("prod")),
	}))

	tests := []struct {
		name        string
		key         goldenKey
		hex         string
		fingerprint string
	}{
		// Worked by hand: version 01, type 01 (Config), tag 01 (region),
		// length 09, "us-east-1".
		{"config region", must(keys.NewConfig(keys.ConfigInput{Region: "us-east-1"})),
			"0101" + "0109" + hex.EncodeToString([]byte("us-east-1")), "990f6d342a1da8e0"},
		{"zero config", keys.Config{}, "0101", "9dcf97a184f32623"},
		{"default credentials", keys.Credentials{}, "0102", "a12871fee210fb86"},
		{"anonymous", keys.AnonymousCredentials(), "0102" + "010101" /* tag 1, length 1, kind 1 (anonymous) */, "ace0e2f76b1f8480"},
		{"full config", full, "0101010965752d776573742d31020470726f640311010f2f6574632f6177732f636f6e666967040100051668747470733a2f2f73332e6578616d706c652e636f6d06010207010208087374616e64617264090861646170746976650a02ac020b09696e76656e746f72790c01020d01010e204d500242c86941e118a0b1cecbdebd0de55b4b1aca5faa2785a0dbbacd88b3810f0468747470101503656e760470726f640674656e616e740461636d65110a02010103050470726f64", "dabb97963edc5b91"},
		{"web identity chain", chain, "0102010104062561726e3a6177733a69616d3a3a3231303938373635343332313a726f6c652f6465706c6f7907066465706c6f79090284070a2052279714d77bcfad953e90e091f01cf2b8df980cb4c43eea600ce15103933a2c0b05616c6963650c0965752d776573742d310e3b02010105062161726e3a6177733a69616d3a3a3132333435363738393031323a726f6c652f6369070263690f0e2f7661722f72756e2f746f6b656e", "9913c6d700a64a91"},
		{"static with secrets", stat, "0102010102020b414b49414558414d504c45032084609c6bfd42b4237fa25a5ea10e2478a3e313bc539cb1a75f6bf2d4399e3ba00420c10c063ad0c2d17ff47802cb89b7e3f7ebf5953316ff99c35d1a1f38e6e22de7", "9a45b5be641c32d1"},
		{"assume-role with external ID", ext, "0102010104062061726e3a6177733a69616d3a3a3132333435363738393031323a726f6c652f7807027831082077c5a945d4c02e128a009ddb38ec21135838904225c9dc9aee4cc8bc3bc745e40902901c0e5502010102020b414b49414558414d504c45032084609c6bfd42b4237fa25a5ea10e2478a3e313bc539cb1a75f6bf2d4399e3ba00420c10c063ad0c2d17ff47802cb89b7e3f7ebf5953316ff99c35d1a1f38e6e22de7", "a9ec5f67ffa2ca08"},
		{"client", must(keys.NewClient(keys.ClientInput{
			Config: must(keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: ext})), Service: "s3",
			Endpoint: "http://localhost:9000", Name: "mw",
			S3: keys.S3Options{UsePathStyle: true, UseARNRegion: keys.Disabled, DisableS3Express: keys.Enabled},
		})), "010301b60101010975732d656173742d3111a70102010104062061726e3a6177733a69616d3a3a3132333435363738393031323a726f6c652f7807027831082077c5a945d4c02e128a009ddb38ec21135838904225c9dc9aee4cc8bc3bc745e40902901c0e5502010102020b414b49414558414d504c45032084609c6bfd42b4237fa25a5ea10e2478a3e313bc539cb1a75f6bf2d4399e3ba00420c10c063ad0c2d17ff47802cb89b7e3f7ebf5953316ff99c35d1a1f38e6e22de7020273330415687474703a2f2f6c6f63616c686f73743a3930303005026d77060101080102090101", "aaff5dc7bb1764b2"},
		{"dynamodb client", must(keys.NewClient(keys.ClientInput{Service: "dynamodb", Region: "eu-central-2",
			DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryDisabled}})), "0103020864796e616d6f6462030c65752d63656e7472616c2d320b0103", "7fb6e20195f6c71d"},
	}
	for _, tt := range tests {
		got := hex.EncodeToString(tt.key.Bytes())
		if got != tt.hex {
			t.Errorf("%s: encoding\n got %s\nwant %s", tt.name, got, tt.hex)
		}
		if tt.key.Fingerprint() != tt.fingerprint {
			t.Errorf("%s: fingerprint %s, want %s", tt.name, tt.key.Fingerprint(), tt.fingerprint)
		}
	}
}

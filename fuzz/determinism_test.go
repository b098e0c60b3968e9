package fuzz

import (
	"bytes"
	"testing"

	"github.com/clientcache/clientcache/keys"
)

// FuzzDeterminism builds the same inputs twice, the second time with the
// labels in another order and the credentials built afresh: both must be
// accepted or both refused, and accepted keys must be == with equal bytes,
// fingerprints, labels and JSON.
func FuzzDeterminism(f *testing.F) {
	f.Add("us-east-1", "prod", "https://example.com/", "", "tenant=acme\nenv=prod\nteam=x", uint64(1), "AKIDEXAMPLE", "secret", "token", "ext-id")
	f.Add("auto", "", "HTTP://Minio:80", "n", "b=2\na=1", uint64(7), "", "", "", "")
	f.Add("eu-west-1", "", "", "", "k=v\nk=w", uint64(3), "AKID", "s", "", "")
	f.Add("cn-north-1", "p", "", "client", "x=\ny\nz=1", uint64(99), "AKID", "secret", "", "a")
	f.Fuzz(func(t *testing.T, region, profile, endpoint, name, labels string, seed uint64, akid, secret, token, externalID string) {
		build := func(ls []keys.Label) (keys.Config, error) {
			var creds keys.Credentials
			if akid != "" {
				c, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: akid, SecretAccessKey: keys.NewSecret(secret), SessionToken: keys.NewSecret(token)})
				if err != nil {
					return keys.Config{}, err
				}
				if externalID != "" {
					c, err = keys.AssumeRoleCredentials(keys.AssumeRoleInput{
						Source: c, RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "sess", ExternalID: keys.NewSecret(externalID),
					})
					if err != nil {
						return keys.Config{}, err
					}
				}
				creds = c
			}
			return keys.NewConfig(keys.ConfigInput{Region: region, Profile: profile, Endpoint: endpoint, Name: name, Labels: ls, Credentials: creds})
		}
		in := parseLabels(labels)
		k1, err1 := build(in)
		k2, err2 := build(shuffled(in, seed))
		checkError(t, err1)
		checkError(t, err2)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("label order decides acceptance: %v / %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		k3, _ := build(in)
		if k1 != k2 || k1 != k3 {
			t.Fatalf("equal inputs gave different keys")
		}
		if !bytes.Equal(k1.Bytes(), k2.Bytes()) || k1.Fingerprint() != k2.Fingerprint() || k1.String() != k2.String() {
			t.Fatalf("equal keys gave different encodings or labels")
		}
		j1, _ := k1.MarshalJSON()
		j2, _ := k2.MarshalJSON()
		if !bytes.Equal(j1, j2) {
			t.Fatalf("equal keys gave different JSON")
		}
		// The same holds one level up, with the service spelled differently.
		c1, err1 := keys.NewClient(keys.ClientInput{Config: k1, Service: "s3", Name: name})
		c2, err2 := keys.NewClient(keys.ClientInput{Config: k2, Service: "S3", Name: name})
		checkError(t, err1)
		if (err1 == nil) != (err2 == nil) || err1 == nil && (c1 != c2 || !bytes.Equal(c1.Bytes(), c2.Bytes())) {
			t.Fatalf("equal client inputs gave different results")
		}
	})
}

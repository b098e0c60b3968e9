package clientcache_test

import (
	"context"
	"errors"
	"fmt"
	"go/doc"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/keys"
)

// exampleWorld starts S3 and STS in-process (the examples need no AWS
// account) and returns the identities of a tenant.
func exampleWorld(tenant int) (*fakeaws.World, fakeaws.TenantKeys) {
	w, err := fakeaws.NewWorld("bucket")
	if err != nil {
		panic(err)
	}
	k, err := w.TenantKeys(tenant)
	if err != nil {
		panic(err)
	}
	return w, k
}

// A tenant's S3 client, built once from a config that assumes the tenant's
// role, then found by its identity. The keys are built here as a service
// would build them; w stands in for AWS (S3 and STS on loopback, with a
// certificate of their own). Against AWS, leave out STSEndpoint, CABundle,
// the checksum settings, Endpoint and UsePathStyle.
func Example() {
	w, _ := exampleWorld(7)
	defer w.Close()
	cache, err := clientcache.New(clientcache.Options{MaxConfigs: 100, MaxClients: 300})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	ctx := context.Background()

	// The service's own credentials, then the tenant's role assumed from
	// them. Secrets are sealed: a key never prints or logs them, and
	// compares them only by a keyed digest.
	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: fakeaws.BaseAccessKeyID, SecretAccessKey: keys.NewSecret(fakeaws.BaseSecret)})
	if err != nil {
		panic(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source:      base,
		RoleARN:     "arn:aws:iam::111122223333:role/tenant-7",
		SessionName: "my-service",
		ExternalID:  keys.NewSecret(fakeaws.ExternalIDPrefix + "7"),
		STSEndpoint: w.STS.URL(),
	})
	if err != nil {
		panic(err)
	}
	config, err := keys.NewConfig(keys.ConfigInput{
		Region:                     "us-east-1",
		Credentials:                role,
		CABundle:                   w.S3.CABundle(),
		RequestChecksumCalculation: keys.ChecksumWhenRequired,
		ResponseChecksumValidation: keys.ChecksumWhenRequired,
	})
	if err != nil {
		panic(err)
	}
	s3Key, err := keys.NewClient(keys.ClientInput{Config: config, Service: "s3", Endpoint: w.S3.URL(), S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		panic(err)
	}

	for range 3 {
		client, err := clientcache.Client(ctx, cache, s3Key, s3.NewFromConfig)
		if err != nil {
			panic(err)
		}
		_, err = client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("bucket"), Key: aws.String("greeting"), Body: strings.NewReader("hello"),
		})
		if err != nil {
			panic(err)
		}
	}
	st := cache.Stats()
	fmt.Println("clients built:", st.ClientBuilds, "AssumeRole calls:", w.STS.Calls(), "client hits:", st.Clients.Hits)
	// Output:
	// clients built: 1 AssumeRole calls: 1 client hits: 2
}

// Clients of one identity share its config: one credentials cache (one
// AssumeRole call) and one connection pool.
func ExampleClient() {
	w, tenant := exampleWorld(1)
	defer w.Close()
	cache, err := clientcache.New(clientcache.Options{})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	ctx := context.Background()

	s3c, err := clientcache.Client(ctx, cache, tenant.S3, s3.NewFromConfig)
	if err != nil {
		panic(err)
	}
	ddb, err := clientcache.Client(ctx, cache, tenant.DynamoDB, dynamodb.NewFromConfig)
	if err != nil {
		panic(err)
	}
	fmt.Println("same pool:", s3c.Options().HTTPClient == ddb.Options().HTTPClient)
	fmt.Println("AssumeRole calls:", w.STS.Calls())

	// A key for S3 never returns a DynamoDB client.
	_, err = clientcache.Client(ctx, cache, tenant.S3, dynamodb.NewFromConfig)
	fmt.Println(err)
	// Output:
	// same pool: true
	// AssumeRole calls: 1
	// clientcache: invalid argument: Client(key): a key for service "s3" used with a dynamodb constructor
}

// The aws.Config of an identity, for code that builds its own clients.
func ExampleCache_Config() {
	w, tenant := exampleWorld(2)
	defer w.Close()
	cache, err := clientcache.New(clientcache.Options{})
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	cfg, err := cache.Config(context.Background(), tenant.Config)
	if err != nil {
		panic(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Region, creds.Source, strings.HasPrefix(creds.AccessKeyID, "ASIA"))
	// Output:
	// us-east-1 AssumeRoleProvider true
}

// Objects built from a client (the Go counterpart of boto3 resources) are
// cached by the client's identity and a name.
func ExampleDerived() {
	w, tenant := exampleWorld(3)
	defer w.Close()
	cache, err := clientcache.New(clientcache.Options{})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	presigner := func(c *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(c), nil }

	p1, err := clientcache.Derived(context.Background(), cache, tenant.S3, s3.NewFromConfig, "presign", presigner)
	if err != nil {
		panic(err)
	}
	p2, err := clientcache.Derived(context.Background(), cache, tenant.S3, s3.NewFromConfig, "presign", presigner)
	if err != nil {
		panic(err)
	}
	req, err := p1.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("report.csv")})
	if err != nil {
		panic(err)
	}
	fmt.Println(p1 == p2, req.Method, strings.Contains(req.URL, "X-Amz-Signature="))

	// Drop the presigner (the S3 client stays cached); the next call builds
	// a new one.
	fmt.Println(clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](cache, tenant.S3, "presign"))
	p3, err := clientcache.Derived(context.Background(), cache, tenant.S3, s3.NewFromConfig, "presign", presigner)
	if err != nil {
		panic(err)
	}
	fmt.Println(p3 == p1)
	// Output:
	// true GET true
	// true
	// false
}

// Dict-like access, as in the original library: look up without building,
// add a client built elsewhere (never overwriting), list in eviction order.
func ExampleGetClient() {
	w, tenant := exampleWorld(4)
	defer w.Close()
	cache, err := clientcache.New(clientcache.Options{})
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	_, ok := clientcache.GetClient[*s3.Client](cache, tenant.S3)
	fmt.Println("cached before:", ok)
	mine := s3.New(s3.Options{Region: "us-east-1"})
	fmt.Println(clientcache.AddClient(cache, tenant.S3, mine))
	err = clientcache.AddClient(cache, tenant.S3, mine) // the error names the key, redacted
	fmt.Println("added again:", errors.Is(err, clientcache.ErrExists))
	got, ok := clientcache.GetClient[*s3.Client](cache, tenant.S3)
	fmt.Println("cached after:", ok, got == mine, cache.Len())

	// An STS client of the same identity, added second, is the next victim
	// once the S3 client is used again.
	stsKey, err := keys.NewClient(keys.ClientInput{Config: tenant.S3.Config(), Service: "sts"})
	if err != nil {
		panic(err)
	}
	if err := clientcache.AddClient(cache, stsKey, sts.New(sts.Options{Region: "us-east-1"})); err != nil {
		panic(err)
	}
	clientcache.GetClient[*s3.Client](cache, tenant.S3)
	for k := range cache.Keys() {
		fmt.Println(k.Type) // the key itself prints redacted
	}
	// Output:
	// cached before: false
	// <nil>
	// added again: true
	// cached after: true true 1
	// *sts.Client
	// *s3.Client
}

// The process-wide default cache, for the one-liner the original offers.
func ExampleDefaultClient() {
	w, tenant := exampleWorld(5)
	defer w.Close()
	ctx := context.Background()

	client, err := clientcache.DefaultClient(ctx, tenant.S3, s3.NewFromConfig)
	if err != nil {
		panic(err)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k"), Body: strings.NewReader("v")})
	if err != nil {
		panic(err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k")})
	if err != nil {
		panic(err)
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		panic(err)
	}
	fmt.Println(string(body))
	// Output:
	// v
}

// Keys print a readable label with secrets masked, under every verb.
func ExampleClientKey() {
	w, tenant := exampleWorld(6)
	defer w.Close()
	k := clientcache.ClientKey{Type: reflect.TypeFor[*s3.Client](), Key: tenant.S3}
	s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k.Key.Config())
	fmt.Println(strings.Contains(s, fakeaws.BaseSecret), strings.Contains(s, fakeaws.ExternalIDPrefix), strings.Contains(s, "***"))
	fmt.Println(strings.HasPrefix(k.String(), "*s3.Client "))
	// Output:
	// false false true
	// true
}

// TestEveryExampleIsRun: go test runs an example only if its function ends
// with an output comment (a comment group that starts with "Output:"); an
// example whose output comment follows a prose comment line, with no blank
// line between them, is compiled but never run, so what it prints is checked
// by nothing (concurrent's ExampleNew was). Every example of every module in
// the repository must be run.
func TestEveryExampleIsRun(t *testing.T) {
	fset := token.NewFileSet()
	examples := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, ex := range doc.Examples(f) {
			examples++
			if ex.Output == "" && !ex.EmptyOutput {
				t.Errorf("%s: Example%s has no output comment go test recognises: it is compiled, never run", path, ex.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if examples == 0 {
		t.Fatal("no example found: the walk does not see the test files")
	}
}

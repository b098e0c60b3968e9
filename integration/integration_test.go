package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/sivchari/kumo"
	"go.uber.org/goleak"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// kumo starts a DynamoDB TTL reaper that it never stops; everything else
// must be gone.
func TestMain(m *testing.M) {
	testwait.Main(m, goleak.IgnoreTopFunction("github.com/sivchari/kumo/internal/service/dynamodb.(*MemoryStorage).ttlReaper"))
}

// emulator is kumo behind a counting proxy: AssumeRole calls, and
// connections opened by clients.
type emulator struct {
	kumo        *kumo.Server
	proxy       *httptest.Server
	assumeRoles atomic.Int64
	open        atomic.Int64
	opened      atomic.Int64
}

func newEmulator(t *testing.T) *emulator {
	t.Helper()
	e := &emulator{kumo: kumo.NewServer()}
	target, err := url.Parse(e.kumo.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	// Pass bodies through untouched: DynamoDB checks a CRC32 of the bytes.
	rp.Transport = &http.Transport{DisableCompression: true}
	e.proxy = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), "Action=AssumeRole&") {
				e.assumeRoles.Add(1)
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		rp.ServeHTTP(w, r)
	}))
	e.proxy.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			e.open.Add(1)
			e.opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			e.open.Add(-1)
		}
	}
	e.proxy.Start()
	t.Cleanup(func() {
		e.proxy.Close()
		rp.Transport.(*http.Transport).CloseIdleConnections()
		e.kumo.Close()
	})
	return e
}

type tenantKeys struct{ s3, ddb keys.Client }

func (e *emulator) tenant(t testing.TB, n int) tenantKeys {
	t.Helper()
	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDKUMOBASE", SecretAccessKey: keys.NewSecret("kumo-base-secret")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source: base, RoleARN: fmt.Sprintf("arn:aws:iam::000000000000:role/tenant-%d", n),
		SessionName: "clientcache-integration", STSEndpoint: e.proxy.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := keys.NewConfig(keys.ConfigInput{
		Region: "us-east-1", Credentials: role, RetryMaxAttempts: 1,
		RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired,
		Labels: []keys.Label{{Key: "tenant", Value: fmt.Sprint(n)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s3k, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3", Endpoint: e.proxy.URL, S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	ddbk, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "dynamodb", Endpoint: e.proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	return tenantKeys{s3: s3k, ddb: ddbk}
}

// TestTenantsAgainstKumo: tenants assume their roles through kumo's STS and
// use S3 and DynamoDB from many goroutines: one AssumeRole per tenant, the
// data of each tenant where it put it.
func TestTenantsAgainstKumo(t *testing.T) {
	const tenants, goroutines = 4, 8
	e := newEmulator(t)
	c, err := clientcache.New(clientcache.Options{MaxConfigs: 2 * tenants, MaxClients: 2 * tenants})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// Each tenant's bucket and table, made with its own clients. kumo's
	// services keep their state per process, not per server: names unique
	// to this run let the test run again in one process (-count).
	run := runs.Add(1)
	for n := range tenants {
		k := e.tenant(t, n)
		s3c, err := clientcache.Client(ctx, c, k.s3, s3.NewFromConfig)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(tenantName(run, n))}); err != nil {
			t.Fatal(err)
		}
		ddb, err := clientcache.Client(ctx, c, k.ddb, dynamodb.NewFromConfig)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(tenantName(run, n)),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		}); err != nil {
			t.Fatal(err)
		}
	}

	// The keys first: e.tenant may call t.Fatal, which must not run on
	// the goroutines below.
	tks := make([]tenantKeys, tenants)
	for n := range tenants {
		tks[n] = e.tenant(t, n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, tenants*goroutines)
	for g := range goroutines {
		for n := range tenants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- useTenant(ctx, c, tks[n], run, n, g)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.assumeRoles.Load(); n != tenants {
		t.Fatalf("%d AssumeRole calls for %d tenants", n, tenants)
	}
	if st := c.Stats(); st.ClientBuilds != 2*tenants || st.Configs.Loads != tenants+1 {
		t.Fatalf("%d clients built, %d configs loaded", st.ClientBuilds, st.Configs.Loads)
	}
}

// runs numbers TestTenantsAgainstKumo's runs in this process.
var runs atomic.Int64

// tenantName is the bucket and table of tenant n in run run.
func tenantName(run int64, n int) string { return fmt.Sprintf("tenant-%d-run-%d", n, run) }

func useTenant(ctx context.Context, c *clientcache.Cache, k tenantKeys, run int64, n, g int) error {
	s3c, err := clientcache.Client(ctx, c, k.s3, s3.NewFromConfig)
	if err != nil {
		return err
	}
	bucket, key := tenantName(run, n), fmt.Sprintf("object-%d", g)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(key)}); err != nil {
		return err
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return err
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || string(body) != key {
		return fmt.Errorf("tenant %d: got %q, %v", n, body, err)
	}
	ddb, err := clientcache.Client(ctx, c, k.ddb, dynamodb.NewFromConfig)
	if err != nil {
		return err
	}
	item := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: key}}
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: &bucket, Item: item}); err != nil {
		return err
	}
	got, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: &bucket, Key: item})
	if err != nil {
		return err
	}
	if v, ok := got.Item["id"].(*ddbtypes.AttributeValueMemberS); !ok || v.Value != key {
		return fmt.Errorf("tenant %d: item %v", n, got.Item)
	}
	return nil
}

// TestStampedeAgainstKumo: 1,000 goroutines missing one tenant: one
// AssumeRole call, one client.
func TestStampedeAgainstKumo(t *testing.T) {
	e := newEmulator(t)
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k := e.tenant(t, 1)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := clientcache.Client(context.Background(), c, k.ddb, dynamodb.NewFromConfig); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n, b := e.assumeRoles.Load(), c.Stats().ClientBuilds; n != 1 || b != 1 {
		t.Fatalf("%d AssumeRole calls, %d clients built", n, b)
	}
}

// TestEvictionReleasesConnectionsAgainstKumo: evicting a tenant closes its
// connections; Close closes the rest.
func TestEvictionReleasesConnectionsAgainstKumo(t *testing.T) {
	e := newEmulator(t)
	c, err := clientcache.New(clientcache.Options{MaxConfigs: 1, MaxClients: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for n := range 3 {
		ddb, err := clientcache.Client(ctx, c, e.tenant(t, n).ddb, dynamodb.NewFromConfig)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "every connection to the emulator to close after Close", func() bool { return e.open.Load() == 0 })
	if e.opened.Load() == 0 {
		t.Fatal("no connection was opened")
	}
}

package clientcache_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testclock"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// Secrets the tests use; no output may ever contain them.
const (
	baseSecret   = "base-secret-9f3c1a77"
	externalIDOf = "ext-id-" // + tenant
)

// world is S3 and STS, started in-process on loopback for one test.
type world struct {
	s3  *fakeaws.S3
	sts *fakeaws.STS
	ca  []byte
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldOver(t, false)
}

// newWorldOver is newWorld with endpoints speaking HTTP/2 if http2 is set
// (HTTP/1.1 otherwise).
func newWorldOver(t *testing.T, http2 bool) *world {
	t.Helper()
	newS3, newSTS := fakeaws.NewS3, fakeaws.NewSTS
	if http2 {
		newS3, newSTS = fakeaws.NewS3HTTP2, fakeaws.NewSTSHTTP2
	}
	s3srv, err := newS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	stssrv := newSTS()
	t.Cleanup(func() { s3srv.Close(); stssrv.Close() })
	// The static keys whose AssumeRole signatures STS verifies, and whose
	// requests S3 verifies (IAM users' keys, valid for both).
	for _, id := range []string{"AKIDSERVICEBASE", "AKIDRECORDBASE", "AKIDSTSREGION", "AKIDNAMEDPROVIDER", "AKIDENVBASE", "AKIDSLASH"} {
		stssrv.AddUser(id, baseSecret)
		s3srv.AddUser(id, baseSecret)
	}
	// S3 verifies the signatures of the sessions STS issues too, and
	// refuses any other key unless a test adds it (w.s3.AddUser).
	s3srv.TrustIssuer(stssrv)
	// Both present httptest's certificate; trust it through the identity's
	// custom CA bundle, as a service behind a private CA would.
	if !bytes.Equal(s3srv.CABundle(), stssrv.CABundle()) {
		t.Fatal("the two endpoints present different certificates")
	}
	return &world{s3: s3srv, sts: stssrv, ca: s3srv.CABundle()}
}

func roleARN(tenant int) string {
	return fmt.Sprintf("arn:aws:iam::123456789012:role/tenant-%d", tenant)
}

// tenant returns the config identity of a tenant: a role assumed from the
// service's own static credentials.
func (w *world) tenant(t testing.TB, tenant int) keys.Config {
	t.Helper()
	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source:      base,
		RoleARN:     roleARN(tenant),
		SessionName: "clientcache-test",
		ExternalID:  keys.NewSecret(fmt.Sprint(externalIDOf, tenant)),
		STSRegion:   "us-east-1",
		STSEndpoint: w.sts.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w.config(t, role, keys.Label{Key: "tenant", Value: fmt.Sprint(tenant)})
}

// config returns the config identity of creds against the world's
// endpoints, with labels.
func (w *world) config(t testing.TB, creds keys.Credentials, labels ...keys.Label) keys.Config {
	t.Helper()
	k, err := keys.NewConfig(keys.ConfigInput{
		Region:           "us-east-1",
		CABundle:         w.ca,
		RetryMaxAttempts: 1, // a failing STS call fails at once
		// gofakes3 does not decode aws-chunked bodies with checksum
		// trailers, as many S3-compatible stores do not: ask for checksums
		// only where S3 requires them.
		RequestChecksumCalculation: keys.ChecksumWhenRequired,
		ResponseChecksumValidation: keys.ChecksumWhenRequired,
		Credentials:                creds,
		Labels:                     labels,
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (w *world) s3Key(t testing.TB, cfg keys.Config) keys.Client {
	t.Helper()
	k, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3", Endpoint: w.s3.URL(), S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tenantSessionOf returns the session that signed r, a request for the
// S3 path /bucket/tenant-N/..., and N, after checking that STS issued that
// session for tenant N's role and that r carried the session's token. (The
// fake S3, which trusts the world's STS, verified too that r was signed with
// the session's secret, or refused it.)
func (w *world) tenantSessionOf(t *testing.T, r fakeaws.Request) (fakeaws.Assumption, int) {
	t.Helper()
	a, ok := w.sts.Issued(r.SignedBy)
	if !ok {
		t.Fatalf("%s %s signed by %q, which STS never issued", r.Method, r.Path, r.SignedBy)
	}
	var tenant int
	if _, err := fmt.Sscanf(r.Path, "/bucket/tenant-%d/", &tenant); err != nil || a.RoleARN != roleARN(tenant) {
		t.Fatalf("%s %s signed by a session of %s", r.Method, r.Path, a.RoleARN)
	}
	if !a.CarriesItsSessionToken(r) {
		t.Fatalf("%s %s signed by %s without that session's token", r.Method, r.Path, r.SignedBy)
	}
	return a, tenant
}

// closeReleasingOnePool closes c, which built on one identity's pool, and
// fails unless Close released that pool and nothing held it twice (why, if
// not empty, says what a second hold would mean).
func closeReleasingOnePool(t *testing.T, c *clientcache.Cache, why string) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().PoolsReleased; n != 1 {
		if why != "" {
			t.Fatalf("one pool, %d released: %s", n, why)
		}
		t.Fatalf("one pool, %d released", n)
	}
}

func serviceKey(t testing.TB, cfg keys.Config, service string) keys.Client {
	t.Helper()
	k, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: service})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newClientCache(t *testing.T, o clientcache.Options) *clientcache.Cache {
	t.Helper()
	c, err := clientcache.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func put(ctx context.Context, c *s3.Client, key, body string) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Body: strings.NewReader(body)})
	return err
}

func get(ctx context.Context, c *s3.Client, key string) (string, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

// TestTenantsCostOneAssumeRoleEachAcrossServices: N tenants, 3 service
// clients each, many goroutines: exactly N AssumeRole calls, 3N client
// builds, and every S3 request signed with its own tenant's session.
func TestTenantsCostOneAssumeRoleEachAcrossServices(t *testing.T) {
	const tenants, goroutines = 6, 12
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{MaxConfigs: 2 * tenants, MaxClients: 3 * tenants})
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, tenants*goroutines)
	for g := range goroutines {
		for tn := range tenants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cfg := w.tenant(t, tn)
				s3c, err := clientcache.Client(ctx, c, w.s3Key(t, cfg), s3.NewFromConfig)
				if err != nil {
					errs <- err
					return
				}
				if _, err := clientcache.Client(ctx, c, serviceKey(t, cfg, "dynamodb"), dynamodb.NewFromConfig); err != nil {
					errs <- err
					return
				}
				if _, err := clientcache.Client(ctx, c, serviceKey(t, cfg, "sqs"), sqs.NewFromConfig); err != nil {
					errs <- err
					return
				}
				obj := fmt.Sprintf("tenant-%d/object-%d", tn, g)
				if err := put(ctx, s3c, obj, obj); err != nil {
					errs <- err
					return
				}
				if got, err := get(ctx, s3c, obj); err != nil || got != obj {
					errs <- fmt.Errorf("get %s = %q, %v", obj, got, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	if n := w.sts.Calls(); n != tenants {
		t.Fatalf("%d AssumeRole calls for %d tenants", n, tenants)
	}
	for tn := range tenants {
		if n := w.sts.CallsFor(roleARN(tn)); n != 1 {
			t.Fatalf("tenant %d: %d AssumeRole calls", tn, n)
		}
	}
	st := c.Stats()
	if st.ClientBuilds != 3*tenants {
		t.Fatalf("%d clients built, want %d", st.ClientBuilds, 3*tenants)
	}
	// Tenants assumed from one base share its identity: one config per
	// tenant, plus the base.
	if st.Configs.Loads != tenants+1 {
		t.Fatalf("%d configs loaded, want %d", st.Configs.Loads, tenants+1)
	}
	// Every S3 request was signed with the access key id of a session issued
	// for its tenant and carried that session's token (and, as the fake S3
	// verifies, was signed with the session's secret).
	log := w.s3.Log()
	if len(log) != 2*tenants*goroutines {
		t.Fatalf("%d S3 requests, want %d", len(log), 2*tenants*goroutines)
	}
	for _, r := range log {
		a, tn := w.tenantSessionOf(t, r)
		if a.SignedBy != "AKIDSERVICEBASE" || a.ExternalID != fmt.Sprint(externalIDOf, tn) || a.SessionName != "clientcache-test" {
			t.Fatalf("AssumeRole request %+v", a.AssumeRoleRequest)
		}
	}
	// One pool per identity: a tenant's three clients share one HTTP client,
	// and once warm, requests take a pooled connection instead of dialling.
	// (The server's handshake count cannot tell: the transport may still be
	// finishing a dial it started for a request the burst served from another
	// connection; that dial lands in the pool, and using it is no new dial.)
	var dialled []string
	warmCtx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if !info.Reused && !info.WasIdle {
				dialled = append(dialled, info.Conn.LocalAddr().String())
			}
		},
	})
	for tn := range tenants {
		cfg := w.tenant(t, tn)
		s3c, _ := clientcache.GetClient[*s3.Client](c, w.s3Key(t, cfg))
		ddb, _ := clientcache.GetClient[*dynamodb.Client](c, serviceKey(t, cfg, "dynamodb"))
		sq, _ := clientcache.GetClient[*sqs.Client](c, serviceKey(t, cfg, "sqs"))
		if s3c.Options().HTTPClient != ddb.Options().HTTPClient || s3c.Options().HTTPClient != sq.Options().HTTPClient {
			t.Fatalf("tenant %d: its clients use different HTTP clients", tn)
		}
		for range 5 {
			if _, err := get(warmCtx, s3c, fmt.Sprintf("tenant-%d/object-0", tn)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(dialled) != 0 {
		t.Fatalf("sequential requests on warm pools dialled %d new connections (%v)", len(dialled), dialled)
	}
}

// TestStampedeOnOneTenant: 1,000 goroutines missing one tenant at once cost
// one AssumeRole call and one client build.
func TestStampedeOnOneTenant(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	release := make(chan struct{})
	w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior {
		<-release // hold the credential call until everyone has missed
		return fakeaws.Behavior{}
	})
	key := w.s3Key(t, w.tenant(t, 1))
	start := make(chan struct{})
	var wg sync.WaitGroup
	clients := make(chan *s3.Client, 1000)
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cl, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig)
			if err != nil {
				t.Error(err)
			}
			clients <- cl
		}()
	}
	close(start)
	testwait.Until(t, "the AssumeRole call", func() bool { return w.sts.Calls() == 1 })
	time.Sleep(50 * time.Millisecond) // let the others pile up behind it (more would only strengthen the test)
	close(release)
	wg.Wait()
	close(clients)
	var first *s3.Client
	for cl := range clients {
		if first == nil {
			first = cl
		}
		if cl != first {
			t.Fatal("callers received different clients")
		}
	}
	if n, b := w.sts.Calls(), c.Stats().ClientBuilds; n != 1 || b != 1 {
		t.Fatalf("%d AssumeRole calls and %d client builds, want 1 and 1", n, b)
	}
}

// TestEvictionReleasesConnections: evicting the last holder of an identity's
// pool closes its idle connections (seen by the server); a pool a cached
// client still uses is never closed.
func TestEvictionReleasesConnections(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cfgKey := w.tenant(t, 1)
	key := w.s3Key(t, cfgKey)
	cl, err := clientcache.Client(ctx, c, key, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, cl, "tenant-1/a", "a"); err != nil {
		t.Fatal(err)
	}
	if w.s3.OpenConnections() != 1 || w.s3.Handshakes() != 1 {
		t.Fatalf("open %d, handshakes %d", w.s3.OpenConnections(), w.s3.Handshakes())
	}

	// The config goes, the client stays: its pool must stay open.
	if !c.DeleteConfig(cfgKey) {
		t.Fatal("config was not cached")
	}
	if err := put(ctx, cl, "tenant-1/b", "b"); err != nil {
		t.Fatal(err)
	}
	if w.s3.Handshakes() != 1 || w.s3.OpenConnections() != 1 {
		t.Fatalf("the pool of a cached client was closed: %d handshakes, %d open", w.s3.Handshakes(), w.s3.OpenConnections())
	}

	// The last holder goes: the server sees the connection close.
	if !clientcache.DeleteClient[*s3.Client](c, key) {
		t.Fatal("client was not cached")
	}
	testwait.Until(t, "the server to see the idle connection closed", func() bool { return w.s3.OpenConnections() == 0 })
	if st := c.Stats(); st.PoolsReleased != 1 {
		t.Fatalf("%d pools released", st.PoolsReleased)
	}
}

// TestEvictionBySizeReleasesTheVictimsPool: tenants pushed out by others
// lose their connections; Close releases the rest.
func TestEvictionBySizeReleasesTheVictimsPool(t *testing.T) {
	w := newWorld(t)
	c, err := clientcache.New(clientcache.Options{MaxConfigs: 2, MaxClients: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for tn := range 4 {
		cl, err := clientcache.Client(ctx, c, w.s3Key(t, w.tenant(t, tn)), s3.NewFromConfig)
		if err != nil {
			t.Fatal(err)
		}
		if err := put(ctx, cl, fmt.Sprintf("tenant-%d/x", tn), "x"); err != nil {
			t.Fatal(err)
		}
		// At most the live tenant's connection (and the one being closed).
		testwait.Until(t, "evicted tenants' connections to close", func() bool { return w.s3.OpenConnections() <= 1 })
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "Close to release every pool", func() bool { return w.s3.OpenConnections() == 0 })
}

// TestFailingSTS: an error response, throttling or a slow endpoint reach the
// caller, nothing is cached, the next call tries again, and other tenants'
// hits are not delayed.
func TestFailingSTS(t *testing.T) {
	for _, code := range []string{"AccessDenied", "Throttling"} {
		t.Run(code, func(t *testing.T) {
			w := newWorld(t)
			c := newClientCache(t, clientcache.Options{})
			key := w.s3Key(t, w.tenant(t, 1))
			w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Fail: code} })
			_, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig)
			if err == nil || !strings.Contains(err.Error(), code) {
				t.Fatalf("got %v, want the STS error %s", err, code)
			}
			assertNoSecret(t, err.Error())
			if c.Len() != 0 || slices.Contains(slices.Collect(c.ConfigKeys()), key.Config()) {
				t.Fatal("a failed load left something cached")
			}
			w.sts.SetBehavior(nil)
			if _, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig); err != nil {
				t.Fatalf("the next call must try again and succeed: %v", err)
			}
			if n := w.sts.Calls(); n != 2 {
				t.Fatalf("%d AssumeRole calls, want 2", n)
			}
		})
	}
	t.Run("slow", func(t *testing.T) {
		w := newWorld(t)
		c := newClientCache(t, clientcache.Options{})
		ctx := context.Background()
		hot := w.s3Key(t, w.tenant(t, 2))
		if _, err := clientcache.Client(ctx, c, hot, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
		unblock := make(chan struct{})
		w.sts.SetBehavior(func(r fakeaws.AssumeRoleRequest) fakeaws.Behavior {
			if r.RoleARN == roleARN(1) {
				<-unblock
			}
			return fakeaws.Behavior{}
		})
		slow := w.s3Key(t, w.tenant(t, 1))
		waitCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := clientcache.Client(waitCtx, c, slow, s3.NewFromConfig)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a caller whose deadline passed got %v", err)
		}
		// The load is still in flight; hits on another tenant go on.
		for range 1000 {
			if _, ok := clientcache.GetClient[*s3.Client](c, hot); !ok {
				t.Fatal("a hit on another tenant failed during the slow load")
			}
		}
		close(unblock)
		if _, err := clientcache.Client(ctx, c, slow, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLoadEndsItsRoleCall: when Options.LoadTimeout ends a load, or Close
// cancels it, its AssumeRole call ends with it. The first fetch once went
// through aws.CredentialsCache.Retrieve, which calls the provider under a
// context that never ends: the load returned and the call went on, on a
// goroutine nobody stopped, after Close had returned.
func TestLoadEndsItsRoleCall(t *testing.T) {
	stall := func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Delay: time.Hour} }
	t.Run("LoadTimeout", func(t *testing.T) {
		w := newWorld(t)
		w.sts.SetBehavior(stall)
		// A call still stalled (the defect) ends before the endpoint's Close,
		// which waits for it.
		t.Cleanup(w.sts.CloseClientConnections)
		c := newClientCache(t, clientcache.Options{LoadTimeout: 100 * time.Millisecond})
		key := w.tenant(t, 1)
		_, err := c.Config(context.Background(), key)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a load past LoadTimeout returned %v, want context.DeadlineExceeded", err)
		}
		testwait.Until(t, "the timed-out load's AssumeRole call to end", func() bool { return w.sts.InFlight() == 0 })
		if slices.Contains(slices.Collect(c.ConfigKeys()), key) {
			t.Fatal("a timed-out load left its config cached")
		}
	})
	t.Run("Close", func(t *testing.T) {
		w := newWorld(t)
		w.sts.SetBehavior(stall)
		// A call still stalled (the defect) ends before the endpoint's Close,
		// which waits for it.
		t.Cleanup(w.sts.CloseClientConnections)
		c := newClientCache(t, clientcache.Options{})
		done := make(chan error, 1)
		go func() {
			_, err := c.Config(context.Background(), w.tenant(t, 1))
			done <- err
		}()
		testwait.Until(t, "the AssumeRole call to start", func() bool { return w.sts.InFlight() == 1 })
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err == nil {
			t.Fatal("a load Close cancelled succeeded")
		}
		testwait.Until(t, "the cancelled load's AssumeRole call to end", func() bool { return w.sts.InFlight() == 0 })
	})
}

// loadBound is the Options.LoadTimeout of tests whose cache must end a
// stalled call and also finish loads that succeed (a role assumed over
// loopback TLS, its source refreshed first): long enough for those on a
// loaded two-core CI machine, where 300 ms once was not.
const loadBound = 2 * time.Second

// cacheEnds are the two ways the cache ends a fetch or a load of its own:
// Options.LoadTimeout (loadBound), or, with no timeout, Close (which the
// test calls).
var cacheEnds = []struct {
	name string
	o    clientcache.Options
}{{"LoadTimeout", clientcache.Options{LoadTimeout: loadBound}}, {"Close", clientcache.Options{}}}

// TestSourceRefreshEndsWithItsBounds: an assumed role's load can wait for
// its source identity's refresh (the source's credentials expired), which
// aws.CredentialsCache runs under a context that never ends, because
// every request of the source's clients may join it. Options.LoadTimeout
// bounds that refresh as it bounds a load, and Close cancels it. It once
// outlived the load it held up, and Close, for as long as STS took.
func TestSourceRefreshEndsWithItsBounds(t *testing.T) {
	for _, tc := range cacheEnds {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			t.Cleanup(w.sts.CloseClientConnections) // a call still stalled (the defect) ends before the endpoint's Close
			c := newClientCache(t, tc.o)
			ctx := context.Background()
			source, chained := w.chain(t)
			// The source's load gets credentials already expired by the
			// host's clock: the chained role's AssumeRole, signed with
			// them, refreshes them first, and that call stalls.
			w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
			if _, err := c.Config(ctx, source); err != nil {
				t.Fatal(err)
			}
			w.sts.SetBehavior(func(r fakeaws.AssumeRoleRequest) fakeaws.Behavior {
				if r.RoleARN == roleARN(1) {
					return fakeaws.Behavior{Delay: time.Hour}
				}
				return fakeaws.Behavior{}
			})
			done := make(chan error, 1)
			go func() {
				_, err := c.Config(ctx, chained)
				done <- err
			}()
			if tc.o.LoadTimeout == 0 {
				testwait.Until(t, "the source's refresh to start", func() bool { return w.sts.InFlight() == 1 })
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if err := <-done; err == nil {
				t.Fatal("the chained role's load succeeded")
			}
			if n := w.sts.CallsFor(roleARN(1)); n != 2 {
				t.Fatalf("the source role was assumed %d times, want 2 (its load, its refresh)", n)
			}
			testwait.Until(t, "the source's refresh to end", func() bool { return w.sts.InFlight() == 0 })
			if tc.o.LoadTimeout > 0 {
				// The refresh that failed left nothing behind: the next
				// load refreshes the source's credentials again.
				// The endpoint sees the failed refresh's call end before
				// the SDK's goroutine has returned its error: a load in
				// between joins that refresh and gets its deadline error
				// (once in CI's 386 run). A load after it must succeed.
				w.sts.SetBehavior(nil)
				var err error
				testwait.Until(t, "the chained role's load to succeed once STS answered", func() bool {
					_, err = c.Config(ctx, chained)
					return err == nil
				})
				if n := w.sts.CallsFor(roleARN(1)); n != 3 {
					t.Fatalf("the source role was assumed %d times, want 3", n)
				}
			}
		})
	}
}

// TestDefaultChainRefreshEndsAtClose: the default chain's and a profile's
// credentials are the SDK's, refreshed (as every aws.CredentialsCache
// refreshes) under a context that never ends, through clients the SDK
// builds from the cache's second load. A refresh in flight at Close went on
// for as long as its endpoint took, its connection open after Close (which
// the package documentation says leaves nothing open); it ends at Close.
func TestDefaultChainRefreshEndsAtClose(t *testing.T) {
	t.Run("profile role", func(t *testing.T) {
		stssrv, cfgFile := roleProfile(t, false)
		t.Cleanup(stssrv.CloseClientConnections) // a call still stalled (the defect) ends before the endpoint's Close
		cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, Profile: "tenant",
			Credentials: keys.DefaultCredentials(), CABundle: stssrv.CABundle()})
		if err != nil {
			t.Fatal(err)
		}
		stssrv.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
		refreshEndsAtClose(t, clientcache.Options{}, cfgKey, func() { // the next call stalls
			stssrv.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Delay: time.Hour} })
		}, func() {
			stssrv.SetBehavior(nil)
			stssrv.CloseClientConnections()
		}, stssrv.InFlight, stssrv)
	})
	// The container provider's calls are bounded through its API options,
	// which named EndpointCredentialOptions may replace (here with an
	// empty list): the bound held only while they appended.
	for _, named := range []struct {
		name string
		opts map[string][]func(*config.LoadOptions) error
	}{
		{"container endpoint", nil},
		{"container endpoint, API options replaced", map[string][]func(*config.LoadOptions) error{
			"replaced": {config.WithEndpointCredentialOptions(func(o *endpointcreds.Options) { o.APIOptions = nil })},
		}},
	} {
		t.Run(named.name, func(t *testing.T) {
			var stall atomic.Bool
			var inFlight atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if stall.Load() {
					inFlight.Add(1)
					defer inFlight.Add(-1)
					<-r.Context().Done()
					panic(http.ErrAbortHandler)
				}
				_ = json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": "AKIDCONTAINER", "SecretAccessKey": baseSecret,
					"Token": "container-token", "Expiration": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(srv.CloseClientConnections)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
			in := keys.ConfigInput{Region: "us-east-1", Credentials: keys.DefaultCredentials()}
			for name := range named.opts {
				in.Name = name
			}
			cfgKey, err := keys.NewConfig(in)
			if err != nil {
				t.Fatal(err)
			}
			refreshEndsAtClose(t, clientcache.Options{LoadOptions: named.opts}, cfgKey, func() { stall.Store(true) }, func() {
				stall.Store(false)
				srv.CloseClientConnections()
			}, inFlight.Load, nil)
		})
	}
}

// refreshEndsAtClose loads key, whose credentials the endpoint issues
// expired, makes the endpoint stall (stall), starts a refresh, closes the
// cache, and fails unless the refresh's call ends (inFlight 0) and, if srv
// is not nil, its connection closes. release makes the endpoint answer
// again (see closeEnding).
func refreshEndsAtClose(t *testing.T, o clientcache.Options, key keys.Config, stall, release func(), inFlight func() int64, srv interface{ OpenConnections() int64 }) {
	t.Helper()
	c := newUnclosedCache(t, o)
	cfg := retrieve(t, c, key, "")
	stall()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		_, err := cfg.Credentials.Retrieve(ctx)
		done <- err
	}()
	testwait.Until(t, "the refresh to reach the endpoint", func() bool { return inFlight() == 1 })
	closeEnding(t, c, "the refresh in flight", release)
	testwait.Until(t, "the refresh in flight at Close to end", func() bool { return inFlight() == 0 })
	err := <-done
	done <- err // for the Cleanup
	if !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("the refresh that Close ended failed with an error that is not ErrClosed (context.Canceled: %v)", errors.Is(err, context.Canceled))
	}
	if srv != nil {
		testwait.Until(t, "no connection open after Close", func() bool { return srv.OpenConnections() == 0 })
	}
}

// TestKeptClientRefreshesAfterClose: a client kept after Close goes on
// working, as one kept after its eviction does (see the package
// documentation); Close ends the credential fetches in flight, not the
// later ones. Every refresh of an assumed role's credentials after Close
// failed with context.Canceled, so the kept client failed for good once
// its credentials expired.
func TestKeptClientRefreshesAfterClose(t *testing.T) {
	w := newWorld(t)
	c := newUnclosedCache(t, clientcache.Options{})
	ctx := context.Background()
	w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
	cl, err := clientcache.Client(ctx, c, w.s3Key(t, w.tenant(t, 1)), s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	w.sts.SetBehavior(nil)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, cl, "tenant-1/kept", "x"); err != nil {
		t.Fatalf("a kept client's request after Close failed (context.Canceled: %v, ErrClosed: %v)",
			errors.Is(err, context.Canceled), errors.Is(err, clientcache.ErrClosed))
	}
	if n := w.sts.CallsFor(roleARN(1)); n != 2 {
		t.Fatalf("the role was assumed %d times, want 2 (the load, the kept client's refresh)", n)
	}

	// The same for a profile's role, which the SDK refreshes (Close ends
	// its calls in flight only: TestDefaultChainRefreshEndsAtClose).
	stssrv, cfgFile := roleProfile(t, false)
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, Profile: "tenant",
		Credentials: keys.DefaultCredentials(), CABundle: stssrv.CABundle()})
	if err != nil {
		t.Fatal(err)
	}
	c = newUnclosedCache(t, clientcache.Options{})
	stssrv.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
	cfg := retrieve(t, c, cfgKey, "")
	stssrv.SetBehavior(nil)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		t.Fatalf("a kept config's refresh after Close failed (ErrClosed: %v)", errors.Is(err, clientcache.ErrClosed))
	}
}

// TestRefreshErrorNamesItsBound: a refresh that the cache ends, at
// Options.LoadTimeout or at Close, fails the request that waits for it
// with an error that says so (errors.Is ErrClosed; the text names
// Options.LoadTimeout). The SDK reported only the context's error
// (context deadline exceeded, context canceled), and the causes the cache
// set were lost.
func TestRefreshErrorNamesItsBound(t *testing.T) {
	for _, tc := range cacheEnds {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			t.Cleanup(w.sts.CloseClientConnections)
			c := newUnclosedCache(t, tc.o)
			ctx := context.Background()
			w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
			cl, err := clientcache.Client(ctx, c, w.s3Key(t, w.tenant(t, 1)), s3.NewFromConfig)
			if err != nil {
				t.Fatal(err)
			}
			w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Delay: time.Hour} })
			done := make(chan error, 1)
			go func() { done <- put(ctx, cl, "tenant-1/x", "x") }()
			if tc.o.LoadTimeout == 0 {
				testwait.Until(t, "the refresh to start", func() bool { return w.sts.InFlight() == 1 })
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
			}
			// A refresh the cache does not end runs for the endpoint's hour:
			// fail then, naming the bound, instead of hanging the package
			// until go test's -timeout.
			select {
			case err = <-done:
			case <-time.After(testwait.Hang):
				t.Fatalf("the refresh was not ended by %s: the request still waits for it", tc.name)
			}
			if err == nil {
				t.Fatal("the request succeeded")
			}
			assertNoSecret(t, err.Error())
			if tc.o.LoadTimeout > 0 {
				if !strings.Contains(err.Error(), "Options.LoadTimeout") || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("the request's error does not name Options.LoadTimeout, or is not context.DeadlineExceeded: %v", err)
				}
			} else if !errors.Is(err, clientcache.ErrClosed) {
				t.Fatalf("the request's error is not ErrClosed: %v", err)
			}
		})
	}
}

// TestCloseWaitsForTheFetchesItEnds: Close ends the credential fetches in
// flight and, as it waits for the loads and builds it cancels, waits for
// them to return. It returned at once, the fetch (on a goroutine of the
// SDK's credentials cache) still running after it: here in an HTTP client
// of the caller's that takes a moment to give up once its request's context
// ends, as any transport does to unwind.
func TestCloseWaitsForTheFetchesItEnds(t *testing.T) {
	w := newWorld(t)
	var stall, returned atomic.Bool
	entered, release := make(chan struct{}, 1), make(chan struct{})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certPool(t, w.ca)}}
	t.Cleanup(tr.CloseIdleConnections)
	mine := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if !stall.Load() {
			return tr.RoundTrip(r)
		}
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release: // closeEnding's, when Close does not end the fetch
		}
		time.Sleep(100 * time.Millisecond) // unwinding: not a timing assertion, the fetch's return is checked below
		returned.Store(true)
		return nil, r.Context().Err()
	})}
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{"mine": {config.WithHTTPClient(mine)}}})
	in := w.tenant(t, 1).Input()
	in.CABundle, in.Name = nil, "mine"
	key, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
	cfg, err := c.Config(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	stall.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := cfg.Credentials.Retrieve(ctx)
		done <- err
	}()
	select {
	case <-entered:
	case <-time.After(testwait.Hang):
		t.Fatal("the credential fetch did not reach the caller's HTTP client")
	}
	closeEnding(t, c, "the credential fetch in flight", func() { close(release) })
	if !returned.Load() {
		t.Fatal("Close returned before the credential fetch it ended")
	}
	if err := <-done; !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("the fetch that Close ended failed with an error that is not ErrClosed (context.Canceled: %v)", errors.Is(err, context.Canceled))
	}
}

// closeEnding closes c, which should end the call in flight (what), and
// fails t if Close has not returned within testwait.Hang: a Close that
// waits for a call it does not end would otherwise hang the package until
// go test's -timeout, and the test's cleanups with it. release then makes
// the call return, so that Close and the cleanups can finish.
func closeEnding(t *testing.T, c *clientcache.Cache, what string, release func()) {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testwait.Hang):
		release()
		<-closed
		t.Fatalf("Close waited for %s instead of ending it", what)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestProfileSourceRefreshEndsAtLoadTimeout: a role assumed from a
// profile's credentials (here a profile that assumes a role itself, which
// the SDK refreshes) can wait, in its load, for its source's refresh, as
// TestSourceRefreshEndsWithItsBounds's role waits for a source the cache
// built. Options.LoadTimeout bounds that refresh too: it went on after the
// load it held up had failed, for as long as STS took.
func TestProfileSourceRefreshEndsAtLoadTimeout(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, false)
	t.Cleanup(stssrv.CloseClientConnections)
	profile, err := keys.ProfileCredentials("tenant")
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: profile, RoleARN: "arn:aws:iam::123456789012:role/chained",
		SessionName: "clientcache-test", STSRegion: "us-east-1", STSEndpoint: stssrv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	key := func(creds keys.Credentials) keys.Config {
		k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, CABundle: stssrv.CABundle(),
			RetryMaxAttempts: 1, Credentials: creds})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	c := newClientCache(t, clientcache.Options{LoadTimeout: loadBound})
	ctx := context.Background()
	stssrv.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
	retrieve(t, c, key(profile), "")
	stssrv.SetBehavior(func(r fakeaws.AssumeRoleRequest) fakeaws.Behavior {
		if r.RoleARN == fakeaws.RoleARN(1) {
			return fakeaws.Behavior{Delay: time.Hour}
		}
		return fakeaws.Behavior{}
	})
	if _, err := c.Config(ctx, key(role)); err == nil {
		t.Fatal("the chained role's load succeeded")
	}
	if n := stssrv.CallsFor(fakeaws.RoleARN(1)); n != 2 {
		t.Fatalf("the profile's role was assumed %d times, want 2 (its load, its refresh)", n)
	}
	testwait.Until(t, "the profile's refresh to end at Options.LoadTimeout", func() bool { return stssrv.InFlight() == 0 })
}

// chain returns the identity of tenant 1's role (assumed from static
// credentials), unlabelled, and that of a role assumed from it (role
// chaining), whose source identity it is.
func (w *world) chain(t *testing.T) (source, chained keys.Config) {
	t.Helper()
	source = w.config(t, w.tenant(t, 1).Credentials())
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source:      source.Credentials(),
		RoleARN:     "arn:aws:iam::123456789012:role/chained",
		SessionName: "clientcache-test",
		STSRegion:   "us-east-1",
		STSEndpoint: w.sts.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return source, w.config(t, role)
}

// assertNoSecret fails the test if s holds one of the world's secrets. Its
// message names the secret and where it starts, never the output itself,
// which would print the secret it found.
func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	if secret := secretIn(s); secret != "" {
		t.Fatalf("output of %d bytes holds %s", len(s), secret)
	}
}

// secretIn names the world's secret s holds, or returns "" (never the
// secret, nor the text around it).
func secretIn(s string) string {
	for _, secret := range []struct{ name, value string }{
		{"the base secret access key", baseSecret},
		{"the external ID", externalIDOf},
		{"the session token", sessionToken},
	} {
		if strings.Contains(s, secret.value) {
			return secret.name
		}
	}
	return ""
}

func TestBadInput(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cfg := w.tenant(t, 1)
	for _, tc := range []struct {
		name  string
		call  func() error
		param string
	}{
		{"zero key", func() error { _, err := clientcache.Client(ctx, c, keys.Client{}, s3.NewFromConfig); return err }, "Client(key)"},
		{"nil constructor", func() error {
			_, err := clientcache.Client[*s3.Client, s3.Options](ctx, c, w.s3Key(t, cfg), nil)
			return err
		}, "Client(newClient)"},
		{"unnamed options", func() error {
			_, err := clientcache.Client(ctx, c, w.s3Key(t, cfg), s3.NewFromConfig, func(*s3.Options) {})
			return err
		}, "Client(optFns)"},
		{"service mismatch", func() error {
			_, err := clientcache.Client(ctx, c, serviceKey(t, cfg, "s3"), dynamodb.NewFromConfig)
			return err
		}, "Client(key)"},
		{"empty derived name", func() error {
			_, err := clientcache.Derived(ctx, c, w.s3Key(t, cfg), s3.NewFromConfig, "", func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil })
			return err
		}, "Derived(name)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) {
				t.Fatalf("got %v, want ErrInvalid naming %s", err, tc.param)
			}
		})
	}
	if c.Len() != 0 || c.ConfigLen() != 0 || w.sts.Calls() != 0 {
		t.Fatal("bad input reached the cache or STS")
	}
	for _, o := range []clientcache.Options{{MaxConfigs: -1}, {MaxClients: -1}, {MaxDerived: -1}, {IdleTimeout: -1}, {LoadTimeout: -1}, {Policy: 9}} {
		if _, err := clientcache.New(o); !errors.Is(err, clientcache.ErrInvalid) {
			t.Fatalf("New(%+v) = %v", o, err)
		}
	}
}

func TestClosedCache(t *testing.T) {
	w := newWorld(t)
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = clientcache.Client(context.Background(), c, w.s3Key(t, w.tenant(t, 1)), s3.NewFromConfig)
	if !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("Client after Close = %v", err)
	}
	if _, err := c.Config(context.Background(), w.tenant(t, 1)); !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("Config after Close = %v", err)
	}
	key := w.s3Key(t, w.tenant(t, 1))
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	if _, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "presign", presign); !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("Derived after Close = %v", err)
	}
	if err := clientcache.AddClient(c, key, s3.New(s3.Options{Region: "eu-west-1"})); !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("AddClient after Close = %v", err)
	}
	if _, err := clientcache.PopClient[*s3.Client](c, key); !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("PopClient after Close = %v", err)
	}
	// The others see an empty cache, as Close's doc says.
	if _, ok := clientcache.GetClient[*s3.Client](c, key); ok {
		t.Fatal("GetClient after Close found a client")
	}
	if clientcache.DeleteClient[*s3.Client](c, key) || c.DeleteConfig(w.tenant(t, 1)) {
		t.Fatal("a delete after Close found an entry")
	}
	if n, m := c.Len(), c.ConfigLen(); n != 0 || m != 0 {
		t.Fatalf("after Close: Len %d, ConfigLen %d", n, m)
	}
	for k := range c.Keys() {
		t.Fatalf("Keys after Close yielded %v", k)
	}
	_ = c.Stats()
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestDerivedObjectsAreBuiltOnce(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	key := w.s3Key(t, w.tenant(t, 1))
	var builds sync.Map
	presign := func(cl *s3.Client) (*s3.PresignClient, error) {
		builds.Store(cl, true)
		return s3.NewPresignClient(cl), nil
	}
	var wg sync.WaitGroup
	got := make(chan *s3.PresignClient, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "presign", presign)
			if err != nil {
				t.Error(err)
			}
			got <- p
		}()
	}
	wg.Wait()
	close(got)
	first := <-got
	for p := range got {
		if p != first {
			t.Fatal("different presign clients for one identity")
		}
	}
	req, err := first.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k")})
	if err != nil || !strings.Contains(req.URL, "X-Amz-Credential=ASIA") {
		t.Fatalf("presigned with %v: %v", req, err)
	}
	if st := c.Stats(); st.Derived.Loads != 1 || st.ClientBuilds != 1 {
		t.Fatalf("derived loads %d, client builds %d", st.Derived.Loads, st.ClientBuilds)
	}
}

// TestLoadTimeoutBoundsADerivedBuild: Options.LoadTimeout bounds each load,
// a Derived build's too, though the build is given no context: a build
// that hangs (a call to the service without a deadline) kept every caller
// waiting, with no deadline of their own, for ever (review finding). The
// call fails with the deadline's error, caches nothing, and the next call
// builds again; Close waits for the build given up on.
func TestLoadTimeoutBoundsADerivedBuild(t *testing.T) {
	w := newWorld(t)
	c, err := clientcache.New(clientcache.Options{LoadTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	key := w.s3Key(t, w.tenant(t, 1))
	// The config and the client first, so that LoadTimeout bounds the
	// build alone: in a CI run beside other busy processes, the first
	// Derived call gave up after 50 ms before its build had started (the
	// AssumeRole over TLS and the client's construction took longer), and
	// failed with 0 builds.
	warmUnderLoadTimeout(t, func() error {
		_, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig)
		return err
	})
	release := make(chan struct{})
	var builds, returned atomic.Int32
	hang := func(cl *s3.Client) (*s3.PresignClient, error) {
		if builds.Add(1) == 1 {
			<-release
			defer returned.Add(1)
		}
		return s3.NewPresignClient(cl), nil
	}
	err = returnsInTime(t, "Derived to return after LoadTimeout, its build still running", func() error {
		_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "hang", hang)
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Derived with a build that hangs past LoadTimeout: %v, want context.DeadlineExceeded", err)
	}
	p, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "hang", hang)
	if err != nil || p == nil || builds.Load() != 2 {
		t.Fatalf("the next Derived call: %v, %v after %d builds, want a second build's object", p, err, builds.Load())
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a build given up on still ran", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if returned.Load() != 1 {
		t.Fatal("Close returned before the build given up on had")
	}
}

// TestClientTypeIsPartOfTheIdentity: one keys.Client used with two
// constructors of different client types gives two cached clients.
func TestClientTypeIsPartOfTheIdentity(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	key := w.s3Key(t, w.tenant(t, 1))
	type wrapped struct{ *s3.Client }
	wrap := func(cfg aws.Config, opts ...func(*s3.Options)) wrapped {
		return wrapped{s3.NewFromConfig(cfg, opts...)}
	}
	a, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	b, err := clientcache.Client(context.Background(), c, key, wrap)
	if err != nil {
		t.Fatal(err)
	}
	if a == b.Client || c.Len() != 2 {
		t.Fatalf("one entry for two client types (Len %d)", c.Len())
	}
	// The key's options reached both clients.
	if !a.Options().UsePathStyle || !b.Options().UsePathStyle || aws.ToString(a.Options().BaseEndpoint) != w.s3.URL() {
		t.Fatal("the key's client options were not applied")
	}
	if w.sts.Calls() != 1 {
		t.Fatalf("%d AssumeRole calls for one identity", w.sts.Calls())
	}
}

func TestDictLikeAccess(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{MaxClients: 3})
	ctx := context.Background()
	k1, k2 := w.s3Key(t, w.tenant(t, 1)), w.s3Key(t, w.tenant(t, 2))
	if _, ok := clientcache.GetClient[*s3.Client](c, k1); ok {
		t.Fatal("GetClient found a client never built")
	}
	mine := s3.New(s3.Options{Region: "us-east-1"})
	if err := clientcache.AddClient(c, k1, mine); err != nil {
		t.Fatal(err)
	}
	if err := clientcache.AddClient(c, k1, mine); !errors.Is(err, clientcache.ErrExists) {
		t.Fatalf("second AddClient = %v", err)
	}
	if got, _ := clientcache.Client(ctx, c, k1, s3.NewFromConfig); got != mine {
		t.Fatal("Client did not return the added client")
	}
	if _, err := clientcache.Client(ctx, c, k2, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	keysInOrder := slices.Collect(c.Keys())
	if len(keysInOrder) != 2 || keysInOrder[0].Key != k1 || keysInOrder[1].Key != k2 {
		t.Fatalf("Keys = %v", keysInOrder)
	}
	for _, s := range []string{fmt.Sprint(keysInOrder), fmt.Sprintf("%+v", keysInOrder), fmt.Sprintf("%#v", keysInOrder[0]), c.String()} {
		assertNoSecret(t, s)
	}
	if !strings.Contains(fmt.Sprint(keysInOrder[0]), "*s3.Client") {
		t.Fatalf("ClientKey prints %q", keysInOrder[0])
	}
	if got, err := clientcache.PopClient[*s3.Client](c, k1); err != nil || got != mine {
		t.Fatalf("PopClient = %v, %v", got, err)
	}
	if _, err := clientcache.PopClient[*s3.Client](c, k1); !errors.Is(err, clientcache.ErrNotFound) {
		t.Fatalf("second PopClient = %v", err)
	}
	if !clientcache.DeleteClient[*s3.Client](c, k2) || c.Len() != 0 {
		t.Fatal("DeleteClient")
	}
}

// TestPopClientNamesTheZeroKey: AddClient, Client and Derived refuse the zero
// keys.Client (it names no service, and NewClient never returns it) with
// ErrInvalid naming their key parameter, so no client is ever cached under
// it. PopClient answered ErrNotFound, which hid the caller's unbuilt key as
// a miss.
func TestPopClientNamesTheZeroKey(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	if err := clientcache.AddClient(c, keys.Client{}, s3.New(s3.Options{})); !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "AddClient(key)") {
		t.Fatalf("AddClient with the zero key = %v, want ErrInvalid naming AddClient(key)", err)
	}
	_, err := clientcache.PopClient[*s3.Client](c, keys.Client{})
	if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "PopClient(key)") {
		t.Fatalf("PopClient with the zero key = %v, want ErrInvalid naming PopClient(key)", err)
	}
}

// TestPopClientNamesAKeyNamingUnregisteredLoadOptions: Client, Derived and
// AddClient refuse a key whose config names load options that
// Options.LoadOptions does not register (ErrInvalid naming their key), so no
// client is ever cached under it; PopClient answered ErrNotFound, hiding the
// caller's misspelt or unregistered name as a miss, which is why it already
// refuses the zero keys.Client (TestPopClientNamesTheZeroKey).
func TestPopClientNamesAKeyNamingUnregisteredLoadOptions(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	in := staticIdentity(t, 1).Input()
	in.Name = "unregistered"
	cfg, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	key := serviceKey(t, cfg, "s3")
	if err := clientcache.AddClient(c, key, s3.New(s3.Options{})); !errors.Is(err, clientcache.ErrInvalid) {
		t.Fatalf("AddClient with the key = %v, want ErrInvalid", err)
	}
	_, err = clientcache.PopClient[*s3.Client](c, key)
	if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "PopClient(key)") || !strings.Contains(err.Error(), "unregistered") {
		t.Fatalf("PopClient with a key naming unregistered load options = %v, want ErrInvalid naming PopClient(key) and the name", err)
	}
}

// TestPopClientDuringALoadStoresNothing pins what PopClient's doc now says,
// as DeleteClient's and AddClient's do: a PopClient (or DeleteClient) made
// while a load of the client is in flight finds nothing (ErrNotFound, or
// false), yet keeps that load from being stored: its caller gets the client
// it built, the cache keeps none, and the client's hold on the pool is let
// go.
func TestPopClientDuringALoadStoresNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remove func(*testing.T, *clientcache.Cache, keys.Client) bool // reports a client found
	}{
		{"PopClient", func(t *testing.T, c *clientcache.Cache, key keys.Client) bool {
			_, err := clientcache.PopClient[*s3.Client](c, key)
			if !errors.Is(err, clientcache.ErrNotFound) {
				t.Errorf("PopClient during the load = %v, want ErrNotFound", err)
			}
			return err == nil
		}},
		// DeleteClient's "A load of the client in flight is not stored:
		// its callers get the client it built."
		{"DeleteClient", func(_ *testing.T, c *clientcache.Cache, key keys.Client) bool {
			return clientcache.DeleteClient[*s3.Client](c, key)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClientCache(t, clientcache.Options{})
			cfg := staticIdentity(t, 1)
			key := serviceKey(t, cfg, "s3")
			entered, release := make(chan struct{}), make(chan struct{})
			slow := func(cfg aws.Config, o ...func(*s3.Options)) *s3.Client {
				close(entered)
				<-release
				return s3.NewFromConfig(cfg, o...)
			}
			type result struct {
				cl  *s3.Client
				err error
			}
			done := make(chan result, 1)
			go func() {
				cl, err := clientcache.Client(context.Background(), c, key, slow)
				done <- result{cl, err}
			}()
			<-entered
			if tc.remove(t, c, key) {
				t.Errorf("%s during the load found a client", tc.name)
			}
			close(release)
			if r := <-done; r.err != nil || r.cl == nil {
				t.Fatalf("the load's caller got no client: %v", r.err)
			}
			if _, ok := clientcache.GetClient[*s3.Client](c, key); ok || c.Len() != 0 {
				t.Fatalf("a load in flight at %s was stored (Len %d)", tc.name, c.Len())
			}
			if !c.DeleteConfig(cfg) {
				t.Fatal("the config was not cached")
			}
			if n := c.Stats().PoolsReleased; n != 1 {
				t.Fatalf("%d pools released once the config was deleted, want 1: the discarded client kept its hold", n)
			}
		})
	}
}

func TestLogsAreDebugAndRedacted(t *testing.T) {
	w := newWorld(t)
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClientCache(t, clientcache.Options{MaxClients: 1, Logger: logger})
	ctx := context.Background()
	for tn := range 2 {
		if _, err := clientcache.Client(ctx, c, w.s3Key(t, w.tenant(t, tn)), s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
	}
	// A derived object's load is a miss too (it was not logged).
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	if _, err := clientcache.Derived(ctx, c, w.s3Key(t, w.tenant(t, 1)), s3.NewFromConfig, "presign", presign); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, want := range []string{"loading config", "building client", "building derived object", `"name":"presign"`, "client removed", `"cause":"Size"`, `"level":"DEBUG"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
	assertNoSecret(t, out)
}

// panickyHandler logs at Debug to nowhere, and panics on the records whose
// message holds panicOn: a Logger whose handler fails on some records (a
// writer that panics, a buggy formatter) passes New's check, which only
// asks the handler whether it is enabled.
type panickyHandler struct {
	slog.Handler
	panicOn string
}

func (h panickyHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.panicOn) {
		panic("log handler failed")
	}
	return h.Handler.Handle(ctx, r)
}

// TestALoggerThatPanicsFailsTheLoadNamingIt: a Logger whose handler
// panics on a load's record fails that load as a panic of the caller's code
// that a load runs does (see the package documentation): with a
// *concurrent.LoaderPanicError, matched by concurrent.ErrLoaderPanic and
// holding the panic's stack, whose text names Options.Logger and the
// record. It failed as "concurrent: loader panicked:" followed by the
// handler's panic, naming nothing of the caller's; then, for a while, with
// a plain error that matched nothing and dropped the stack.
func TestALoggerThatPanicsFailsTheLoadNamingIt(t *testing.T) {
	w := newWorld(t)
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	key := w.s3Key(t, w.config(t, creds))
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	for _, on := range []string{"loading config", "building client", "building derived object"} {
		logger := slog.New(panickyHandler{slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), on})
		c := newClientCache(t, clientcache.Options{Logger: logger})
		_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "presign", presign)
		if err == nil || !strings.Contains(err.Error(), "Options.Logger panicked logging \"clientcache: "+on+"\": log handler failed") {
			t.Errorf("a Logger panicking on %q: the load returned %v, want an error naming Options.Logger and the record", on, err)
		}
		var lp *concurrent.LoaderPanicError
		if !errors.Is(err, concurrent.ErrLoaderPanic) || !errors.As(err, &lp) || len(lp.Stack) == 0 {
			t.Errorf("a Logger panicking on %q: the load's error %v is not a *concurrent.LoaderPanicError with the panic's stack", on, err)
		}
		if n := c.Len(); n != 0 {
			t.Errorf("a Logger panicking on %q: %d clients cached after the load failed", on, n)
		}
	}
}

// TestEvictionReleasesPoolsWhateverTheLoggerDoes: the caches' OnEvict
// logs the removal before letting go of the entry's pool, so a Logger whose
// handler panics on that record leaves every pool unreleased: Close does not
// close the connections it promises to close, and Stats.PoolsReleased stays
// at 0. The log is the caller's code; releasing the pool must not depend on
// it.
func TestEvictionReleasesPoolsWhateverTheLoggerDoes(t *testing.T) {
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) // the engine reports OnEvict's panic there
	defer slog.SetDefault(saved)
	logger := slog.New(panickyHandler{slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), "removed"})
	c := newClientCache(t, clientcache.Options{Logger: logger})
	w := newWorld(t)
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	key := w.s3Key(t, w.config(t, creds))
	cl, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := put(context.Background(), cl, "logger/object", "body"); err != nil {
		t.Fatal(err)
	}
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	if _, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "presign", presign); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().PoolsReleased; n != 1 {
		t.Errorf("Close released %d pools of the one identity's (its config, client and derived object evicted), want 1", n)
	}
	testwait.Until(t, "the S3 connection to close after Close", func() bool { return w.s3.OpenConnections() == 0 })
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestIdleTimeoutEvictsQuietTenants(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{IdleTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	cl, err := clientcache.Client(ctx, c, w.s3Key(t, w.tenant(t, 1)), s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, cl, "tenant-1/x", "x"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the quiet tenant to be evicted and its pool released", func() bool {
		return c.Len() == 0 && c.ConfigLen() == 0 && w.s3.OpenConnections() == 0
	})
	st := c.Stats()
	if st.Clients.Removed(concurrent.Expired) == 0 || st.PoolsReleased == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestTheLoadsRoleCredentialsAreTheCaches: the role credentials a load
// fetched are in the identity's aws.CredentialsCache, with one AssumeRole
// call, and the cache refreshes them as it does any it holds:
//   - after Invalidate, at the next Retrieve (while the load's fetch waited
//     in a provider of the cache's for the first Retrieve, Invalidate
//     forgot nothing);
//   - credentials STS issued already expired by the host's clock (one
//     running ahead), at their first use (the load once fetched again at
//     once, through the cache, under a context that does not end: a call
//     that could outlive the load).
func TestTheLoadsRoleCredentialsAreTheCaches(t *testing.T) {
	for _, expired := range []bool{false, true} {
		t.Run(fmt.Sprintf("expired=%v", expired), func(t *testing.T) {
			w := newWorld(t)
			w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: expired} })
			c := newClientCache(t, clientcache.Options{})
			ctx := context.Background()
			cfg, err := c.Config(ctx, w.tenant(t, 1))
			if err != nil {
				t.Fatal(err)
			}
			if n := w.sts.Calls(); n != 1 {
				t.Fatalf("the load made %d AssumeRole calls, want 1", n)
			}
			w.sts.SetBehavior(nil)
			if !expired {
				cfg.Credentials.(*aws.CredentialsCache).Invalidate()
			}
			v, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := w.sts.Calls(); n != 2 || v.Expired() {
				t.Fatalf("the next Retrieve: %d AssumeRole calls in all (want 2), expired %v", n, v.Expired())
			}
		})
	}
}

// TestNamedCredentialsCacheOptionsReachRoleCredentials: named load options'
// credentials cache options (an ExpiryWindow) apply to the credentials cache
// the cache builds around an assumed role's provider, as the SDK applies them
// to the one it builds. They used to be dropped unseen: the role's
// credentials were refreshed only at their expiry.
func TestNamedCredentialsCacheOptionsReachRoleCredentials(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		// The fake STS issues credentials for the SDK's default 15 minutes:
		// a longer window has them refreshed at every use.
		"early-refresh": {config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = time.Hour })},
		"plain":         {},
	}})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		want int64 // AssumeRole calls after the load and two uses
	}{{"plain", 1}, {"early-refresh", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			in := w.tenant(t, 1).Input()
			in.Name = tc.name
			key, err := keys.NewConfig(in)
			if err != nil {
				t.Fatal(err)
			}
			before := w.sts.Calls()
			cfg, err := c.Config(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if n := w.sts.Calls() - before; n != tc.want {
				t.Fatalf("the load and two uses made %d AssumeRole calls, want %d", n, tc.want)
			}
		})
	}
}

// TestCredentialsCacheOptionsRunOncePerCache: the named credentials cache
// options' function runs once per credentials cache the cache builds, as in
// LoadDefaultConfig: it used to run on the placeholder's cache too, which is
// thrown away (twice for a static identity, four times for a role and its
// source).
func TestCredentialsCacheOptionsRunOncePerCache(t *testing.T) {
	w := newWorld(t)
	var runs atomic.Int32
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"n": {config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { runs.Add(1); o.ExpiryWindow = time.Minute })},
	}})
	in := w.tenant(t, 1).Input()
	in.Name = "n"
	role, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Config(context.Background(), role); err != nil {
		t.Fatal(err)
	}
	// The role's cache and its static source's (the source identity has
	// the role's named options).
	configs := len(slices.Collect(c.ConfigKeys()))
	if n := runs.Load(); n != 2 || configs != 2 {
		t.Fatalf("loading a role and its source: the options ran %d times for %d configs, want 2 for 2", n, configs)
	}
}

// TestARoleUseIsAUseOfItsSource: a use of an assumed role's config is a use
// of the source identity it was assumed from, so that a busy role's base
// session is not the next victim of the bound. The source of a role assumed
// from the default chain with no other input is the zero keys.Config, which
// the entry's source once also meant "none": its uses were not recorded, and
// the base was evicted (region "" below; "us-east-1" is the control).
func TestARoleUseIsAUseOfItsSource(t *testing.T) {
	w := newWorld(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, w.ca, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", ca) // the default chain's STS calls trust the fake endpoint
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENVBASE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", baseSecret)
	for _, region := range []string{"us-east-1", ""} {
		t.Run(fmt.Sprintf("region=%q", region), func(t *testing.T) {
			c := newClientCache(t, clientcache.Options{MaxConfigs: 3})
			ctx := context.Background()
			role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleARN(1), SessionName: "sess",
				STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
			if err != nil {
				t.Fatal(err)
			}
			roleKey, err := keys.NewConfig(keys.ConfigInput{Region: region, Credentials: role})
			if err != nil {
				t.Fatal(err)
			}
			baseKey, err := keys.NewConfig(keys.ConfigInput{Region: region})
			if err != nil {
				t.Fatal(err)
			}
			if region == "" && baseKey != (keys.Config{}) {
				t.Fatal("the default chain with no other input is no longer the zero Config: the test proves nothing")
			}
			for i, k := range []keys.Config{roleKey, staticIdentity(t, 1), roleKey, staticIdentity(t, 2)} {
				// LRU: base and role, then static 1 (full), then a use of
				// the role and so of its base, then static 2, which evicts
				// the least recently used: static 1.
				if _, err := c.Config(ctx, k); err != nil {
					t.Fatalf("config %d: %v", i, err)
				}
			}
			got := slices.Collect(c.ConfigKeys())
			if !slices.Contains(got, baseKey) || !slices.Contains(got, roleKey) || slices.Contains(got, staticIdentity(t, 1)) {
				t.Fatalf("after a use of the role, the bound evicted the wrong identity: %d configs cached, base %v, role %v",
					len(got), slices.Contains(got, baseKey), slices.Contains(got, roleKey))
			}
		})
	}
}

// TestConfigReturnsACopy pins configs that shared their slices with the
// cache's: Config returned the cached aws.Config by value, so writing an
// element of its ConfigSources (or APIOptions, AuthSchemePreference,
// ServiceOptions) wrote the cache's, which every later caller and client got,
// and two callers appending to their "copies" wrote the same spare slot of
// one array (ConfigSources has one: length 3, capacity 4). Later, the same
// for the slices of its Interceptors (filled by named load options such as
// config.WithBeforeAttempt) and its BaseEndpoint string, which the copy still
// shared.
func TestConfigReturnsACopy(t *testing.T) {
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"interceptors": {config.WithBeforeAttempt(nil), config.WithBeforeExecution(nil), config.WithAfterAttempt(nil),
			config.WithAPIOptions([]func(*middleware.Stack) error{func(*middleware.Stack) error { return nil }}),
			config.WithServiceOptions(func(string, any) {}),
			config.WithAuthSchemePreference("sigv4")},
	}})
	ctx := context.Background()
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Endpoint: "https://s3.example.com", Name: "interceptors", Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Config(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Config(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ConfigSources) == 0 {
		t.Fatal("no ConfigSources: the test proves nothing")
	}
	a.ConfigSources[0] = "changed by a caller"
	if again, _ := c.Config(ctx, key); again.ConfigSources[0] == "changed by a caller" {
		t.Fatal("changing a returned config changed the cache's")
	}
	a.ConfigSources = append(a.ConfigSources, "a")
	b.ConfigSources = append(b.ConfigSources, "b")
	if got := a.ConfigSources[len(a.ConfigSources)-1]; got != "a" {
		t.Fatalf("another caller's append changed this caller's config: %v", got)
	}
	if len(a.Interceptors.BeforeAttempt) != 1 || len(a.Interceptors.BeforeExecution) != 1 || len(a.Interceptors.AfterAttempt) != 1 || a.BaseEndpoint == nil {
		t.Fatal("the named options set no interceptors or no base endpoint: the test proves nothing")
	}
	if &a.Interceptors.BeforeAttempt[0] == &b.Interceptors.BeforeAttempt[0] ||
		&a.Interceptors.BeforeExecution[0] == &b.Interceptors.BeforeExecution[0] ||
		&a.Interceptors.AfterAttempt[0] == &b.Interceptors.AfterAttempt[0] {
		t.Error("two callers' configs share an interceptor slice: writing one's interceptor changes the other's and the cache's")
	}
	*a.BaseEndpoint = "https://changed.example.com"
	if again, err := c.Config(ctx, key); err != nil || *again.BaseEndpoint != "https://s3.example.com" {
		t.Errorf("writing through a returned config's BaseEndpoint changed the cache's: %q, %v", *again.BaseEndpoint, err)
	}
	// Every slice the config holds is the caller's own: APIOptions and
	// ServiceOptions (functions, compared by the address of their element)
	// and AuthSchemePreference. (These were unpinned: the package's tests
	// passed with either of the last two shared with the cache's config.)
	if len(a.APIOptions) == 0 || len(a.ServiceOptions) == 0 || len(a.AuthSchemePreference) == 0 {
		t.Fatal("the named options set no APIOptions, ServiceOptions or AuthSchemePreference: the test proves nothing")
	}
	if &a.APIOptions[0] == &b.APIOptions[0] {
		t.Error("two callers' configs share an APIOptions slice")
	}
	if &a.ServiceOptions[0] == &b.ServiceOptions[0] {
		t.Error("two callers' configs share a ServiceOptions slice")
	}
	a.AuthSchemePreference[0] = "changed by a caller"
	if again, err := c.Config(ctx, key); err != nil || again.AuthSchemePreference[0] != "sigv4" {
		t.Errorf("writing a returned config's AuthSchemePreference changed the cache's: %q, %v", again.AuthSchemePreference, err)
	}
}

// TestClientConstructorsGetTheirOwnConfig pins client builds that shared the
// cached aws.Config's slices: Client and Derived passed newClient the cached
// config itself, so a constructor that appends a middleware to
// cfg.APIOptions (the otelaws.AppendMiddlewares(&cfg.APIOptions) idiom)
// wrote into the spare capacity of the array every build of the identity
// shares, and the next client of the identity overwrote the first's
// middleware with its own (and two builds at once raced). Each build now
// gets a copy, as Config's callers do.
func TestClientConstructorsGetTheirOwnConfig(t *testing.T) {
	noop := func(*middleware.Stack) error { return nil }
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		// Five options: the cached slice has spare capacity.
		"mw": {config.WithAPIOptions([]func(*middleware.Stack) error{noop, noop, noop, noop, noop})},
	}})
	in := staticIdentity(t, 1).Input()
	in.Name = "mw"
	cfgKey, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Each constructor appends a middleware that marks its own client, and
	// keeps the slice it built the client from.
	built := map[string][]func(*middleware.Stack) error{}
	marks := map[string]int{}
	ctor := func(name string) func(aws.Config, ...func(*s3.Options)) *s3.Client {
		return func(cfg aws.Config, fns ...func(*s3.Options)) *s3.Client {
			cfg.APIOptions = append(cfg.APIOptions, func(*middleware.Stack) error { marks[name]++; return nil })
			built[name] = cfg.APIOptions
			return s3.NewFromConfig(cfg, fns...)
		}
	}
	first, _ := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3"})
	second, _ := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", S3: keys.S3Options{UsePathStyle: true}})
	if _, err := clientcache.Client(ctx, c, first, ctor("first")); err != nil {
		t.Fatal(err)
	}
	if _, err := clientcache.Client(ctx, c, second, ctor("second")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"first", "second"} {
		opts := built[name]
		if len(opts) != 6 {
			t.Fatalf("%s client: %d API options, want the identity's 5 and its own", name, len(opts))
		}
		before := marks[name]
		_ = opts[5](nil)
		if marks[name] != before+1 {
			t.Errorf("%s client: its own middleware was replaced by another client's build of the same identity", name)
		}
	}
}

// TestNamedCredentialsProvider: named load options that set a credentials
// provider stand for the default chain's (here, as the source of an assumed
// role, which STS sees sign the call); with static, anonymous or web
// identity credentials the key's replaced it unseen, and now the load fails
// naming the options.
func TestNamedCredentialsProvider(t *testing.T) {
	// A default chain a load resolved would fail on this (the SDK allows
	// only loopback, ECS and EKS hosts): no load below resolves it.
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds")
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"creds":     {config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDNAMEDPROVIDER", baseSecret, ""))},
		"anonymous": {config.WithCredentialsProvider(aws.AnonymousCredentials{})},
		"nil":       {config.WithCredentialsProvider(nil)}, // sets none: the load keeps its placeholder
	}})
	ctx := context.Background()
	for _, name := range []string{"creds", "anonymous"} {
		for _, creds := range []keys.Credentials{staticIdentity(t, 1).Credentials(), keys.AnonymousCredentials()} {
			key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: name, Credentials: creds})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Config(ctx, key)
			if want := fmt.Sprintf("Options.LoadOptions[%q]", name); !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), want) {
				t.Fatalf("%v credentials under named options %q that set a provider: %v; want ErrInvalid naming %s", creds.Kind(), name, err, want)
			}
			assertNoSecret(t, err.Error())
			if c.ConfigLen() != 0 {
				t.Fatalf("%v credentials: a refused load left %d configs cached", creds.Kind(), c.ConfigLen())
			}
		}
	}
	nilKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "nil", Credentials: staticIdentity(t, 1).Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Config(ctx, nilKey); err != nil {
		t.Fatalf("named options that set no provider (nil): %v", err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{RoleARN: roleARN(1), SessionName: "named",
		STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: w.ca, Name: "creds", Credentials: role})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := w.sts.Issued(v.AccessKeyID); !ok || a.SignedBy != "AKIDNAMEDPROVIDER" {
		t.Fatalf("the role's credentials were issued %v to a call signed by %q, want the named provider's AKIDNAMEDPROVIDER", ok, a.SignedBy)
	}
}

// TestNamedLoadOptions: options that cannot be compared enter an identity by
// name only; an unknown name is an error; an HTTP client brought by named
// options is used, and its connections are the caller's.
func TestNamedLoadOptions(t *testing.T) {
	w := newWorld(t)
	var calls atomic.Int64
	mine := &http.Client{Transport: roundTripCounter{next: http.DefaultTransport, n: &calls}}
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"my-http-client": {config.WithHTTPClient(mine)},
	}})
	named := func(name string) keys.Client {
		in := w.tenant(t, 1).Input()
		in.Name = name
		in.CABundle = nil // a caller's own HTTP client carries its own trust (the SDK refuses both)
		cfg, err := keys.NewConfig(in)
		if err != nil {
			t.Fatal(err)
		}
		return w.s3Key(t, cfg)
	}
	_, err := clientcache.Client(context.Background(), c, named("unknown"), s3.NewFromConfig)
	if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), `"unknown"`) {
		t.Fatalf("unregistered name: %v", err)
	}
	// With a CA bundle in the key, the SDK could not add it to this client
	// (not a BuildableClient), and failed with an error naming neither.
	in := w.tenant(t, 1).Input()
	in.Name = "my-http-client"
	withCA, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	if in.CABundle == nil {
		t.Fatal("the tenant's key has no CA bundle: the case below tests nothing")
	}
	_, err = c.Config(context.Background(), withCA)
	if want := `Options.LoadOptions["my-http-client"]`; !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "CABundle") {
		t.Fatalf("a key's CABundle with named options' own *http.Client: %v; want ErrInvalid naming %s and the CABundle", err, want)
	}
	// A custom HTTP client does not trust httptest's certificate by itself:
	// trust it the way such a caller would.
	mine.Transport.(roundTripCounter).next.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: certPool(t, w.ca)}
	cl, err := clientcache.Client(context.Background(), c, named("my-http-client"), s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := put(context.Background(), cl, "tenant-1/x", "x"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() == 0 {
		t.Fatal("the named HTTP client was not used")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.PoolsReleased != 0 {
		t.Fatalf("the cache released a pool it does not own (%d)", st.PoolsReleased)
	}
	if w.s3.OpenConnections() == 0 {
		t.Fatal("the cache closed the caller's connections")
	}
	mine.Transport.(roundTripCounter).next.(*http.Transport).CloseIdleConnections()
}

type roundTripCounter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (r roundTripCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	r.n.Add(1)
	return r.next.RoundTrip(req)
}

func certPool(t *testing.T, pem []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatal("bad PEM")
	}
	return p
}

// TestDerivedBuildsANamedClientWithItsOptions pins a wrong client served from
// the cache: Derived built the client of a key that names client options
// without them, and cached it, so a later Client(key, optFns...) received a
// client without its options. Derived takes the client's options as Client
// does, with the rule that only a key that names them may have them.
func TestDerivedBuildsANamedClientWithItsOptions(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key, err := keys.NewClient(keys.ClientInput{Config: w.tenant(t, 1), Service: "s3", Endpoint: w.s3.URL(),
		S3: keys.S3Options{UsePathStyle: true}, Name: "app-id-billing"})
	if err != nil {
		t.Fatal(err)
	}
	withAppID := func(o *s3.Options) { o.AppID = "billing" }
	var builtFrom string
	presign := func(cl *s3.Client) (*s3.PresignClient, error) {
		builtFrom = cl.Options().AppID
		return s3.NewPresignClient(cl), nil
	}
	if _, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign, withAppID); err != nil {
		t.Fatal(err)
	}
	if builtFrom != "billing" {
		t.Fatalf("Derived built from a client without its options: AppID %q", builtFrom)
	}
	cl, err := clientcache.Client(ctx, c, key, s3.NewFromConfig, withAppID)
	if err != nil {
		t.Fatal(err)
	}
	if got := cl.Options().AppID; got != "billing" {
		t.Fatalf("Client(key, optFns) after Derived returned a client without its options: AppID %q", got)
	}
	if n := c.Stats().ClientBuilds; n != 1 {
		t.Fatalf("%d clients built, want 1", n)
	}
	_, err = clientcache.Derived(ctx, c, w.s3Key(t, w.tenant(t, 1)), s3.NewFromConfig, "presign", presign, withAppID)
	if !errors.Is(err, clientcache.ErrInvalid) {
		t.Fatalf("options for a key that does not name them: %v, want ErrInvalid", err)
	}
}

// staticIdentity is a config identity with static credentials (no STS call),
// distinct per n.
func staticIdentity(t testing.TB, n int) keys.Config {
	t.Helper()
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: fmt.Sprint("AKIDSTATIC", n), SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestPoolIsHeldBeforeAnythingIsBuiltOnIt pins a pool released while held
// and counted twice: Client and Derived took their hold on the identity's
// pool only after building on it, so when the config (and the client) were
// evicted meanwhile, the count reached 0, the pool was released, then held
// again by the new entry and released a second time at its eviction.
// Here the evictions run from inside the constructor and build.
func TestPoolIsHeldBeforeAnythingIsBuiltOnIt(t *testing.T) {
	t.Run("Client", func(t *testing.T) {
		c := newClientCache(t, clientcache.Options{})
		cfgKey := staticIdentity(t, 1)
		newClient := func(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
			c.DeleteConfig(cfgKey) // an eviction racing with the build
			if n := c.Stats().PoolsReleased; n != 0 {
				t.Errorf("pool released (%d) while the client being built on it holds it", n)
			}
			return s3.NewFromConfig(cfg, optFns...)
		}
		if _, err := clientcache.Client(context.Background(), c, serviceKey(t, cfgKey, "s3"), newClient); err != nil {
			t.Fatal(err)
		}
		closeReleasingOnePool(t, c, "")
	})
	t.Run("Derived", func(t *testing.T) {
		c := newClientCache(t, clientcache.Options{})
		cfgKey := staticIdentity(t, 1)
		key := serviceKey(t, cfgKey, "s3")
		build := func(cl *s3.Client) (*s3.PresignClient, error) {
			clientcache.DeleteClient[*s3.Client](c, key) // evictions racing with the build
			c.DeleteConfig(cfgKey)
			if n := c.Stats().PoolsReleased; n != 0 {
				t.Errorf("pool released (%d) while the object being built on it holds it", n)
			}
			return s3.NewPresignClient(cl), nil
		}
		if _, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "presign", build); err != nil {
			t.Fatal(err)
		}
		closeReleasingOnePool(t, c, "")
	})
}

// TestEveryPoolIsReleasedOnceUnderEviction: goroutines asking for clients
// and derived objects of more identities than the caches hold, so that
// evictions race with builds: once closed, the cache has released exactly
// one pool per config it loaded.
func TestEveryPoolIsReleasedOnceUnderEviction(t *testing.T) {
	rounds := 400
	if testing.Short() {
		rounds = 100
	}
	const identities, goroutines = 3, 8
	c := newClientCache(t, clientcache.Options{MaxConfigs: 1, MaxClients: 1, MaxDerived: 1})
	ctx := context.Background()
	var ks []keys.Client
	for i := range identities {
		ks = append(ks, serviceKey(t, staticIdentity(t, i), "s3"))
	}
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				k := ks[(g+i)%identities]
				var err error
				if (g+i)%2 == 0 {
					_, err = clientcache.Client(ctx, c, k, s3.NewFromConfig)
				} else {
					_, err = clientcache.Derived(ctx, c, k, s3.NewFromConfig, "presign", presign)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.PoolsReleased != int64(st.Configs.Loads) {
		t.Fatalf("%d configs loaded (one pool each), %d pools released", st.Configs.Loads, st.PoolsReleased)
	}
}

// TestAddClientRefusesAnotherServiceOrNil pins a broken promise: a ClientKey
// for S3 never returns a DynamoDB client, and Client refuses a constructor of
// another service, but AddClient cached a DynamoDB client (or a nil one)
// under an S3 key, and GetClient and Client then served it.
func TestAddClientRefusesAnotherServiceOrNil(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	cfgKey := staticIdentity(t, 1)
	s3Key := serviceKey(t, cfgKey, "s3")
	type wrappedDynamoDB struct{ *dynamodb.Client } // its Options method tells the service
	type wrappedS3 struct{ *s3.Client }
	for _, tc := range []struct {
		name  string
		add   func() error
		param string
	}{
		{"a DynamoDB client under an S3 key", func() error {
			return clientcache.AddClient(c, s3Key, dynamodb.New(dynamodb.Options{Region: "us-east-1"}))
		}, "AddClient(client)"},
		{"a wrapped DynamoDB client under an S3 key", func() error {
			return clientcache.AddClient(c, s3Key, wrappedDynamoDB{dynamodb.New(dynamodb.Options{Region: "us-east-1"})})
		}, "AddClient(client)"},
		{"a nil *s3.Client", func() error { return clientcache.AddClient[*s3.Client](c, s3Key, nil) }, "AddClient(client)"},
		{"a nil interface", func() error { return clientcache.AddClient[any](c, s3Key, nil) }, "AddClient(client)"},
		{"a nil *Cache", func() error { return clientcache.AddClient(nil, s3Key, s3.New(s3.Options{})) }, "AddClient(c)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.add()
			if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) {
				t.Fatalf("got %v, want ErrInvalid naming %s", err, tc.param)
			}
		})
	}
	if n := c.Len(); n != 0 {
		t.Fatalf("refused clients were cached: Len %d", n)
	}
	mine := wrappedS3{s3.New(s3.Options{Region: "us-east-1"})}
	if err := clientcache.AddClient(c, s3Key, mine); err != nil {
		t.Fatalf("a wrapped S3 client under an S3 key: %v", err)
	}
	if got, ok := clientcache.GetClient[wrappedS3](c, s3Key); !ok || got != mine {
		t.Fatal("the added client is not served")
	}
}

// TestEveryKeyClientOptionReachesTheSDKClient pins an unusable key: the S3
// option DisableS3Express was set through a field s3.Options does not have
// (it is DisableS3ExpressSessionAuth, a *bool), so every valid key with it
// failed Client with ErrInvalid. Each value option of keys.Client, on and
// off, must reach the client built with it.
func TestEveryKeyClientOptionReachesTheSDKClient(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{MaxClients: 20})
	ctx := context.Background()
	cfgKey := w.tenant(t, 1)
	for _, on := range []keys.Tristate{keys.Enabled, keys.Disabled} {
		want := on == keys.Enabled
		t.Run("s3/"+on.String(), func(t *testing.T) {
			k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", Endpoint: w.s3.URL(), S3: keys.S3Options{
				UsePathStyle: true, UseARNRegion: on, DisableS3Express: on, DisableMultiRegionAccessPoints: on,
			}})
			if err != nil {
				t.Fatal(err)
			}
			cl, err := clientcache.Client(ctx, c, k, s3.NewFromConfig)
			if err != nil {
				t.Fatalf("Client with a valid key: %v", err)
			}
			o := cl.Options()
			if !o.UsePathStyle || o.UseARNRegion != want || o.DisableMultiRegionAccessPoints != want ||
				o.DisableS3ExpressSessionAuth == nil || *o.DisableS3ExpressSessionAuth != want {
				t.Fatalf("options not applied: UsePathStyle %v, UseARNRegion %v, DisableMultiRegionAccessPoints %v, DisableS3ExpressSessionAuth %v",
					o.UsePathStyle, o.UseARNRegion, o.DisableMultiRegionAccessPoints, o.DisableS3ExpressSessionAuth)
			}
			if err := put(ctx, cl, "tenant-1/"+on.String(), "x"); err != nil {
				t.Fatal(err)
			}
		})
	}
	k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", S3: keys.S3Options{UseAccelerate: true}})
	if err != nil {
		t.Fatal(err)
	}
	if cl, err := clientcache.Client(ctx, c, k, s3.NewFromConfig); err != nil || !cl.Options().UseAccelerate {
		t.Fatalf("UseAccelerate: %v", err)
	}
	for _, tc := range []struct {
		in   keys.EndpointDiscovery
		want aws.EndpointDiscoveryEnableState
	}{{keys.EndpointDiscoveryAuto, aws.EndpointDiscoveryAuto}, {keys.EndpointDiscoveryEnabled, aws.EndpointDiscoveryEnabled}, {keys.EndpointDiscoveryDisabled, aws.EndpointDiscoveryDisabled}} {
		k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "dynamodb", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: tc.in}})
		if err != nil {
			t.Fatal(err)
		}
		cl, err := clientcache.Client(ctx, c, k, dynamodb.NewFromConfig)
		if err != nil {
			t.Fatalf("DynamoDB endpoint discovery %v: %v", tc.in, err)
		}
		if got := cl.Options().EndpointDiscovery.EnableEndpointDiscovery; got != tc.want {
			t.Fatalf("DynamoDB endpoint discovery %v: client has %v", tc.in, got)
		}
	}
}

// TestNewRejectsANilLoadOption pins a late panic: New accepted a nil function
// in Options.LoadOptions, and every load of that name then panicked inside
// the SDK (reported as a loader panic, not as bad input).
func TestNewRejectsANilLoadOption(t *testing.T) {
	c, err := clientcache.New(clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"x": {config.WithAppID("x"), nil},
	}})
	if err == nil {
		_ = c.Close()
	}
	if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), `Options.LoadOptions["x"][1]`) {
		t.Fatalf("New with a nil load option: %v, want ErrInvalid naming Options.LoadOptions[\"x\"][1]", err)
	}
}

// TestNewCopiesLoadOptions pins a data race and a silent change of
// identities: New kept the caller's Options.LoadOptions map (and its
// slices) as its own, so a later write by the caller raced with loads and
// changed what a name stands for in cached identities' future loads.
func TestNewCopiesLoadOptions(t *testing.T) {
	opts := map[string][]func(*config.LoadOptions) error{"app": {config.WithAppID("original")}}
	c := newClientCache(t, clientcache.Options{LoadOptions: opts})
	opts["app"][0] = config.WithAppID("changed")
	opts["other"] = nil
	delete(opts, "app")
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "app", Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(context.Background(), key)
	if err != nil {
		t.Fatalf("a name registered at New no longer loads: %v", err)
	}
	if cfg.AppID != "original" {
		t.Fatalf("the caller's later write reached the cache: AppID %q", cfg.AppID)
	}
}

// TestErrorsNameTheCallersParameter pins misleading errors: Derived's bad
// arguments were reported as Client's ("Client(key)", "Client(newClient)",
// ...), and found only inside the derived load; a key naming unregistered
// load options was reported as Config's key whatever the call (and AddClient
// cached a client under it, which Client and Derived then refused to find).
// Each error names the parameter of the call that received it, before
// anything loads or is cached.
func TestErrorsNameTheCallersParameter(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cfgKey := staticIdentity(t, 1)
	unnamed := serviceKey(t, cfgKey, "s3")
	in := cfgKey.Input()
	in.Name = "unregistered"
	unregisteredCfg, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	unregistered := serviceKey(t, unregisteredCfg, "s3")
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	for _, tc := range []struct {
		name  string
		call  func() error
		param string
	}{
		{"Derived zero key", func() error {
			_, err := clientcache.Derived(ctx, c, keys.Client{}, s3.NewFromConfig, "presign", presign)
			return err
		}, "Derived(key)"},
		{"Derived nil constructor", func() error {
			_, err := clientcache.Derived[*s3.PresignClient, *s3.Client, s3.Options](ctx, c, unnamed, nil, "presign", presign)
			return err
		}, "Derived(newClient)"},
		{"Derived unnamed options", func() error {
			_, err := clientcache.Derived(ctx, c, unnamed, s3.NewFromConfig, "presign", presign, func(*s3.Options) {})
			return err
		}, "Derived(optFns)"},
		{"Derived service mismatch", func() error {
			_, err := clientcache.Derived(ctx, c, serviceKey(t, cfgKey, "dynamodb"), s3.NewFromConfig, "presign", presign)
			return err
		}, "Derived(key)"},
		{"Derived option of another client", func() error {
			type notS3Options struct{ Region string }
			newClient := func(aws.Config, ...func(*notS3Options)) *s3.Client { return nil }
			k, _ := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", S3: keys.S3Options{UsePathStyle: true}})
			_, err := clientcache.Derived(ctx, c, k, newClient, "presign", presign)
			return err
		}, "Derived(key)"},
		{"Derived unregistered load options", func() error {
			_, err := clientcache.Derived(ctx, c, unregistered, s3.NewFromConfig, "presign", presign)
			return err
		}, "Derived(key)"},
		{"Client unregistered load options", func() error {
			_, err := clientcache.Client(ctx, c, unregistered, s3.NewFromConfig)
			return err
		}, "Client(key)"},
		{"AddClient unregistered load options", func() error {
			return clientcache.AddClient(c, unregistered, s3.New(s3.Options{Region: "us-east-1"}))
		}, "AddClient(key)"},
		{"Config unregistered load options", func() error {
			_, err := c.Config(ctx, unregistered.Config())
			return err
		}, "Config(key)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) {
				t.Fatalf("got %v, want ErrInvalid naming %s", err, tc.param)
			}
		})
	}
	if st := c.Stats(); st.Derived.LoadErrors+st.Clients.LoadErrors+st.Configs.LoadErrors != 0 || c.Len() != 0 || c.ConfigLen() != 0 {
		t.Fatalf("bad arguments reached a load: load errors %d derived, %d clients, %d configs",
			st.Derived.LoadErrors, st.Clients.LoadErrors, st.Configs.LoadErrors)
	}
}

// TestClientKeyPrintsItsTypeEverywhere pins a lost field: the keys types
// implement MarshalJSON, MarshalText and slog.LogValuer, but ClientKey did not,
// so JSON (and slog's JSON handler, as in the cache's own debug logs)
// printed its reflect.Type as {} and lost the client type, the half of the
// identity that tells an S3 client from a DynamoDB one.
func TestClientKeyPrintsItsTypeEverywhere(t *testing.T) {
	w := newWorld(t)
	ck := clientcache.ClientKey{Type: reflect.TypeFor[*s3.Client](), Key: w.s3Key(t, w.tenant(t, 1))}
	j, err := json.Marshal(ck)
	if err != nil {
		t.Fatal(err)
	}
	text, err := ck.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", ck)
	var textLog bytes.Buffer
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("x", "key", ck)
	for name, out := range map[string]string{"json.Marshal": string(j), "MarshalText": string(text), "slog JSON": buf.String(), "slog text": textLog.String()} {
		assertNoSecret(t, out)
		if !strings.Contains(out, "s3.Client") || !strings.Contains(out, "service") {
			t.Errorf("%s: %s lacks the client type or the key", name, out)
		}
	}
	var decoded struct {
		Type string          `json:"type"`
		Key  json.RawMessage `json:"key"`
	}
	if err := json.Unmarshal(j, &decoded); err != nil || decoded.Type != "*s3.Client" {
		t.Fatalf("json.Marshal: %s (%v)", j, err)
	}
	if want, _ := ck.Key.MarshalJSON(); !bytes.Equal(decoded.Key, want) {
		t.Fatalf("json.Marshal key: %s, want the keys.Client's JSON %s", decoded.Key, want)
	}
}

// TestClientKeysMarshalToDistinctText pins that two different client keys
// name different JSON object members: encoding/json names a map's keys with
// MarshalText, which returned String, and the labels of two identities that
// differ only in their secret access key are equal (*** for both), so a
// map of per-identity values encoded one name twice and decoded to one
// tenant's value.
func TestClientKeysMarshalToDistinctText(t *testing.T) {
	var ks []clientcache.ClientKey
	for _, secret := range []string{"tenant-one-secret", "tenant-two-secret"} {
		creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSHARED", SecretAccessKey: keys.NewSecret(secret)})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: creds})
		if err != nil {
			t.Fatal(err)
		}
		k, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3"})
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, clientcache.ClientKey{Type: reflect.TypeFor[*s3.Client](), Key: k})
	}
	if ks[0].String() != ks[1].String() {
		t.Fatalf("labels differ (%s, %s): the test needs keys whose labels are equal", ks[0], ks[1])
	}
	b, err := json.Marshal(map[clientcache.ClientKey]int{ks[0]: 1, ks[1]: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"tenant-one-secret", "tenant-two-secret"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("the JSON of %d bytes holds a secret access key", len(b))
		}
	}
	var back map[string]int
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 {
		t.Fatalf("two client keys marshal to %d distinct JSON names: %s", len(back), b)
	}
	for name := range back {
		if !strings.HasPrefix(name, "*github.com/aws/aws-sdk-go-v2/service/s3.Client ") {
			t.Errorf("JSON name %q does not start with the client type and its package path", name)
		}
	}
}

// TestNamedClientKeyRequiresItsOptions: a client key's Name stands for the
// client options that cannot be compared, so a call that gives none for a
// named key would build and cache (or be served) a client the name does not
// describe, as Derived did before it took options. Client and Derived refuse
// it, so that the first call to miss always builds with the options.
func TestNamedClientKeyRequiresItsOptions(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key, err := keys.NewClient(keys.ClientInput{Config: w.tenant(t, 1), Service: "s3", Endpoint: w.s3.URL(),
		S3: keys.S3Options{UsePathStyle: true}, Name: "app-id-billing"})
	if err != nil {
		t.Fatal(err)
	}
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	_, err = clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign)
	if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "Derived(optFns)") {
		t.Fatalf("Derived for a named key without its options: %v, want ErrInvalid naming Derived(optFns)", err)
	}
	_, err = clientcache.Client(ctx, c, key, s3.NewFromConfig)
	if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "Client(optFns)") {
		t.Fatalf("Client for a named key without its options: %v, want ErrInvalid naming Client(optFns)", err)
	}
	if c.Len() != 0 || c.ConfigLen() != 0 {
		t.Fatal("a refused call built something")
	}
	cl, err := clientcache.Client(ctx, c, key, s3.NewFromConfig, func(o *s3.Options) { o.AppID = "billing" })
	if err != nil {
		t.Fatal(err)
	}
	if got := cl.Options().AppID; got != "billing" {
		t.Fatalf("AppID %q", got)
	}
}

// profileWithCABundle writes a shared config file whose profile "tenant"
// has static keys (access key id AKIDPROFILE) and names ca as its ca_bundle,
// and returns the file and the profile's credentials.
func profileWithCABundle(t *testing.T, ca []byte) (string, keys.Credentials) {
	t.Helper()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[profile tenant]\nregion = us-east-1\nca_bundle = "+caFile+
		"\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = "+baseSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds, err := keys.ProfileCredentials("tenant")
	if err != nil {
		t.Fatal(err)
	}
	return cfgFile, creds
}

// A profile whose shared config names a ca_bundle (a private CA, as behind a
// corporate proxy) gives an identity its credentials. Once every identity
// owned a plain *http.Client pool, the profile's credentials load was handed
// that pool, to which the SDK cannot add a CA bundle, and failed.
func TestProfileWithItsOwnCABundleLoads(t *testing.T) {
	srv, err := fakeaws.NewS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfgFile, creds := profileWithCABundle(t, srv.CABundle())
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, Credentials: creds,
		RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cfg, err := c.Config(ctx, cfgKey)
	if err != nil {
		assertNoSecret(t, err.Error())
		t.Fatalf("Config with profile credentials whose profile names a ca_bundle: %v", err)
	}
	got, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || got.AccessKeyID != "AKIDPROFILE" {
		t.Fatalf("the profile's credentials: access key %q, %v; want AKIDPROFILE", got.AccessKeyID, err)
	}
}

// An identity whose key names CA bundle A and whose profile names CA bundle B:
// the identity's own pool must trust A only. The retried profile load's
// BuildableClient shared the pool's RootCAs, to which the SDK appends B in
// place: the identity's clients then trusted B too. (Every fakeaws endpoint
// presents httptest's certificate, B here; A is a CA of its own.)
func TestProfileCABundleStaysOutOfTheIdentitysPool(t *testing.T) {
	srv, err := fakeaws.NewS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	caA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cfgFile, creds := profileWithCABundle(t, srv.CABundle())
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, Credentials: creds, CABundle: caA})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{})
	cfg, err := c.Config(context.Background(), cfgKey)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	hc := cfg.HTTPClient.(interface {
		Do(*http.Request) (*http.Response, error)
	})
	req, _ := http.NewRequest("GET", srv.URL(), nil)
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the identity's pool (CABundle A only) trusted the profile's CA bundle B: %s got %s", srv.URL(), resp.Status)
	}
}

// TestNilOrZeroCacheIsNamed pins what a nil *Cache or a zero Cache (not made
// by New) does at every entry point: an error wrapping ErrInvalid that names
// the parameter, or, where there is no error result, a panic with such an
// error. Before, GetClient, DeleteClient and PopClient dereferenced nil.
func TestNilOrZeroCacheIsNamed(t *testing.T) {
	cfgKey := staticIdentity(t, 1)
	s3Key := serviceKey(t, cfgKey, "s3")
	ctx := context.Background()
	for _, c := range []*clientcache.Cache{nil, new(clientcache.Cache)} {
		what := "zero"
		if c == nil {
			what = "nil"
		}
		for _, tc := range []struct {
			param string
			call  func() error
		}{
			{"Client(c)", func() error { _, err := clientcache.Client(ctx, c, s3Key, s3.NewFromConfig); return err }},
			{"Derived(c)", func() error {
				_, err := clientcache.Derived(ctx, c, s3Key, s3.NewFromConfig, "presign", func(s *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(s), nil })
				return err
			}},
			{"AddClient(c)", func() error { return clientcache.AddClient(c, s3Key, s3.New(s3.Options{})) }},
			{"PopClient(c)", func() error { _, err := clientcache.PopClient[*s3.Client](c, s3Key); return err }},
			{"(*Cache).Config", func() error { _, err := c.Config(ctx, cfgKey); return err }},
			{"(*Cache).Close", c.Close},
			{"GetClient(c)", panics(func() { clientcache.GetClient[*s3.Client](c, s3Key) })},
			{"DeleteClient(c)", panics(func() { clientcache.DeleteClient[*s3.Client](c, s3Key) })},
			{"DeleteDerived(c)", panics(func() { clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, s3Key, "presign") })},
			{"(*Cache).DeleteConfig", panics(func() { c.DeleteConfig(cfgKey) })},
			{"(*Cache).Len", panics(func() { c.Len() })},
			{"(*Cache).ConfigLen", panics(func() { c.ConfigLen() })},
			{"(*Cache).Keys", panics(func() { c.Keys() })},
			{"(*Cache).ConfigKeys", panics(func() { c.ConfigKeys() })},
			{"(*Cache).Stats", panics(func() { c.Stats() })},
		} {
			t.Run(what+"/"+tc.param, func(t *testing.T) {
				err := tc.call()
				if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) {
					t.Fatalf("got %v, want ErrInvalid naming %s", err, tc.param)
				}
			})
		}
		if s := fmt.Sprint(c); !strings.HasPrefix(s, "clientcache.Cache") {
			t.Errorf("%s cache prints %q", what, s)
		}
	}
}

// panics returns a function that runs f and returns the error it panicked
// with (nil if it did not panic, or panicked with something else).
func panics(f func()) func() error {
	return func() (err error) {
		defer func() { err, _ = recover().(error) }()
		f()
		return nil
	}
}

// roleProfile starts an STS endpoint and writes a shared config file whose
// profile "tenant" assumes fakeaws.RoleARN(1) from profile "base" (static
// keys with the base secret) and, if caBundle, trusts the endpoint through
// a ca_bundle file of its own. The STS client the SDK builds for the
// profile's role finds its endpoint in the environment only:
// AWS_ENDPOINT_URL_STS is set for the test.
func roleProfile(t *testing.T, caBundle bool) (*fakeaws.STS, string) {
	t.Helper()
	stssrv := fakeaws.NewSTS()
	t.Cleanup(stssrv.Close)
	stssrv.AddUser("AKIDBASE", baseSecret)
	dir := t.TempDir()
	tenant := "[profile tenant]\nregion = us-east-1\n"
	if caBundle {
		caFile := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(caFile, stssrv.CABundle(), 0o600); err != nil {
			t.Fatal(err)
		}
		tenant += "ca_bundle = " + caFile + "\n"
	}
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte(tenant+"role_arn = "+fakeaws.RoleARN(1)+"\nsource_profile = base"+
		"\n[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = "+baseSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL_STS", stssrv.URL())
	return stssrv, cfgFile
}

// A profile that names its own ca_bundle and assumes a role: its AssumeRole
// calls go through a pool the SDK builds from the cache's BuildableClient,
// which the cache cannot reach to close. That connection stayed open (idle,
// for the transport's 90 s) after Close; the pool now keeps no idle
// connection, so Close leaves none.
func TestProfileCABundleLeavesNoConnectionAfterClose(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, true)
	creds, err := keys.ProfileCredentials("tenant")
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	c := newUnclosedCache(t, clientcache.Options{})
	retrieve(t, c, cfgKey, "")
	if n := stssrv.CallsFor(fakeaws.RoleARN(1)); n != 1 {
		t.Fatalf("AssumeRole calls for the profile's role: %d, want 1", n)
	}
	closeLeavesNoConnection(t, c, stssrv, "STS")
}

// An identity with the default credential chain whose profile assumes a
// role (role_arn, source_profile): the chain's AssumeRole calls must go
// through the identity's own pool, which Close closes. They went through
// the HTTP client LoadDefaultConfig was handed, a BuildableClient whose pool
// the cache never closed, so the connection stayed open after Close.
func TestDefaultChainLeavesNoConnectionAfterClose(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, false)
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, Profile: "tenant",
		Credentials: keys.DefaultCredentials(), CABundle: stssrv.CABundle()})
	if err != nil {
		t.Fatal(err)
	}
	c := newUnclosedCache(t, clientcache.Options{})
	retrieve(t, c, cfgKey, "")
	if n := stssrv.CallsFor(fakeaws.RoleARN(1)); n != 1 {
		t.Fatalf("AssumeRole calls for the profile's role: %d, want 1", n)
	}
	closeLeavesNoConnection(t, c, stssrv, "STS")
}

// The default chain on ECS or EKS Pod Identity: the container credentials
// provider takes its HTTP client from its own options, not from the config,
// and built a pool of its own that the cache never closed.
func TestContainerCredentialsLeaveNoConnectionAfterClose(t *testing.T) {
	defaultChainLeavesNoConnection(t, containerEndpoint(t), "AKIDCONTAINER", "the container credentials endpoint")
}

// The default chain on EC2: the instance role's credentials come from IMDS,
// through a client the SDK builds, which must leave no connection open
// after Close either.
func TestInstanceRoleCredentialsLeaveNoConnectionAfterClose(t *testing.T) {
	defaultChainLeavesNoConnection(t, imdsEndpoint(t), "AKIDINSTANCE", "IMDS")
}

// defaultChainLeavesNoConnection retrieves the default chain's credentials,
// which srv serves (access key akid), through a cache, closes it, and checks
// that no connection to srv (named what) stays open.
func defaultChainLeavesNoConnection(t *testing.T, srv *fakeaws.Server, akid, what string) {
	t.Helper()
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: keys.DefaultCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	c := newUnclosedCache(t, clientcache.Options{})
	retrieve(t, c, cfgKey, akid)
	closeLeavesNoConnection(t, c, srv, what)
}

// DefaultsMode auto makes LoadDefaultConfig ask IMDS for the instance's
// region, through a client built from the HTTP client the load is handed:
// that client's pool must not keep the connection after Close. It did, for
// an identity with static credentials too.
func TestDefaultsModeAutoLeavesNoConnectionAfterClose(t *testing.T) {
	srv := imdsEndpoint(t)
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSTATIC", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	c := newUnclosedCache(t, clientcache.Options{})
	for _, cr := range []keys.Credentials{creds, keys.DefaultCredentials()} {
		cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", DefaultsMode: keys.DefaultsModeAuto, Credentials: cr})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Config(context.Background(), cfgKey); err != nil {
			t.Fatalf("Config: %v", err)
		}
	}
	if srv.Requests() == 0 {
		t.Fatal("DefaultsMode auto did not ask IMDS: the test proves nothing")
	}
	closeLeavesNoConnection(t, c, srv, "IMDS")
}

// Named load options that set the container credentials provider's options
// of their own (here only a flag; a retryer, an authorization token...)
// replaced the cache's, which hand that provider the HTTP client that keeps
// no idle connection: the provider then built a pool of its own, and its
// connection stayed open after Close. The caller's options are applied after
// the cache's, so they still win on anything they set.
func TestNamedEndpointCredentialOptionsLeaveNoConnectionAfterClose(t *testing.T) {
	srv := containerEndpoint(t)
	var applied atomic.Bool
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"container": {config.WithEndpointCredentialOptions(func(o *endpointcreds.Options) { applied.Store(true) })},
	}})
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: keys.DefaultCredentials(), Name: "container"})
	if err != nil {
		t.Fatal(err)
	}
	retrieve(t, c, cfgKey, "AKIDCONTAINER")
	if !applied.Load() {
		t.Fatal("the named EndpointCredentialOptions were not applied")
	}
	closeLeavesNoConnection(t, c, srv, "the container credentials endpoint")
}

// DefaultsMode auto asks IMDS for the instance's region while loading the
// config. The default chain's second LoadDefaultConfig (for its credentials)
// asked again, for a result nobody used: two IMDS round trips per load, and
// where IMDS does not answer (outside EC2, or a container past the IMDSv2
// hop limit) twice the wait for its timeouts.
func TestDefaultsModeAutoAsksIMDSForTheRegionOncePerLoad(t *testing.T) {
	srv := imdsEndpoint(t)
	profiles := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(profiles, []byte("[profile tenant]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = "+baseSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	profile, err := keys.ProfileCredentials("tenant")
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{})
	for _, tc := range []struct {
		name  string
		creds keys.Credentials
		want  string
	}{
		{"default chain", keys.DefaultCredentials(), "AKIDINSTANCE"},
		{"profile", profile, "AKIDPROFILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", DefaultsMode: keys.DefaultsModeAuto,
				SharedConfigFiles: []string{profiles}, Credentials: tc.creds})
			if err != nil {
				t.Fatal(err)
			}
			before := regionLookups(srv)
			if _, err := c.Config(context.Background(), cfgKey); err != nil {
				t.Fatalf("Config: %v", err)
			}
			if n := regionLookups(srv) - before; n != 1 {
				t.Fatalf("IMDS region lookups while loading one config: %d, want 1", n)
			}
			retrieve(t, c, cfgKey, tc.want)
		})
	}
}

func regionLookups(s *fakeaws.Server) int {
	n := 0
	for _, r := range s.Log() {
		if r.Path == "/latest/dynamic/instance-identity/document" { // imds.GetRegion
			n++
		}
	}
	return n
}

// An HTTP client of the caller's, set by named load options, is the one the
// SDK gives its service and STS clients; the SDK never gives it to the
// container credentials provider, which builds its own. The cache handed it
// the caller's client, so the container endpoint's authorization token went
// through the caller's transport (a proxy, a logging RoundTripper, mTLS
// meant for AWS). It gets an HTTP client of the cache's, which keeps no idle
// connection, as with the cache's own pool.
func TestCallersHTTPClientIsNotGivenToTheContainerProvider(t *testing.T) {
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-identity-token")
	var calls atomic.Int64
	mine := &http.Client{Transport: roundTripCounter{next: http.DefaultTransport, n: &calls}}

	// The SDK alone, for reference, on an endpoint of its own (the SDK's
	// pool keeps its connection open).
	ref := fakeaws.NewPodIdentityCredentials("pod-identity-token", "AKIDCONTAINER", baseSecret, "container-token")
	t.Cleanup(ref.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", ref.URL()+"/creds")
	ctx := context.Background()
	direct, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithHTTPClient(mine))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Credentials.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the SDK itself sent %d container credential requests through the caller's client: the test proves nothing", n)
	}
	srv := fakeaws.NewPodIdentityCredentials("pod-identity-token", "AKIDCONTAINER", baseSecret, "container-token")
	t.Cleanup(srv.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL()+"/creds")

	c, err := clientcache.New(clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: keys.DefaultCredentials(), Name: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := retrieve(t, c, cfgKey, "AKIDCONTAINER"); cfg.HTTPClient != mine {
		t.Fatalf("the identity's HTTP client is a %T, not the caller's", cfg.HTTPClient)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d container credential requests (with their authorization token) went through the caller's HTTP client", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	testwait.Until(t, "no connection open to the container credentials endpoint after Close", func() bool { return srv.OpenConnections() == 0 })
}

// newUnclosedCache returns a cache the test closes itself (to check what
// Close leaves behind); a Cleanup closes it too if the test stops first.
func newUnclosedCache(t *testing.T, o clientcache.Options) *clientcache.Cache {
	t.Helper()
	c, err := clientcache.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// imdsEndpoint starts a fake IMDS (instance role tenant-role, access key
// AKIDINSTANCE) and points the SDK at it, with IMDS enabled.
func imdsEndpoint(t *testing.T) *fakeaws.Server {
	t.Helper()
	srv := fakeaws.NewIMDS("tenant-role", "AKIDINSTANCE", baseSecret, "instance-token")
	t.Cleanup(srv.Close)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL())
	return srv
}

// containerEndpoint starts a fake container credentials endpoint (access
// key AKIDCONTAINER) and points the SDK's default chain at it.
func containerEndpoint(t *testing.T) *fakeaws.Server {
	t.Helper()
	srv := fakeaws.NewContainerCredentials("AKIDCONTAINER", baseSecret, "container-token")
	t.Cleanup(srv.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL()+"/creds")
	return srv
}

// retrieve loads the config of key and fetches its credentials, which must
// carry the access key id want (any, if want is empty).
func retrieve(t *testing.T, c *clientcache.Cache, key keys.Config, want string) aws.Config {
	t.Helper()
	ctx := context.Background()
	cfg, err := c.Config(ctx, key)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	got, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || want != "" && got.AccessKeyID != want {
		t.Fatalf("credentials: access key %q, %v; want %s", got.AccessKeyID, err, want)
	}
	return cfg
}

// closeLeavesNoConnection closes c and waits for srv (named what) to see
// every connection closed.
func closeLeavesNoConnection(t *testing.T, c *clientcache.Cache, srv interface{ OpenConnections() int64 }, what string) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "no connection open to "+what+" after Close", func() bool { return srv.OpenConnections() == 0 })
}

// TestLoadPanicReleasesThePoolsItHeld pins pools a panicking config load
// never let go of: the load of an assumed role holds its source identity's
// pool and its own, and let go of them on an error only, so a panic in the
// named load options (here the retryer, called as the STS client is built)
// left both held for good: the source identity's connections stayed open
// after its eviction, and after Close. A panic in the load's first
// AssumeRole call (here in a middleware of the named options' APIOptions)
// is the loader's too: the call runs on the load's goroutine. (Through
// aws.CredentialsCache.Retrieve, as it once ran, the panic was re-raised on
// a goroutine of the SDK's, where nothing can recover it, and ended the
// process; a panic in a later refresh still does.)
func TestLoadPanicReleasesThePoolsItHeld(t *testing.T) {
	var boom atomic.Bool
	retryer := func() aws.Retryer {
		if boom.Load() {
			panic("boom")
		}
		return retry.NewStandard()
	}
	inCall := func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("boom", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if boom.Load() {
				panic("boom")
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	}
	for name, opts := range map[string][]func(*config.LoadOptions) error{
		"retryer":    {config.WithRetryer(retryer)},
		"middleware": {config.WithAPIOptions([]func(*middleware.Stack) error{inCall})},
	} {
		t.Run(name, func(t *testing.T) {
			boom.Store(false)
			w := newWorld(t)
			c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{name: opts}})
			ctx := context.Background()
			base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
			if err != nil {
				t.Fatal(err)
			}
			role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: base, RoleARN: roleARN(1), SessionName: "clientcache-test",
				STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
			if err != nil {
				t.Fatal(err)
			}
			identity := func(creds keys.Credentials) keys.Config {
				k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: w.ca, Name: name, Credentials: creds,
					RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired})
				if err != nil {
					t.Fatal(err)
				}
				return k
			}
			srcKey, roleKey := identity(base), identity(role)
			// The source identity's pool holds an idle S3 connection.
			s3Key := w.s3Key(t, srcKey)
			cl, err := clientcache.Client(ctx, c, s3Key, s3.NewFromConfig)
			if err != nil {
				t.Fatal(err)
			}
			if err := put(ctx, cl, "base/x", "x"); err != nil {
				t.Fatal(err)
			}
			boom.Store(true)
			if _, err := c.Config(ctx, roleKey); !errors.Is(err, concurrent.ErrLoaderPanic) {
				t.Fatalf("got %v, want the loader's panic", err)
			}
			if !clientcache.DeleteClient[*s3.Client](c, s3Key) || !c.DeleteConfig(srcKey) {
				t.Fatal("the source identity or its client was not cached")
			}
			testwait.Until(t, "the evicted source identity's connection to close", func() bool { return w.s3.OpenConnections() == 0 })
			// Both pools, the source identity's and the role's own, released.
			if n := c.Stats().PoolsReleased; n != 2 {
				t.Fatalf("%d pools released, want 2", n)
			}
		})
	}
}

// TestClientRejectsANilOptionFunction pins a late panic and a silent accept:
// a nil function among Client's or Derived's optFns for a key that names
// them reached the SDK's constructor, which called it and panicked (reported
// as a loader panic, not as bad input), and once the client was cached the
// same call succeeded. Like a nil load option at New, it is an error naming
// the parameter, before anything loads, whether the client is cached or not.
func TestClientRejectsANilOptionFunction(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key, err := keys.NewClient(keys.ClientInput{Config: staticIdentity(t, 1), Service: "s3", Name: "app-id"})
	if err != nil {
		t.Fatal(err)
	}
	appID := func(o *s3.Options) { o.AppID = "app" }
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	check := func(when string) {
		t.Helper()
		_, err := clientcache.Client(ctx, c, key, s3.NewFromConfig, appID, nil)
		if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "Client(optFns[1])") {
			t.Errorf("%s: Client with a nil option function: %v, want ErrInvalid naming Client(optFns[1])", when, err)
		}
		_, err = clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign, nil)
		if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "Derived(optFns[0])") {
			t.Errorf("%s: Derived with a nil option function: %v, want ErrInvalid naming Derived(optFns[0])", when, err)
		}
	}
	check("not cached")
	if st := c.Stats(); st.Clients.LoadErrors+st.Derived.LoadErrors+st.Configs.Loads != 0 || c.Len() != 0 {
		t.Fatalf("a refused call reached a load: %d client and %d derived load errors, %d config loads",
			st.Clients.LoadErrors, st.Derived.LoadErrors, st.Configs.Loads)
	}
	if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig, appID); err != nil {
		t.Fatal(err)
	}
	check("cached")
}

// s3Options is an interface a caller may instantiate Client's C with.
type s3Options interface{ Options() s3.Options }

// TestNilClientOrDerivedObjectIsAnError pins a nil cached as a client and a
// panic in the caller: a constructor that returned a nil *s3.Client had it
// cached and served to every later call, and one whose client type is an
// interface, or a Derived build of an interface type, returning nil made
// the call panic (interface conversion) after the load. Each is now an
// error naming the function, nothing is cached, the pool the build held is
// let go of, and the next call builds again.
func TestNilClientOrDerivedObjectIsAnError(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	for _, tc := range []struct {
		name  string
		call  func() error
		param string
	}{
		{"Client, a nil *s3.Client", func() error {
			_, err := clientcache.Client(ctx, c, key, func(aws.Config, ...func(*s3.Options)) *s3.Client { return nil })
			return err
		}, "newClient"},
		{"Client, a nil interface", func() error {
			_, err := clientcache.Client(ctx, c, key, func(aws.Config, ...func(*s3.Options)) s3Options { return nil })
			return err
		}, "newClient"},
		{"Derived, a nil interface", func() error {
			_, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", func(*s3.Client) (fmt.Stringer, error) { return nil, nil })
			return err
		}, "Derived(build)"},
		{"Derived, a nil *s3.PresignClient", func() error {
			_, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", func(*s3.Client) (*s3.PresignClient, error) { return nil, nil })
			return err
		}, "Derived(build)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if p := panics(func() { err = tc.call() })(); p != nil {
				t.Fatalf("panicked: %v", p)
			}
			if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) || !strings.Contains(err.Error(), "nil") {
				t.Fatalf("got %v, want ErrInvalid naming %s", err, tc.param)
			}
		})
	}
	// Only the S3 client built for the Derived calls is cached; a nil is not.
	if n := c.Len(); n != 1 {
		t.Fatalf("Len %d after nil builds, want 1 (the derived objects' client)", n)
	}
	if _, ok := clientcache.GetClient[s3Options](c, key); ok {
		t.Fatal("a nil client is cached")
	}
	if cl, err := clientcache.Client(ctx, c, key, func(cfg aws.Config, o ...func(*s3.Options)) s3Options { return s3.NewFromConfig(cfg, o...) }); err != nil || cl == nil {
		t.Fatalf("the next call did not build: %v, %v", cl, err)
	}
	closeReleasingOnePool(t, c, "a failed build kept its hold")
}

// TestClientOfAnotherServiceIsRefused pins a broken promise of ClientKey (a
// key for S3 never returns a DynamoDB client): Client checked the service
// of the constructor's options type only, so a constructor whose options
// are not an SDK service's built and cached a DynamoDB client under an S3
// key, as AddClient refuses to. The client type is checked before anything
// loads, and a client returned through an interface type once built.
func TestClientOfAnotherServiceIsRefused(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	type noOptions struct{}
	type wrappedDynamoDB struct{ *dynamodb.Client }
	for _, tc := range []struct {
		name  string
		call  func() error
		param string
	}{
		{"Client, *dynamodb.Client", func() error {
			_, err := clientcache.Client(ctx, c, key, func(cfg aws.Config, _ ...func(*noOptions)) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) })
			return err
		}, "Client(key)"},
		{"Client, a wrapped *dynamodb.Client", func() error {
			_, err := clientcache.Client(ctx, c, key, func(cfg aws.Config, _ ...func(*noOptions)) wrappedDynamoDB {
				return wrappedDynamoDB{dynamodb.NewFromConfig(cfg)}
			})
			return err
		}, "Client(key)"},
		{"Derived, *dynamodb.Client", func() error {
			_, err := clientcache.Derived(ctx, c, key, func(cfg aws.Config, _ ...func(*noOptions)) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) },
				"waiter", func(cl *dynamodb.Client) (*dynamodb.TableExistsWaiter, error) {
					return dynamodb.NewTableExistsWaiter(cl), nil
				})
			return err
		}, "Derived(key)"},
		{"Client, an interface holding a *dynamodb.Client", func() error {
			_, err := clientcache.Client(ctx, c, key, func(cfg aws.Config, _ ...func(*noOptions)) any { return dynamodb.NewFromConfig(cfg) })
			return err
		}, "newClient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) || !strings.Contains(err.Error(), "dynamodb") {
				t.Fatalf("got %v, want ErrInvalid naming %s", err, tc.param)
			}
		})
	}
	if n := c.Len(); n != 0 {
		t.Fatalf("a DynamoDB client is cached under an S3 key: Len %d", n)
	}
	// A wrapper of the key's service through an interface is fine.
	if _, err := clientcache.Client(ctx, c, key, func(cfg aws.Config, o ...func(*s3.Options)) s3Options { return s3.NewFromConfig(cfg, o...) }); err != nil {
		t.Fatal(err)
	}
	closeReleasingOnePool(t, c, "a refused build kept its hold")
}

// TestClientKeyGoStringNamesItsType pins a lost field and a nondeterministic
// output: %#v of a ClientKey printed its reflect.Type as a pointer address
// ((*reflect.rtype)(0xc35de0)), which changes from build to build and does
// not say which client type the key is for.
func TestClientKeyGoStringNamesItsType(t *testing.T) {
	ck := clientcache.ClientKey{Type: reflect.TypeFor[*s3.Client](), Key: serviceKey(t, staticIdentity(t, 1), "s3")}
	got := fmt.Sprintf("%#v", ck)
	assertNoSecret(t, got)
	if want := "clientcache.ClientKey{Type: *s3.Client, Key: " + ck.Key.GoString() + "}"; got != want {
		t.Fatalf("%%#v = %s, want %s", got, want)
	}
}

// TestNewNamesTheBoundAboveTheLFULimit pins an error that named no option of
// New: with Policy LFU, a bound above concurrent.MaxLFUSize was refused by the
// engine with "concurrent: invalid Options.MaxSize", which names none of
// MaxConfigs, MaxClients or MaxDerived (so not the one at fault) and does not
// match ErrInvalid, unlike every other invalid option of New.
func TestNewNamesTheBoundAboveTheLFULimit(t *testing.T) {
	for _, tc := range []struct {
		param string
		o     clientcache.Options
	}{
		{"Options.MaxConfigs", clientcache.Options{Policy: clientcache.LFU, MaxConfigs: concurrent.MaxLFUSize + 1}},
		{"Options.MaxClients", clientcache.Options{Policy: clientcache.LFU, MaxClients: concurrent.MaxLFUSize + 1}},
		{"Options.MaxDerived", clientcache.Options{Policy: clientcache.LFU, MaxDerived: concurrent.MaxLFUSize + 1}},
	} {
		c, err := clientcache.New(tc.o)
		if err == nil {
			_ = c.Close()
			t.Fatalf("New with %s above MaxLFUSize under LFU: no error", tc.param)
		}
		if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) {
			t.Errorf("New with %s above MaxLFUSize under LFU: %v, want ErrInvalid naming %s", tc.param, err, tc.param)
		}
	}
	// The limit itself is accepted (LRU has none).
	for _, o := range []clientcache.Options{{Policy: clientcache.LFU, MaxClients: concurrent.MaxLFUSize}, {MaxClients: concurrent.MaxLFUSize + 1}} {
		c, err := clientcache.New(o)
		if err != nil {
			t.Fatalf("New(%+v): %v", o, err)
		}
		_ = c.Close()
	}
}

// TestNilContextIsNamed pins a nil-pointer panic for bad input: Config,
// Client and Derived given a nil context panicked inside the engine on a
// miss ("invalid memory address or nil pointer dereference", naming nothing)
// and worked on a hit. A nil context is now an error wrapping ErrInvalid
// that names the parameter, hit or miss, and nothing is loaded.
func TestNilContextIsNamed(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	cfgKey := staticIdentity(t, 1)
	key := serviceKey(t, cfgKey, "s3")
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	var nilCtx context.Context // what a caller's uninitialised field gives
	check := func(when string) {
		t.Helper()
		for _, tc := range []struct {
			param string
			call  func() error
		}{
			{"Config(ctx)", func() error { _, err := c.Config(nilCtx, cfgKey); return err }},
			{"Client(ctx)", func() error { _, err := clientcache.Client(nilCtx, c, key, s3.NewFromConfig); return err }},
			{"Derived(ctx)", func() error {
				_, err := clientcache.Derived(nilCtx, c, key, s3.NewFromConfig, "presign", presign)
				return err
			}},
		} {
			var err error
			if p := panics(func() { err = tc.call() })(); p != nil {
				t.Fatalf("%s: %s with a nil context panicked: %v", when, tc.param, p)
			}
			if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.param) {
				t.Errorf("%s: got %v, want ErrInvalid naming %s", when, err, tc.param)
			}
		}
	}
	check("not cached")
	if st := c.Stats(); st.Configs.Loads+st.Clients.Loads+st.Derived.Loads != 0 {
		t.Fatalf("a call with a nil context loaded: %+v", st)
	}
	if _, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "presign", presign); err != nil {
		t.Fatal(err)
	}
	check("cached")
}

// TestNewRejectsALoadOptionsNameNoKeyCanHold pins options accepted in
// silence: New refused the empty name in Options.LoadOptions, which no key
// can refer to, but accepted every other name no key can hold (a control
// character such as the newline of a name read from a file, invalid UTF-8,
// more than 256 bytes: keys.NewConfig refuses each as Config.Name), so the
// options registered under it could never be used and nothing said so.
func TestNewRejectsALoadOptionsNameNoKeyCanHold(t *testing.T) {
	for _, name := range []string{"tenant-a\n", "bad\x00name", "\xff", strings.Repeat("n", 257)} {
		c, err := clientcache.New(clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
			"ok": {config.WithAppID("ok")}, name: {config.WithAppID("x")},
		}})
		if err == nil {
			_ = c.Close()
		}
		if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "Options.LoadOptions") {
			t.Errorf("New with the load options name %q: %v, want ErrInvalid naming Options.LoadOptions", name, err)
		}
	}
	// A name a key can hold is accepted, and a key can use it.
	name := strings.Repeat("n", 256)
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{name: {config.WithAppID("x")}}})
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: name, Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Config(context.Background(), key); err != nil {
		t.Fatal(err)
	}
}

// TestBusyTenantKeepsItsConfigUnderIdleTimeout pins the eviction of a busy
// tenant's identity as if it had gone quiet: with Options.IdleTimeout, only a
// Config call or a client miss counted as asking for a config, so a tenant
// using its S3 client all the time (hits) had its config expire; its first
// DynamoDB client then loaded the identity again, with a second AssumeRole
// call, a second credentials cache and a second pool, against "every client
// of one config identity shares its credentials cache and connection pool".
// A client hit now counts as a use of the config it was built from. Later,
// the same through GetClient, whose hits still did not count (found by a
// review helper), against Options.IdleTimeout's "a hit on a client ... [is
// a use] of the config they were built from".
func TestBusyTenantKeepsItsConfigUnderIdleTimeout(t *testing.T) {
	for _, use := range []struct {
		name string
		hit  func(ctx context.Context, c *clientcache.Cache, key keys.Client) error
	}{
		{"Client", func(ctx context.Context, c *clientcache.Cache, key keys.Client) error {
			_, err := clientcache.Client(ctx, c, key, s3.NewFromConfig)
			return err
		}},
		{"GetClient", func(_ context.Context, c *clientcache.Cache, key keys.Client) error {
			if _, ok := clientcache.GetClient[*s3.Client](c, key); !ok {
				return errors.New("the busy client itself expired")
			}
			return nil
		}},
	} {
		t.Run(use.name, func(t *testing.T) {
			w := newWorld(t)
			const idle = time.Minute
			clock := testclock.New()
			c := newClientCache(t, clientcache.WithClock(clientcache.Options{IdleTimeout: idle}, clock))
			ctx := context.Background()
			cfg := w.tenant(t, 1)
			key := w.s3Key(t, cfg)
			if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
				t.Fatal(err)
			}
			// The tenant stays busy with its S3 client (a hit every fortieth
			// of the idle timeout) for several idle timeouts.
			for range 3 * 40 {
				clock.Advance(idle / 40)
				if err := use.hit(ctx, c, key); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := clientcache.Client(ctx, c, serviceKey(t, cfg, "dynamodb"), dynamodb.NewFromConfig); err != nil {
				t.Fatal(err)
			}
			if n := w.sts.Calls(); n != 1 {
				t.Fatalf("%d AssumeRole calls for one busy tenant, want 1: its config expired while its S3 client was in use through %s", n, use.name)
			}
			if n := c.Stats().Configs.Loads; n != 2 { // the tenant's and its source identity's
				t.Fatalf("%d config loads, want 2 (the tenant and its source identity)", n)
			}
		})
	}
}

// TestBusyDerivedObjectKeepsItsClientUnderIdleTimeout: with
// Options.IdleTimeout, a tenant busy with a derived object (a presign client,
// hits only) keeps the client it was built from, so its next Client call for
// that key finds it instead of building a second client beside the one the
// derived object holds, and the config of both, so its first client of
// another service assumes no role again.
func TestBusyDerivedObjectKeepsItsClientUnderIdleTimeout(t *testing.T) {
	w := newWorld(t)
	const idle = time.Minute
	clock := testclock.New()
	c := newClientCache(t, clientcache.WithClock(clientcache.Options{IdleTimeout: idle}, clock))
	ctx := context.Background()
	cfg := w.tenant(t, 1)
	key := w.s3Key(t, cfg)
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	if _, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign); err != nil {
		t.Fatal(err)
	}
	for range 3 * 40 {
		clock.Advance(idle / 40)
		if _, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign); err != nil {
			t.Fatal(err)
		}
	}
	// The config too: the tenant's first DynamoDB client assumes no role
	// again (a review found no test failing without Derived's use of it).
	if _, err := clientcache.Client(ctx, c, serviceKey(t, cfg, "dynamodb"), dynamodb.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	if n := w.sts.Calls(); n != 1 {
		t.Fatalf("%d AssumeRole calls for one tenant busy with a derived object, want 1: its config expired", n)
	}
	if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.ClientBuilds != 2 {
		t.Fatalf("%d clients built, want 2 (S3 once, DynamoDB once): the S3 client expired while its presign client was in use", st.ClientBuilds)
	}
	if st.Clients.Hits != 1 || st.Clients.Misses != 2 {
		t.Fatalf("client stats: %d hits, %d misses; want the first Derived's and DynamoDB's misses and the S3 Client call's hit (derived hits count none)", st.Clients.Hits, st.Clients.Misses)
	}
}

// TestBusyTenantsKeepTheirBaseRoleUnderIdleTimeout pins the same eviction one
// step down a role chain: tenants assumed from one base role share the base's
// session (its config identity in the cache), but a use of a tenant's config
// did not count as a use of the base's, so with Options.IdleTimeout the base
// expired while its tenants were busy, and the next tenant to load assumed
// the base role again instead of sharing its session. A use of a config now
// counts as a use of the source identities it was assumed from.
func TestBusyTenantsKeepTheirBaseRoleUnderIdleTimeout(t *testing.T) {
	w := newWorld(t)
	const idle = time.Minute
	clock := testclock.New()
	c := newClientCache(t, clientcache.WithClock(clientcache.Options{IdleTimeout: idle}, clock))
	ctx := context.Background()
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	const baseRole = "arn:aws:iam::123456789012:role/base"
	base, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: static, RoleARN: baseRole, SessionName: "base-session",
		STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	tenant := func(n int) keys.Client {
		role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: base, RoleARN: roleARN(n), SessionName: "clientcache-test",
			STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: w.ca, RetryMaxAttempts: 1, Credentials: role,
			Labels: []keys.Label{{Key: "tenant", Value: fmt.Sprint(n)}}})
		if err != nil {
			t.Fatal(err)
		}
		return w.s3Key(t, cfg)
	}
	busy := tenant(1)
	for range 3 * 40 {
		clock.Advance(idle / 40)
		if _, err := clientcache.Client(ctx, c, busy, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := clientcache.Client(ctx, c, tenant(2), s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	if n := w.sts.CallsFor(baseRole); n != 1 {
		t.Fatalf("the base role was assumed %d times for two tenants, want 1: its session expired while a tenant assumed from it was busy", n)
	}
}

// TestClientHitCountsNoConfigMiss: a client hit records a use of its
// config, but counts nothing in Stats.Configs: not a hit for a config that is
// cached (nobody asked for it), and not a miss for one that is not (a client
// added by hand, or built before DeleteConfig): nothing loads it.
func TestClientHitCountsNoConfigMiss(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cfgKey := staticIdentity(t, 1)
	key := serviceKey(t, cfgKey, "s3")
	if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	cached := c.Stats().Configs
	for range 10 {
		if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
	}
	if after := c.Stats().Configs; after.Hits != cached.Hits || after.Misses != cached.Misses {
		t.Fatalf("10 client hits on a cached config counted %d config hits and %d misses, want none", after.Hits-cached.Hits, after.Misses-cached.Misses)
	}
	if !c.DeleteConfig(cfgKey) {
		t.Fatal("the config was not cached")
	}
	added := serviceKey(t, staticIdentity(t, 2), "s3")
	if err := clientcache.AddClient(c, added, s3.New(s3.Options{Region: "us-east-1"})); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Configs
	for range 10 {
		if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
		if _, err := clientcache.Client(ctx, c, added, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
	}
	if after := c.Stats().Configs; after.Hits != before.Hits || after.Misses != before.Misses || after.Loads != before.Loads {
		t.Fatalf("20 client hits counted %d config hits, %d misses and %d loads, want none", after.Hits-before.Hits, after.Misses-before.Misses, after.Loads-before.Loads)
	}
}

// TestNewNamesTheFirstInvalidOptionInFieldOrder: New's doc says it names
// the first invalid option; Options declares Policy before IdleTimeout and
// LoadTimeout, as concurrent.Options does (whose New was mended to check in
// that order).
func TestNewNamesTheFirstInvalidOptionInFieldOrder(t *testing.T) {
	for _, tc := range []struct {
		o    clientcache.Options
		want string
	}{
		{clientcache.Options{Policy: 9, IdleTimeout: -1}, "Options.Policy"},
		{clientcache.Options{Policy: 9, LoadTimeout: -1}, "Options.Policy"},
		{clientcache.Options{MaxDerived: -1, Policy: 9}, "Options.MaxDerived"},
		{clientcache.Options{IdleTimeout: -1, LoadTimeout: -1}, "Options.IdleTimeout"},
		{clientcache.Options{MaxClients: concurrent.MaxLFUSize + 1, Policy: clientcache.LFU, IdleTimeout: -1}, "Options.MaxClients"},
	} {
		_, err := clientcache.New(tc.o)
		if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want ErrInvalid naming %s (the first invalid field in Options' order)", tc.o, err, tc.want)
		}
	}
}

// TestNewRejectsALoggerWithoutHandler: the zero slog.Logger (new(slog.Logger),
// &slog.Logger{}) has no handler, and every call of its methods dereferences
// it, as a Logger around a nil handler pointer does. New accepted both, and
// every load then failed with a nil-pointer panic (concurrent.ErrLoaderPanic)
// that named no option.
func TestNewRejectsALoggerWithoutHandler(t *testing.T) {
	for name, logger := range map[string]*slog.Logger{
		"the zero slog.Logger":    new(slog.Logger),
		"a nil *slog.JSONHandler": slog.New((*slog.JSONHandler)(nil)),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := clientcache.New(clientcache.Options{Logger: logger})
			if err == nil {
				defer c.Close()
				_, err := c.Config(context.Background(), staticIdentity(t, 1))
				t.Fatalf("New accepted it; Config then returned %v", err)
			}
			if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "Options.Logger") {
				t.Fatalf("New = %v, want ErrInvalid naming Options.Logger", err)
			}
		})
	}
	// A working logger is accepted.
	newClientCache(t, clientcache.Options{Logger: slog.New(slog.DiscardHandler)})
}

// TestMaxConfigsCountsTheSourceIdentityOfAssumedRoles: tenants assumed from
// the service's own credentials hold one more cached config, their base.
// DefaultMaxEntries' doc advised MaxConfigs = the tenants active at once:
// with that bound, tenants used in turn evicted one another, and every call
// was an AssumeRole. The bound that holds them counts the base too.
func TestMaxConfigsCountsTheSourceIdentityOfAssumedRoles(t *testing.T) {
	const tenants, rounds = 3, 3
	for _, tc := range []struct {
		max     int
		atLeast int64 // AssumeRole calls
		atMost  int64
	}{
		{tenants, tenants * rounds, tenants * rounds}, // the base takes a slot: thrashing
		{tenants + 1, tenants, tenants},               // tenants and their base: one call each
	} {
		w := newWorld(t)
		c := newClientCache(t, clientcache.Options{MaxConfigs: tc.max})
		for range rounds {
			for tn := 1; tn <= tenants; tn++ {
				if _, err := c.Config(context.Background(), w.tenant(t, tn)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := w.sts.Calls(); n < tc.atLeast || n > tc.atMost {
			t.Fatalf("MaxConfigs %d, %d tenants of one base used in turn %d times: %d AssumeRole calls, want %d to %d",
				tc.max, tenants, rounds, n, tc.atLeast, tc.atMost)
		}
	}
}

// TestConfigCredentialsAreWhatConfigsDocSays: Config's doc says the
// config's credentials are an aws.CredentialsCache; anonymous credentials
// are aws.AnonymousCredentials, in no cache (the SDK recognises them
// there to skip signing), as the doc now says.
func TestConfigCredentialsAreWhatConfigsDocSays(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", baseSecret)
	c := newClientCache(t, clientcache.Options{})
	for _, tc := range []struct {
		creds keys.Credentials
		cache bool
	}{
		{staticIdentity(t, 1).Credentials(), true},
		{keys.DefaultCredentials(), true},
		{keys.AnonymousCredentials(), false},
	} {
		key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: tc.creds})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := c.Config(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		_, isCache := cfg.Credentials.(*aws.CredentialsCache)
		_, isAnon := cfg.Credentials.(aws.AnonymousCredentials)
		if isCache != tc.cache || (!tc.cache && !isAnon) {
			t.Errorf("%v credentials: Config's Credentials is a %T", tc.creds.Kind(), cfg.Credentials)
		}
	}
}

// s3Holder is a derived object that holds its client (as a transfer manager
// does), so that its requests go through the pool the derived entry holds.
type s3Holder struct{ c *s3.Client }

// TestPoolsUnderChurnWithKeptClients: goroutines use the clients and derived
// objects of more tenants than the caches hold (assumed roles and static
// identities), keep some of them across evictions and go on using them,
// while others evict (DeleteConfig, DeleteClient, the idle timeout) and,
// at the end, Close races with them. No request fails (a kept client keeps
// working after its pool is released), every pool is released exactly once
// (PoolsReleased never exceeds the configs loaded, and equals them after
// Close), and once Close returned and every kept client is done, no
// connection to S3 or STS stays open. It runs with endpoints speaking
// HTTP/1.1 and HTTP/2: over HTTP/2, requests of a kept client failed
// ("cannot rewind body after connection loss") when they shared a
// connection with others asking for it to be closed.
func TestPoolsUnderChurnWithKeptClients(t *testing.T) {
	t.Run("HTTP1", func(t *testing.T) { poolsUnderChurnWithKeptClients(t, false) })
	t.Run("HTTP2", func(t *testing.T) { poolsUnderChurnWithKeptClients(t, true) })
}

func poolsUnderChurnWithKeptClients(t *testing.T, http2 bool) {
	rounds := 60
	if testing.Short() {
		rounds = 20
	}
	const tenants, statics, workers = 3, 2, 6
	seed := time.Now().UnixNano()
	if s := os.Getenv("CLIENTCACHE_CHURN_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (CLIENTCACHE_CHURN_SEED)", seed)
	w := newWorldOver(t, http2)
	const idle = time.Minute
	clock := testclock.New()
	c := newClientCache(t, clientcache.WithClock(clientcache.Options{MaxConfigs: 2, MaxClients: 2, MaxDerived: 2, IdleTimeout: idle}, clock))
	ctx := context.Background()
	type tenantKeys struct {
		cfg    keys.Config
		s3     keys.Client
		prefix string
	}
	var ts []tenantKeys
	for tn := range tenants {
		cfg := w.tenant(t, tn)
		ts = append(ts, tenantKeys{cfg, w.s3Key(t, cfg), fmt.Sprintf("tenant-%d/", tn)})
	}
	for n := range statics {
		creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: fmt.Sprint("AKIDCHURN", n), SecretAccessKey: keys.NewSecret(baseSecret)})
		if err != nil {
			t.Fatal(err)
		}
		w.s3.AddUser(fmt.Sprint("AKIDCHURN", n), baseSecret)
		cfg := w.config(t, creds)
		ts = append(ts, tenantKeys{cfg, w.s3Key(t, cfg), fmt.Sprintf("static-%d/", n)})
	}
	{
		// One upload first, through a cache of its own, so that both
		// endpoints serve a request (Close may win the race against the
		// workers' first ones) and the protocol check below proves
		// something.
		warm := newClientCache(t, clientcache.Options{})
		cl, err := clientcache.Client(ctx, warm, ts[0].s3, s3.NewFromConfig)
		if err != nil {
			t.Fatal(err)
		}
		if err := put(ctx, cl, ts[0].prefix+"warm", "warm"); err != nil {
			t.Fatal(err)
		}
		if err := warm.Close(); err != nil {
			t.Fatal(err)
		}
	}
	hold := func(cl *s3.Client) (*s3Holder, error) { return &s3Holder{cl}, nil }
	var closed atomic.Bool
	checkCounts := func() {
		// Before Close, no load fails: a pool is released only after its
		// load has been counted. (Close fails the loads in flight, whose
		// pools, if made, are released too.)
		wasClosed := closed.Load()
		st := c.Stats()
		if !wasClosed && st.PoolsReleased > int64(st.Configs.Loads) {
			t.Errorf("%d pools released, but only %d configs loaded (one pool each), %d load errors", st.PoolsReleased, st.Configs.Loads, st.Configs.LoadErrors)
		}
	}

	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mathrand.New(mathrand.NewPCG(uint64(seed), uint64(g)))
			var kept []*s3.Client
			for i := range rounds {
				tk := ts[rng.IntN(len(ts))]
				var cl *s3.Client
				var err error
				switch op := rng.IntN(10); {
				case op < 4:
					cl, err = clientcache.Client(ctx, c, tk.s3, s3.NewFromConfig)
				case op < 7:
					var h *s3Holder
					h, err = clientcache.Derived(ctx, c, tk.s3, s3.NewFromConfig, "holder", hold)
					if err == nil {
						cl = h.c
					}
				case op < 8:
					c.DeleteConfig(tk.cfg)
				case op < 9:
					clientcache.DeleteClient[*s3.Client](c, tk.s3)
				default:
					clock.Advance(idle / 2)
				}
				if err != nil {
					// Close cancels the loads in flight.
					if closed.Load() && (errors.Is(err, clientcache.ErrClosed) || errors.Is(err, context.Canceled)) {
						cl = nil
					} else {
						t.Errorf("worker %d round %d: %v", g, i, err)
						return
					}
				}
				if cl != nil && rng.IntN(3) == 0 {
					kept = append(kept, cl)
				}
				// A request through this round's client, and one through a
				// client kept from an earlier round (evicted since, maybe).
				use := []*s3.Client{cl}
				if len(kept) > 0 {
					use = append(use, kept[rng.IntN(len(kept))])
				}
				for _, u := range use {
					if u == nil {
						continue
					}
					obj := fmt.Sprintf("%sw%d-r%d", tk.prefix, g, i)
					if err := put(ctx, u, obj, obj); err != nil {
						t.Errorf("worker %d round %d: a request through a client: %v", g, i, err)
						return
					}
				}
				checkCounts()
			}
		}()
	}
	// Close races with the workers' last rounds.
	time.Sleep(time.Duration(seed%50) * time.Millisecond)
	closed.Store(true)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Every loaded config's pool is released once; so is the pool of a
	// load Close failed, if it made one.
	st := c.Stats()
	if st.PoolsReleased < int64(st.Configs.Loads) || st.PoolsReleased > int64(st.Configs.Loads+st.Configs.LoadErrors) {
		t.Fatalf("%d configs loaded (one pool each) and %d failed, %d pools released", st.Configs.Loads, st.Configs.LoadErrors, st.PoolsReleased)
	}
	testwait.Until(t, "every S3 connection to close after Close, once every kept client is done", func() bool { return w.s3.OpenConnections() == 0 })
	testwait.Until(t, "every STS connection to close after Close", func() bool { return w.sts.OpenConnections() == 0 })
	want := "HTTP/1.1"
	if http2 {
		want = "HTTP/2.0"
	}
	for _, srv := range []*fakeaws.Server{w.s3.Server, w.sts.Server} {
		for _, r := range srv.Log() {
			if r.Proto != want {
				t.Fatalf("%s %s came over %s, not %s", r.Method, r.Path, r.Proto, want)
			}
		}
	}
}

// TestCloseEndsTheFetchOfABuildItWaitsFor: Close waits for the Derived
// builds still running, even those whose load it cancelled; a build that
// fetches its client's credentials once Close has begun (here: credentials
// expired, STS stalling) started a refresh that Close neither ended (it
// began after Close ended the fetches in flight, as a kept client's later
// refreshes do) nor bounded: Close waited for as long as STS took, the
// hang Close's ending of fetches exists to prevent.
func TestCloseEndsTheFetchOfABuildItWaitsFor(t *testing.T) {
	w := newWorld(t)
	c := newUnclosedCache(t, clientcache.Options{})
	t.Cleanup(w.sts.CloseClientConnections) // before the cache's Close (cleanups run last first): ends a stalled call (the defect)
	ctx := context.Background()
	key := w.s3Key(t, w.tenant(t, 1))
	w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
	if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Delay: time.Hour} })
	started, release := make(chan struct{}), make(chan struct{})
	fetched := make(chan error, 1)
	build := func(cl *s3.Client) (int, error) {
		close(started)
		<-release
		_, err := cl.Options().Credentials.Retrieve(context.Background())
		fetched <- err
		return 0, err
	}
	derived := make(chan error, 1)
	go func() {
		_, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "refreshes", build)
		derived <- err
	}()
	<-started
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	testwait.Until(t, "Close to have emptied the cache", func() bool {
		_, ok := clientcache.GetClient[*s3.Client](c, key)
		return !ok
	})
	close(release)
	testwait.Until(t, "Close to return, the build's fetch ended", func() bool { return len(closed) == 1 })
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := <-fetched; !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("the build's fetch during Close failed with an error that is not ErrClosed (nil: %v)", err == nil)
	}
	if err := <-derived; err == nil {
		t.Fatal("the Derived call that Close cancelled succeeded")
	}
}

// TestKeyOptionsAreCheckedAgainstEachOptionsType: a key's value options are
// checked against the client options type of each call, hits included, and
// from what was learnt of that type before (a hit checks without looking
// fields up): a type without the field, a type whose field has another
// type, and a type that is not a struct are refused each time they are
// used, naming the option and the type, while the SDK's S3 Options take the
// same key.
func TestKeyOptionsAreCheckedAgainstEachOptionsType(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	k, err := keys.NewClient(keys.ClientInput{Config: staticIdentity(t, 1), Service: "s3", Region: "eu-west-1", S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	type noPathStyle struct{ Region string }
	type intRegion struct {
		Region       int
		UsePathStyle bool
	}
	for range 2 { // the second time, from what the first learnt of each type
		if _, err := clientcache.Client(ctx, c, k, s3.NewFromConfig); err != nil {
			t.Fatalf("S3's Options refused the key: %v", err)
		}
		for _, tc := range []struct {
			name string
			call func() error
			want string
		}{
			{"no field", func() error {
				_, err := clientcache.Client(ctx, c, k, func(aws.Config, ...func(*noPathStyle)) *s3.Client { return nil })
				return err
			}, "option UsePathStyle does not apply to clientcache_test.noPathStyle"},
			{"field of another type", func() error {
				_, err := clientcache.Client(ctx, c, k, func(aws.Config, ...func(*intRegion)) *s3.Client { return nil })
				return err
			}, "option Region of clientcache_test.intRegion has type int"},
			{"not a struct", func() error {
				_, err := clientcache.Client(ctx, c, k, func(aws.Config, ...func(*int)) *s3.Client { return nil })
				return err
			}, "option Region does not apply to int"},
		} {
			if err := tc.call(); !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "Client(key)") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: got %v, want ErrInvalid naming Client(key) and saying %q", tc.name, err, tc.want)
			}
		}
	}
	if st := c.Stats(); st.Clients.Misses != 1 || st.Clients.Hits != 1 || st.Clients.LoadErrors != 0 {
		t.Errorf("clients: %d misses, %d hits, %d load errors; want 1, 1 and 0 (refused calls reach no load)", st.Clients.Misses, st.Clients.Hits, st.Clients.LoadErrors)
	}
}

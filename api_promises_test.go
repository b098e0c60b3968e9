package clientcache_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// TestClientKeyPrintsItsLabelUnderEveryVerb: ExampleClientKey says keys
// print a readable label with secrets masked under every verb, and keys.Client
// implements fmt.Formatter so that no verb walks its fields. ClientKey did
// not: under %d, %t and the other verbs no String is called for, fmt walked
// its fields by reflection and printed the reflect.Type's internals (an
// address under %d, the *reflect.rtype's fields under %t) instead of the
// client type.
func TestClientKeyPrintsItsLabelUnderEveryVerb(t *testing.T) {
	w := newWorld(t)
	k := clientcache.ClientKey{Type: reflect.TypeFor[*s3.Client](), Key: w.s3Key(t, w.tenant(t, 1))}
	label := k.String()
	for _, verb := range []string{"%v", "%+v", "%s", "%d", "%t", "%o", "%e", "%b", "%+d", "%10d"} {
		s := fmt.Sprintf(verb, k)
		assertNoSecret(t, s)
		if !strings.Contains(s, label) || strings.Contains(s, "rtype") {
			t.Errorf("ClientKey under %s does not print its label (printed %d bytes, label found: %v)", verb, len(s), strings.Contains(s, label))
		}
	}
	if got := fmt.Sprintf("%#v", k); got != k.GoString() {
		t.Errorf("ClientKey under %s does not print its GoString", "%#v")
	}
	if got, want := fmt.Sprintf("%q|%x", k, k), fmt.Sprintf("%q|%x", label, label); got != want {
		t.Errorf("ClientKey under %s does not print its quoted or hex-encoded label", "%q or %x")
	}
}

// TestKeysAreInEvictionOrderAfterHits: Keys and ConfigKeys list the next
// victim first; a hit of Client, and GetClient's lookup, are uses that move
// a client (and the config it was built from) to the back.
func TestKeysAreInEvictionOrderAfterHits(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	k1, k2, k3 := w.s3Key(t, w.tenant(t, 1)), w.s3Key(t, w.tenant(t, 2)), w.s3Key(t, w.tenant(t, 3))
	for _, k := range []keys.Client{k1, k2, k3, k1} {
		if _, err := clientcache.Client(ctx, c, k, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := clientcache.GetClient[*s3.Client](c, k2); !ok {
		t.Fatal("GetClient missed a cached client")
	}
	var clients []keys.Client
	for k := range c.Keys() {
		clients = append(clients, k.Key)
	}
	if !slices.Equal(clients, []keys.Client{k3, k1, k2}) {
		t.Fatalf("Keys not in eviction order after hits: tenants 3, 1, 2 expected (%d keys)", len(clients))
	}
	cfgs := slices.Collect(c.ConfigKeys())
	i1, i2, i3 := slices.Index(cfgs, k1.Config()), slices.Index(cfgs, k2.Config()), slices.Index(cfgs, k3.Config())
	if !(0 <= i3 && i3 < i1 && i1 < i2) {
		t.Fatalf("ConfigKeys: tenants' configs at %d, %d, %d, want 3's before 1's before 2's", i1, i2, i3)
	}
}

// slowConfigLoad returns a new cache and the key of an identity whose load
// signals entered once its named load options run, then waits for release
// to be closed.
func slowConfigLoad(t *testing.T) (c *clientcache.Cache, key keys.Config, entered, release chan struct{}) {
	t.Helper()
	entered, release = make(chan struct{}, 1), make(chan struct{})
	c = newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"slow": {func(*config.LoadOptions) error { entered <- struct{}{}; <-release; return nil }},
	}})
	in := staticIdentity(t, 1).Input()
	in.Name = "slow"
	key, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	return c, key, entered, release
}

// TestDeleteConfigDuringItsLoadStoresNothing pins DeleteConfig's "A load of
// key in flight is not stored": the caller of the load still gets its
// config, the cache keeps none, and the pool the load made is released.
func TestDeleteConfigDuringItsLoadStoresNothing(t *testing.T) {
	c, key, entered, release := slowConfigLoad(t)
	type result struct {
		cfg aws.Config
		err error
	}
	done := make(chan result, 1)
	go func() { cfg, err := c.Config(context.Background(), key); done <- result{cfg, err} }()
	<-entered
	if c.DeleteConfig(key) {
		t.Error("DeleteConfig reported a config still loading as cached")
	}
	close(release)
	r := <-done
	if r.err != nil || r.cfg.Credentials == nil {
		t.Fatalf("the load's caller got no config: %v", r.err)
	}
	if n := c.ConfigLen(); n != 0 {
		t.Fatalf("a load in flight at DeleteConfig was stored: ConfigLen %d", n)
	}
	if n := c.Stats().PoolsReleased; n != 1 {
		t.Fatalf("the discarded load's pool: %d pools released, want 1", n)
	}
}

// TestAnEvictedSourceIdentityKeepsItsPoolWhileARoleAssumedFromItIsCached
// pins what Config's doc, DeleteConfig's and the package documentation now
// say: a role assumed from a source identity holds the source's pool (its
// refreshes go through it), so evicting the source, from which no client was
// built, does not close that pool until the role's pool is released too.
func TestAnEvictedSourceIdentityKeepsItsPoolWhileARoleAssumedFromItIsCached(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	tenant := w.tenant(t, 1)
	if _, err := c.Config(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	var base keys.Config
	found := false
	for k := range c.ConfigKeys() {
		if k != tenant {
			base, found = k, true
		}
	}
	if !found || c.ConfigLen() != 2 || base.Credentials() != tenant.Credentials().Source() {
		t.Fatalf("%d configs cached, want the tenant's and its source's", c.ConfigLen())
	}
	if !c.DeleteConfig(base) {
		t.Fatal("the source identity was not cached")
	}
	if n := c.Stats().PoolsReleased; n != 0 {
		t.Fatalf("the source's pool was released (%d) while a role assumed from it is cached", n)
	}
	if !c.DeleteConfig(tenant) {
		t.Fatal("the tenant was not cached")
	}
	if n := c.Stats().PoolsReleased; n != 2 {
		t.Fatalf("%d pools released once the role was evicted too, want 2", n)
	}
}

// TestEngineErrorsSayWhichCall: the engine's sentinels (ErrClosed,
// ErrExists, ErrNotFound) came out of the package's functions as the engine
// words them ("concurrent: key already present"), naming another package
// and neither the call nor the key. They still match with errors.Is.
func TestEngineErrorsSayWhichCall(t *testing.T) {
	w := newWorld(t)
	k := w.s3Key(t, w.tenant(t, 1))
	ctx := context.Background()
	mine := s3.New(s3.Options{Region: "us-east-1"})
	open := newClientCache(t, clientcache.Options{})
	closed := newUnclosedCache(t, clientcache.Options{})
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	for _, tc := range []struct {
		call, prefix string
		sentinel     error
		err          func() error
	}{
		{"PopClient of a key not cached", "clientcache: PopClient(key): a *s3.Client Client{", clientcache.ErrNotFound, func() error {
			_, err := clientcache.PopClient[*s3.Client](open, k)
			return err
		}},
		{"AddClient of a key cached", "clientcache: AddClient(key): a *s3.Client Client{", clientcache.ErrExists, func() error {
			if err := clientcache.AddClient(open, k, mine); err != nil {
				return err
			}
			return clientcache.AddClient(open, k, mine)
		}},
		{"Config after Close", "clientcache: Config: the cache is closed", clientcache.ErrClosed, func() error {
			_, err := closed.Config(ctx, k.Config())
			return err
		}},
		{"Client after Close", "clientcache: Client: the cache is closed", clientcache.ErrClosed, func() error {
			_, err := clientcache.Client(ctx, closed, k, s3.NewFromConfig)
			return err
		}},
		{"Derived after Close", "clientcache: Derived: the cache is closed", clientcache.ErrClosed, func() error {
			_, err := clientcache.Derived(ctx, closed, k, s3.NewFromConfig, "presign", presign)
			return err
		}},
		{"AddClient after Close", "clientcache: AddClient: the cache is closed", clientcache.ErrClosed, func() error {
			return clientcache.AddClient(closed, k, mine)
		}},
		{"PopClient after Close", "clientcache: PopClient: the cache is closed", clientcache.ErrClosed, func() error {
			_, err := clientcache.PopClient[*s3.Client](closed, k)
			return err
		}},
	} {
		err := tc.err()
		if !errors.Is(err, tc.sentinel) {
			t.Errorf("%s: error %v does not match %v", tc.call, err, tc.sentinel)
			continue
		}
		assertNoSecret(t, err.Error())
		if !strings.HasPrefix(err.Error(), tc.prefix) {
			t.Errorf("%s: error %q, want it to start %q", tc.call, err, tc.prefix)
		}
	}
}

// TestALoadTheCacheEndedSaysWhichCall: a load the engine ended (at
// Options.LoadTimeout, at Close) failed Config with the engine's text
// ("concurrent: cache is closed: context canceled"); it names the call, and
// still matches the context's error and ErrClosed.
func TestALoadTheCacheEndedSaysWhichCall(t *testing.T) {
	for _, tc := range cacheEnds {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			t.Cleanup(w.sts.CloseClientConnections)
			c := newUnclosedCache(t, tc.o)
			t.Cleanup(func() { _ = c.Close() })
			w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Delay: time.Hour} })
			done := make(chan error, 1)
			go func() {
				_, err := c.Config(context.Background(), w.tenant(t, 1))
				done <- err
			}()
			want := context.DeadlineExceeded
			if tc.o.LoadTimeout == 0 {
				want = clientcache.ErrClosed
				testwait.Until(t, "the load's AssumeRole call", func() bool { return w.sts.InFlight() == 1 })
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
			}
			err := <-done
			if err == nil {
				t.Fatal("Config succeeded")
			}
			assertNoSecret(t, err.Error())
			if !errors.Is(err, want) {
				t.Fatalf("Config: %v, want an error matching %v", err, want)
			}
			// The engine's error names the call; a load that failed of its
			// own (its credential fetch ended by the same Close) names the
			// identity. Either way the text is the package's.
			if !strings.HasPrefix(err.Error(), "clientcache: ") {
				t.Fatalf("Config: %q, want it to start %q", err, "clientcache: ")
			}
		})
	}
}

// TestConfigWithAnEndedContextStartsNoLoad: a caller whose ctx has ended
// before it calls Config starts no load (no AssumeRole call), and gets ctx's
// error, or the config once it is cached.
func TestConfigWithAnEndedContextStartsNoLoad(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	key := w.tenant(t, 1)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Config(ended, key); !errors.Is(err, context.Canceled) {
		t.Fatalf("Config with an ended ctx: %v, want context.Canceled", err)
	}
	if n := w.sts.CallsFor(roleARN(1)); n != 0 {
		t.Fatalf("Config with an ended ctx made %d AssumeRole calls, want 0", n)
	}
	if _, err := c.Config(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Config(ended, key); err != nil {
		t.Fatalf("Config with an ended ctx, the config cached: %v", err)
	}
	if n := w.sts.CallsFor(roleARN(1)); n != 1 {
		t.Fatalf("%d AssumeRole calls, want 1", n)
	}
}

// TestDefaultRefusesClose: the process-wide cache of Default refuses Close
// with an error matching ErrInvalid and naming the call, and goes on
// working for everyone else in the process: a Close that took effect would
// make every later load through it fail with ErrClosed.
func TestDefaultRefusesClose(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	key := w.s3Key(t, w.tenant(t, 0))
	err := clientcache.Default().Close()
	if !errors.Is(err, clientcache.ErrInvalid) || !strings.Contains(err.Error(), "(*Cache).Close") || !strings.Contains(err.Error(), "New") {
		t.Fatalf("Default().Close() = %v, want an error matching ErrInvalid naming (*Cache).Close and pointing to New", err)
	}
	cl, err := clientcache.DefaultClient(ctx, key, s3.NewFromConfig)
	if err != nil {
		t.Fatalf("DefaultClient after Default().Close(): %v", err)
	}
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("after-close"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("a request through the default cache's client after Default().Close(): %v", err)
	}
	if _, ok := clientcache.GetClient[*s3.Client](clientcache.Default(), key); !ok {
		t.Error("the client DefaultClient loaded is not in Default() after Default().Close()")
	}
}

// TestDeleteDerivedDropsThatObjectOnly: DeleteDerived evicts one derived
// object (type, client type, key, name), reporting whether it was cached,
// and leaves the client and the object of another name cached; the next
// Derived builds it again. Once the client and every object built from it
// are gone, and the config, the identity's pool is released: the object
// held it, as DeleteClient's doc says. (There was no way to drop a derived
// object but to wait for its eviction.)
func TestDeleteDerivedDropsThatObjectOnly(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cfg := staticIdentity(t, 1)
	key := serviceKey(t, cfg, "s3")
	builds := map[string]int{}
	derive := func(name string) {
		t.Helper()
		build := func(cl *s3.Client) (*s3.PresignClient, error) { builds[name]++; return s3.NewPresignClient(cl), nil }
		if _, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, name, build); err != nil {
			t.Fatal(err)
		}
	}
	derive("presign")
	derive("other")
	for _, tc := range []struct {
		what string
		del  func() bool
	}{
		{"another object type", func() bool { return clientcache.DeleteDerived[*s3.Client, *s3.Client](c, key, "presign") }},
		{"another client type", func() bool { return clientcache.DeleteDerived[*s3.PresignClient, *sts.Client](c, key, "presign") }},
		{"another name", func() bool { return clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "missing") }},
		{"an empty name", func() bool { return clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "") }},
	} {
		if tc.del() {
			t.Errorf("DeleteDerived of %s reported a cached object", tc.what)
		}
	}
	if !clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "presign") {
		t.Fatal("DeleteDerived of the presign client reported nothing cached")
	}
	if clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "presign") {
		t.Fatal("a second DeleteDerived reported the object cached still")
	}
	if _, ok := clientcache.GetClient[*s3.Client](c, key); !ok {
		t.Fatal("DeleteDerived evicted the client the object was built from")
	}
	derive("presign")
	derive("other")
	if builds["presign"] != 2 || builds["other"] != 1 {
		t.Fatalf("builds %v; want presign built again, other once", builds)
	}
	if !clientcache.DeleteClient[*s3.Client](c, key) || !c.DeleteConfig(cfg) {
		t.Fatal("the client or the config was not cached")
	}
	if !clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "presign") {
		t.Fatal("the presign object was not cached")
	}
	if n := c.Stats().PoolsReleased; n != 0 {
		t.Fatalf("%d pools released while the object named other still holds it", n)
	}
	if !clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "other") {
		t.Fatal("the object named other was not cached")
	}
	if n := c.Stats().PoolsReleased; n != 1 {
		t.Fatalf("%d pools released once every holder was deleted, want 1", n)
	}
}

// TestDeleteDerivedDuringItsBuildStoresNothing: as for a client
// (TestPopClientDuringALoadStoresNothing), a build in flight when
// DeleteDerived runs hands its object to its caller and stores nothing.
func TestDeleteDerivedDuringItsBuildStoresNothing(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	entered, release := make(chan struct{}), make(chan struct{})
	slow := func(cl *s3.Client) (*s3.PresignClient, error) {
		close(entered)
		<-release
		return s3.NewPresignClient(cl), nil
	}
	type result struct {
		p   *s3.PresignClient
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "presign", slow)
		done <- result{p, err}
	}()
	<-entered
	if clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "presign") {
		t.Error("DeleteDerived during the build reported the object cached")
	}
	close(release)
	if r := <-done; r.err != nil || r.p == nil {
		t.Fatalf("the build's caller got no object: %v", r.err)
	}
	if clientcache.DeleteDerived[*s3.PresignClient, *s3.Client](c, key, "presign") {
		t.Fatal("a build in flight at DeleteDerived was stored")
	}
}

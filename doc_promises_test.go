package clientcache_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// TestALoggerThatPanicsOnAnEvictionIsCountedAndReported pins Options.Logger's
// "one that panics on an eviction's record does not stop the eviction, nor
// keep the entry's pool open: the panic is counted in Stats' ListenerPanics
// and logged with slog.Default at level Error".
func TestALoggerThatPanicsOnAnEvictionIsCountedAndReported(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&lockedWriter{w: &out, mu: &mu}, nil)))
	defer slog.SetDefault(saved)
	logger := slog.New(panickyHandler{slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelDebug}), "removed"})
	c := newClientCache(t, clientcache.Options{Logger: logger})
	ctx := context.Background()
	cfg := staticIdentity(t, 1)
	key := serviceKey(t, cfg, "s3")
	if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	if !c.DeleteConfig(cfg) || !clientcache.DeleteClient[*s3.Client](c, key) {
		t.Fatal("the config or the client was not cached")
	}
	st := c.Stats()
	if st.Configs.ListenerPanics != 1 || st.Clients.ListenerPanics != 1 {
		t.Errorf("ListenerPanics: configs %d, clients %d; want 1 each (one eviction record each, which panicked)", st.Configs.ListenerPanics, st.Clients.ListenerPanics)
	}
	if st.PoolsReleased != 1 || c.ConfigLen() != 0 || c.Len() != 0 {
		t.Errorf("after the evictions: %d pools released, ConfigLen %d, Len %d; want 1, 0, 0", st.PoolsReleased, c.ConfigLen(), c.Len())
	}
	mu.Lock()
	logged := out.String()
	mu.Unlock()
	if n := strings.Count(logged, "level=ERROR"); n != 2 || !strings.Contains(logged, "OnEvict panicked") {
		t.Errorf("slog.Default got %d records at level Error, want 2 naming the OnEvict panic", n)
	}
}

// TestClientBuildsCountsNoRefusedOrPanickedBuild pins Stats.ClientBuilds'
// "one that panicked and one whose client was refused (nil, or of another
// service) are not counted".
func TestClientBuildsCountsNoRefusedOrPanickedBuild(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	if _, err := clientcache.Client(ctx, c, key, func(aws.Config, ...func(*s3.Options)) *s3.Client { return nil }); !errors.Is(err, clientcache.ErrInvalid) {
		t.Fatalf("a nil client: %v, want ErrInvalid", err)
	}
	if _, err := clientcache.Client(ctx, c, key, func(cfg aws.Config, _ ...func(*s3.Options)) any { return dynamodb.NewFromConfig(cfg) }); !errors.Is(err, clientcache.ErrInvalid) {
		t.Fatalf("a client of another service: %v, want ErrInvalid", err)
	}
	if _, err := clientcache.Client(ctx, c, key, func(aws.Config, ...func(*s3.Options)) s3Options { panic("constructor failed") }); !errors.Is(err, concurrent.ErrLoaderPanic) {
		t.Fatalf("a constructor that panicked: %v, want ErrLoaderPanic", err)
	}
	if n := c.Stats().ClientBuilds; n != 0 {
		t.Fatalf("ClientBuilds %d after three refused or panicked builds, want 0", n)
	}
	if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().ClientBuilds; n != 1 {
		t.Fatalf("ClientBuilds %d after one build that loaded, want 1", n)
	}
}

// TestConfigCallerWhoseContextEndsLeavesTheLoadGoingOn pins Config's "ctx
// bounds the wait, not the load: a caller whose ctx ends returns its error
// while the load goes on for the others": the load, left with no caller,
// still ends in the cache, and the next call is a hit.
func TestConfigCallerWhoseContextEndsLeavesTheLoadGoingOn(t *testing.T) {
	c, key, entered, release := slowConfigLoad(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Config(ctx, key); done <- err }()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller whose ctx ended got %v, want context.Canceled", err)
	}
	close(release)
	testwait.Until(t, "the load to finish with no caller left", func() bool { return c.ConfigLen() == 1 })
	if _, err := c.Config(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats().Configs; st.Loads != 1 || st.Hits != 1 {
		t.Fatalf("configs: %d loads, %d hits; want 1 load (the one the caller left) and 1 hit", st.Loads, st.Hits)
	}
}

// TestCredentialCallsCountsAFetchOnceThroughItsRetries pins
// Stats.CredentialCalls' "each fetch of an assumed role is one, even if the
// SDK retried its AssumeRole call within it".
func TestCredentialCallsCountsAFetchOnceThroughItsRetries(t *testing.T) {
	w := newWorld(t)
	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	roleKey := func(tenant, attempts int) keys.Config {
		role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
			Source: base, RoleARN: roleARN(tenant), SessionName: "clientcache-test",
			STSRegion: "us-east-1", STSEndpoint: w.sts.URL(),
		})
		if err != nil {
			t.Fatal(err)
		}
		k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: w.ca, RetryMaxAttempts: attempts, Credentials: role})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	// The source identity first, so that only the role's fetches count below.
	if _, err := c.Config(ctx, roleKey(1, 2)); err != nil {
		t.Fatal(err)
	}
	before, calls := c.Stats().CredentialCalls, w.sts.Calls()
	var n atomic.Int32
	w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior {
		if n.Add(1) == 1 {
			return fakeaws.Behavior{Fail: "Throttling"} // which the SDK retries
		}
		return fakeaws.Behavior{}
	})
	if _, err := c.Config(ctx, roleKey(2, 2)); err != nil {
		t.Fatal(err)
	}
	if got := w.sts.Calls() - calls; got != 2 {
		t.Fatalf("%d AssumeRole calls for the second role, want 2 (a failure, then its retry)", got)
	}
	if got := c.Stats().CredentialCalls - before; got != 1 {
		t.Fatalf("CredentialCalls counted %d for one fetch retried once, want 1", got)
	}
}

package clientcache_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// waitingRetrieves counts the goroutines waiting in
// aws.(*CredentialsCache).Retrieve for a refresh in flight.
func waitingRetrieves() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "aws.(*CredentialsCache).Retrieve(")
}

// TestRefreshAfterCloseDoesNotFailWithErrClosed pins a refresh that a
// request begun after Close returned joined: a kept client's refresh that
// began while Close ran fails with ErrClosed (so that it cannot hold Close
// up), but the credentials cache runs one refresh at a time, and a request
// that comes once Close has returned, while that refresh is still on its
// way out, waited for it and failed with its ErrClosed, though Close says a
// refresh begun after it returned runs as it would without the cache.
func TestRefreshAfterCloseDoesNotFailWithErrClosed(t *testing.T) {
	w := newWorld(t)
	role := newStalledRole()
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{"refresh": {
		config.WithAPIOptions([]func(*middleware.Stack) error{role.apiOption}),
		// Every use of the role's credentials refreshes them.
		config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 2 * time.Hour }),
	}}})
	in := w.tenant(t, 1).Input()
	in.Name = "refresh"
	cfgKey, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	refreshAfterCloseSucceeds(t, c, w.s3Key(t, cfgKey), role, 2)
}

// stalledRole is an API option that holds the AssumeRole calls made while
// blocking is set (each sends on entered) until unblock is closed, as a
// call that takes its time before it looks at its context does.
type stalledRole struct {
	blocking atomic.Bool
	entered  chan struct{}
	unblock  chan struct{}
}

func newStalledRole() *stalledRole {
	return &stalledRole{entered: make(chan struct{}, 8), unblock: make(chan struct{})}
}

func (r *stalledRole) apiOption(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("slowRole", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		if _, ok := in.Parameters.(*sts.AssumeRoleInput); ok && r.blocking.Load() {
			r.entered <- struct{}{}
			<-r.unblock
		}
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

// refreshAfterCloseSucceeds builds key's client in c, whose every use of its
// credentials refreshes them through role's AssumeRole calls; starts a
// refresh while Close runs (held open by a Derived build Close waits for)
// and holds its call; once Close has returned, starts a second request,
// which waits for that refresh (waiters goroutines then wait in
// aws.CredentialsCache.Retrieve), lets the call go, and fails unless the
// second request gets credentials.
func refreshAfterCloseSucceeds(t *testing.T, c *clientcache.Cache, key keys.Client, role *stalledRole, waiters int) {
	t.Helper()
	ctx := context.Background()
	cl, err := clientcache.Client(ctx, c, key, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	creds := cl.Options().Credentials

	// A build Close waits for keeps Close running.
	started, release := make(chan struct{}), make(chan struct{})
	go func() {
		_, _ = clientcache.Derived(ctx, c, key, s3.NewFromConfig, "held", func(*s3.Client) (int, error) {
			close(started)
			<-release
			return 0, nil
		})
	}()
	<-started
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	testwait.Until(t, "Close to have emptied the cache", func() bool {
		_, ok := clientcache.GetClient[*s3.Client](c, key)
		return !ok
	})

	// While Close runs, a refresh begins: it fails with ErrClosed.
	role.blocking.Store(true)
	during := make(chan error, 1)
	go func() { _, err := creds.Retrieve(ctx); during <- err }()
	<-role.entered
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}

	// Close has returned: a request now refreshes as without the cache.
	after := make(chan error, 1)
	go func() { _, err := creds.Retrieve(ctx); after <- err }()
	testwait.Until(t, "the request after Close to wait for the refresh", func() bool { return waitingRetrieves() >= waiters || len(role.entered) > 0 })
	role.blocking.Store(false)
	close(role.unblock)
	// It returns after Close did: it either failed with ErrClosed or was
	// run again, as the one that waited for it.
	if err := <-during; err != nil && !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("the refresh begun while Close ran failed with an error that is not ErrClosed (context.Canceled: %v)", errors.Is(err, context.Canceled))
	}
	if err := <-after; err != nil {
		t.Fatalf("a refresh asked for after Close returned failed (ErrClosed: %v)", errors.Is(err, clientcache.ErrClosed))
	}
}

// TestDefaultChainRefreshAfterCloseDoesNotFailWithErrClosed is
// TestRefreshAfterCloseDoesNotFailWithErrClosed for the default chain's
// (here a profile's role_arn) credentials, which the SDK refreshes through
// calls the cache bounds (boundCalls): a call begun while Close ran fails
// with ErrClosed, and a request begun once Close had returned, which
// waited for that refresh in the cache's aws.CredentialsCache, failed with
// it, though Close says a refresh begun after it returned runs as it would
// without the cache.
func TestDefaultChainRefreshAfterCloseDoesNotFailWithErrClosed(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, false)
	t.Cleanup(stssrv.CloseClientConnections)
	role := newStalledRole()
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{"refresh": {
		config.WithAPIOptions([]func(*middleware.Stack) error{role.apiOption}),
	}}})
	// Every use of the role's credentials refreshes them.
	stssrv.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Expired: true} })
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, Profile: "tenant",
		Credentials: keys.DefaultCredentials(), CABundle: stssrv.CABundle(), Name: "refresh"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3"})
	if err != nil {
		t.Fatal(err)
	}
	// The refresh in flight is waited for in two aws.CredentialsCaches:
	// the cache's and the SDK's.
	refreshAfterCloseSucceeds(t, c, key, role, 3)
}

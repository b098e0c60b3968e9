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
	var blocking atomic.Bool
	entered, unblock := make(chan struct{}, 8), make(chan struct{})
	// An AssumeRole call that takes its time before it looks at its
	// context (here: until the test lets it go).
	slowRole := func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("slowRole", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if _, ok := in.Parameters.(*sts.AssumeRoleInput); ok && blocking.Load() {
				entered <- struct{}{}
				<-unblock
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	}
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{"refresh": {
		config.WithAPIOptions([]func(*middleware.Stack) error{slowRole}),
		// Every use of the role's credentials refreshes them.
		config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 2 * time.Hour }),
	}}})
	in := w.tenant(t, 1).Input()
	in.Name = "refresh"
	cfgKey, err := keys.NewConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	key := w.s3Key(t, cfgKey)
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
	blocking.Store(true)
	during := make(chan error, 1)
	go func() { _, err := creds.Retrieve(ctx); during <- err }()
	<-entered
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}

	// Close has returned: a request now refreshes as without the cache.
	after := make(chan error, 1)
	go func() { _, err := creds.Retrieve(ctx); after <- err }()
	testwait.Until(t, "the request after Close to wait for the refresh", func() bool { return waitingRetrieves() >= 2 || len(entered) > 0 })
	blocking.Store(false)
	close(unblock)
	// It returns after Close did: it either failed with ErrClosed or was
	// run again, as the one that waited for it.
	if err := <-during; err != nil && !errors.Is(err, clientcache.ErrClosed) {
		t.Fatalf("the refresh begun while Close ran: %v, want ErrClosed or none", err)
	}
	if err := <-after; err != nil {
		t.Fatalf("a refresh asked for after Close returned failed: %v", err)
	}
}

package clientcache

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/clientcache/clientcache/internal/testwait"
)

// causeProvider fails once its context is done with the context's cause,
// as code that reports its context's end through context.Cause does
// (net/http, since Go 1.23, for a response body read after it).
type causeProvider struct{ started chan struct{} }

func (p causeProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	close(p.started)
	<-ctx.Done()
	return aws.Credentials{}, context.Cause(ctx)
}

// TestAFetchEndedByTheCacheStillMatchesTheContextsError: Options.LoadTimeout
// says a fetch that ends at the bound fails with an error naming the option
// and matching context.DeadlineExceeded, and Close says one it ends matches
// ErrClosed; the cause the cache gave the fetch's context matched neither
// context.DeadlineExceeded nor context.Canceled, so a provider that reports
// context.Cause failed with an error errors.Is(context.DeadlineExceeded)
// (or Canceled) did not find.
func TestAFetchEndedByTheCacheStillMatchesTheContextsError(t *testing.T) {
	t.Run("LoadTimeout", func(t *testing.T) {
		life := &fetchLife{}
		life.life, life.end = context.WithCancel(context.Background())
		defer life.end()
		p := &countingProvider{p: causeProvider{make(chan struct{})}, calls: new(atomic.Uint64), issued: &issuedSecrets{}, life: life, timeout: 20 * time.Millisecond}
		_, err := p.Retrieve(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "Options.LoadTimeout") {
			t.Fatalf("a fetch past LoadTimeout returned %q, want an error naming Options.LoadTimeout, matching context.DeadlineExceeded", err)
		}
	})
	t.Run("Close", func(t *testing.T) {
		life := &fetchLife{}
		life.life, life.end = context.WithCancel(context.Background())
		cp := causeProvider{make(chan struct{})}
		p := &countingProvider{p: cp, calls: new(atomic.Uint64), issued: &issuedSecrets{}, life: life}
		done := make(chan error, 1)
		go func() {
			_, err := p.Retrieve(context.Background())
			done <- err
		}()
		<-cp.started
		life.close()
		life.wait()
		var got error
		testwait.Until(t, "the fetch Close ended to return", func() bool {
			select {
			case got = <-done:
				return true
			default:
				return false
			}
		})
		if !errors.Is(got, ErrClosed) || !errors.Is(got, context.Canceled) {
			t.Fatalf("a fetch Close ended returned %q, want an error matching ErrClosed and context.Canceled", got)
		}
	})
}

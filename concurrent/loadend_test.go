package concurrent_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/testwait"
)

// TestALoadEndedByTheCacheSaysWhy: a load whose context the cache ended
// fails naming why, when the loader's error is that context's: at
// Options.LoadTimeout, an error naming the option (and still matching
// context.DeadlineExceeded); at Close, one matching ErrClosed (and still
// context.Canceled). The waiters got the bare "context deadline exceeded"
// or "context canceled", from a caller's context that had neither deadline
// nor cancellation.
func TestALoadEndedByTheCacheSaysWhy(t *testing.T) {
	waitForEnd := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	t.Run("LoadTimeout", func(t *testing.T) {
		c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 4, LoadTimeout: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.GetOrLoad(context.Background(), "k", waitForEnd)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(fmtErr(err), "Options.LoadTimeout (20ms)") {
			t.Fatalf("a load past LoadTimeout returned %q, want an error naming Options.LoadTimeout (20ms), matching context.DeadlineExceeded", fmtErr(err))
		}
	})
	t.Run("Close", func(t *testing.T) {
		c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := c.GetOrLoad(context.Background(), "k", func(ctx context.Context) (int, error) {
				close(started)
				return waitForEnd(ctx)
			})
			done <- err
		}()
		<-started
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		var got error
		testwait.Until(t, "the load Close ended to return", func() bool {
			select {
			case got = <-done:
				return true
			default:
				return false
			}
		})
		if !errors.Is(got, concurrent.ErrClosed) || !errors.Is(got, context.Canceled) {
			t.Fatalf("a load Close ended returned %q, want an error matching ErrClosed and context.Canceled", fmtErr(got))
		}
	})
	t.Run("loader's own error", func(t *testing.T) {
		// An error that is not the context's is the loader's, unchanged.
		c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 4, LoadTimeout: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		mine := errors.New("mine")
		if _, err := c.GetOrLoad(context.Background(), "k", func(context.Context) (int, error) { return 0, mine }); err != mine {
			t.Fatalf("the loader's error came back as %q", fmtErr(err))
		}
	})
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

package concurrent_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/testwait"
)

// TestALoadEndedByTheCacheSaysWhy: a load whose context the cache ended
// fails naming why, when the loader's error is that context's: at
// Options.LoadTimeout, an error naming the option (and still matching
// context.DeadlineExceeded, a timeout); at Close, one matching ErrClosed
// (and still context.Canceled). The waiters got the bare "context deadline
// exceeded" or "context canceled", from a caller's context that had neither
// deadline nor cancellation. Then, for a while, code that reports its
// context's end through context.Cause (net/http does, since Go 1.23) failed
// with the cause the cache gave the context, which named the option (or was
// ErrClosed) but matched neither context error. Each loader here reports
// the end one way: ctx.Err(), context.Cause, or through an HTTP request.
func TestALoadEndedByTheCacheSaysWhy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // answers nothing until the client gives up
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	get := func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			return 0, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	ctxErr := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	cause := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	}
	for name, loader := range map[string]func(context.Context) (int, error){"ctx.Err": ctxErr, "context.Cause": cause, "net/http": get} {
		t.Run(name+"/LoadTimeout", func(t *testing.T) {
			c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 4, LoadTimeout: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.GetOrLoad(context.Background(), "k", loader)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(fmtErr(err), "Options.LoadTimeout (20ms)") {
				t.Fatalf("a load past LoadTimeout returned %q, want an error naming Options.LoadTimeout (20ms), matching context.DeadlineExceeded", fmtErr(err))
			}
			if name == "net/http" {
				var te interface{ Timeout() bool }
				if !errors.As(err, &te) || !te.Timeout() {
					t.Fatalf("a load whose request ended at LoadTimeout returned %q, which is no timeout", fmtErr(err))
				}
			}
		})
		t.Run(name+"/Close", func(t *testing.T) {
			c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				_, err := c.GetOrLoad(context.Background(), "k", func(ctx context.Context) (int, error) {
					close(started)
					return loader(ctx)
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
	}
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

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

// TestALoadEndedByTheCacheStillMatchesTheContextsError: code that reports
// its context's end through context.Cause (net/http does, since Go 1.23)
// fails a load the cache ended with the cause the cache gave the context.
// That cause named the option (or was ErrClosed) but matched neither
// context.DeadlineExceeded nor context.Canceled, as the docs promise the
// load's error does: a loader whose HTTP request ended at LoadTimeout
// failed with an error errors.Is(context.DeadlineExceeded) did not find
// (and whose *url.Error no longer said Timeout), where it did before the
// cache gave its context a cause.
func TestALoadEndedByTheCacheStillMatchesTheContextsError(t *testing.T) {
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
	cause := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	}
	for name, loader := range map[string]func(context.Context) (int, error){"net/http": get, "context.Cause": cause} {
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
}

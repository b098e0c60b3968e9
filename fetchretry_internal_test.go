package clientcache

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ctxBlindProvider hands out credentials whatever its context, once the
// test lets it go (a provider, or an HTTP client under it, that does not
// look at its context).
type ctxBlindProvider struct {
	calls   atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (p *ctxBlindProvider) Retrieve(context.Context) (aws.Credentials, error) {
	if p.calls.Add(1) == 1 {
		close(p.entered)
		<-p.release
	}
	return aws.Credentials{AccessKeyID: "AKIDRETRY", SecretAccessKey: "not-printed", Source: "test"}, nil
}

// TestAFetchBegunWhileCloseRanThatSucceededIsNotRunAgain: a fetch begun
// while Close ran that returns once Close has is run again, so that the
// requests waiting for it do not get an ErrClosed; one that succeeded all
// the same (its provider did not look at its context) has nothing to run
// again for, and its second credential call was a call for nothing.
func TestAFetchBegunWhileCloseRanThatSucceededIsNotRunAgain(t *testing.T) {
	var life fetchLife
	life.life, life.end = context.WithCancel(context.Background())
	var calls atomic.Uint64
	p := &ctxBlindProvider{entered: make(chan struct{}), release: make(chan struct{})}
	cp := &countingProvider{p: p, calls: &calls, issued: &issuedSecrets{}, life: &life}
	life.close() // Close runs
	got := make(chan error, 1)
	go func() { _, err := cp.Retrieve(context.Background()); got <- err }()
	<-p.entered
	life.wait() // Close returns
	close(p.release)
	if err := <-got; err != nil {
		t.Fatalf("the fetch failed: %v", err)
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("the provider was called %d times for one fetch that succeeded, want 1", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("CredentialCalls counted %d for one fetch that succeeded, want 1", n)
	}
}

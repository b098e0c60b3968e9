package endcause

import (
	"context"
	"errors"
	"testing"
)

var errClosed = errors.New("closed")

// TestCausesMatchAsDocumented: a Timeout matches context.DeadlineExceeded
// and is a timeout; a Cancel matches context.Canceled and its also error,
// and is not a timeout; each reads as its own message.
func TestCausesMatchAsDocumented(t *testing.T) {
	to := Timeout("took too long")
	if !errors.Is(to, context.DeadlineExceeded) || errors.Is(to, context.Canceled) || !to.Timeout() || to.Error() != "took too long" {
		t.Errorf("Timeout: Is(DeadlineExceeded) %v, Is(Canceled) %v, Timeout() %v, Error() %q",
			errors.Is(to, context.DeadlineExceeded), errors.Is(to, context.Canceled), to.Timeout(), to.Error())
	}
	for _, also := range []error{nil, errClosed} {
		c := Cancel("closed", also)
		if !errors.Is(c, context.Canceled) || errors.Is(c, context.DeadlineExceeded) || c.Timeout() {
			t.Errorf("Cancel(also %v): Is(Canceled) %v, Is(DeadlineExceeded) %v, Timeout() %v",
				also, errors.Is(c, context.Canceled), errors.Is(c, context.DeadlineExceeded), c.Timeout())
		}
		if also != nil && !errors.Is(c, also) {
			t.Errorf("Cancel does not match its also error")
		}
		if also == nil && errors.Is(c, errClosed) {
			t.Errorf("Cancel without an also error matches an unrelated one")
		}
	}
}

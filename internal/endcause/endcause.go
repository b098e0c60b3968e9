// Package endcause holds the cause the caches give a context they end
// (Options.LoadTimeout, Close): an error of their own text that matches the
// context's own error as well, since code that reports the end of its
// context through context.Cause (net/http does) fails with the cause
// instead of the context's error, and the failure must still match
// context.DeadlineExceeded or context.Canceled.
package endcause

import "context"

// Cause is such a cause.
type Cause struct {
	msg  string
	ctx  error // context.DeadlineExceeded or context.Canceled
	also error // matched too, if not nil (a package's ErrClosed)
}

// Timeout returns the cause of a deadline: it matches
// context.DeadlineExceeded and is a timeout.
func Timeout(msg string) *Cause { return &Cause{msg: msg, ctx: context.DeadlineExceeded} }

// Cancel returns the cause of a cancellation: it matches context.Canceled
// and also, if not nil.
func Cancel(msg string, also error) *Cause {
	return &Cause{msg: msg, ctx: context.Canceled, also: also}
}

func (e *Cause) Error() string { return e.msg }

// Unwrap returns the errors e matches: the context's, and also.
func (e *Cause) Unwrap() []error {
	if e.also != nil {
		return []error{e.also, e.ctx}
	}
	return []error{e.ctx}
}

// Timeout reports whether e is a timeout (*url.Error and net.Error ask).
func (e *Cause) Timeout() bool { return e.ctx == context.DeadlineExceeded }

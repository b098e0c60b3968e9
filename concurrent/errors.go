package concurrent

import (
	"errors"
	"fmt"
)

var (
	// ErrExists is returned by [Cache.Add] when the key is already present:
	// the cache never overwrites silently.
	ErrExists = errors.New("concurrent: key already present")
	// ErrNotFound is returned by [Cache.Pop] when the key is absent.
	ErrNotFound = errors.New("concurrent: key not found")
	// ErrClosed is returned by writes to a cache after [Cache.Close].
	ErrClosed = errors.New("concurrent: cache is closed")
	// ErrInvalidOption is matched (with errors.Is) by every [*OptionError].
	ErrInvalidOption = errors.New("concurrent: invalid option")
)

// OptionError reports a bad option or argument; Param names it as the caller
// wrote it (for example "Options.MaxSize" or "Resize(n)").
type OptionError struct {
	Param  string
	Value  any
	Reason string
}

// Error returns "concurrent: invalid <Param> = <Value>: <Reason>".
func (e *OptionError) Error() string {
	return fmt.Sprintf("concurrent: invalid %s = %v: %s", e.Param, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidOption) true.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOption }

package clientcache

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/clientcache/clientcache/internal/keysecret"
	"github.com/clientcache/clientcache/keys"
)

// The SDK's errors can quote secrets: the credential_process provider quotes
// the whole output of a process it failed to parse (secret access key and
// session token included), and other providers and endpoints may quote a
// response body. A load's error carries the SDK's error, so the cache
// redacts the text of every error a config load returns: the secrets the
// identity holds (the secret access keys, session tokens and external IDs of
// its credentials' chain), a credential process's output, and the values of
// fields named like secrets, are replaced by ***. errors.Is and errors.As
// see through the redacted error to the SDK's, but errors.Unwrap does not:
// error reporters that walk a chain with it print each error's own text,
// and the SDK's error's is the one with the secrets. (An SDK error taken
// out with errors.As has its own text, which may quote them.)

// redactedError is an error whose text had secrets redacted. It has no
// Unwrap method (see above); Is and As look into the error it redacts. It
// formats as its text under every verb, %#v included (fmt prints the
// fields of an error for the verbs that do not call Error), and it holds
// the original behind a function, where dumpers that follow fields by
// reflection (spew, go-cmp) do not look.
type redactedError struct {
	msg  string
	orig func() error
}

func newRedactedError(msg string, err error) *redactedError {
	return &redactedError{msg: msg, orig: func() error { return err }}
}

func (e *redactedError) Error() string { return e.msg }

// Format prints the redacted text as fmt prints a string under the same
// verb and flags.
func (e *redactedError) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), e.msg)
}

// Is reports whether the error whose text was redacted, or one it wraps,
// is target (errors.Is).
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig(), target) }

// As finds in the error whose text was redacted, or one it wraps, the first
// that target can hold, and sets target to it (errors.As).
func (e *redactedError) As(target any) bool { return errors.As(e.orig(), target) }

// redactMask replaces each secret.
const redactMask = "***"

// processOutputPrefix starts the credential_process provider's quote of the
// process's output (processcreds: "parse failed of process output: %s,
// error: %w").
const processOutputPrefix = "process output: "

// secretField matches a field named like a secret, quoted or not, with its
// value: JSON ("SecretAccessKey":"..."), shared config and query strings
// (aws_session_token = ..., X-Amz-Security-Token=...). Group 1 is the name
// and separator, kept; group 2 the value, replaced.
var secretField = regexp.MustCompile(`(?i)("?[\w-]*(?:secret_?access_?key|session_?token|security[_-]?token|external_?id|"token)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s,;&}\]"]+)`)

// redactLoadError returns err with its text redacted (see above) for the
// identity whose credentials are creds, or err itself if neither its text
// nor that of an error it wraps (which errors.Unwrap would reach) holds
// anything to redact. nil stays nil.
func redactLoadError(err error, creds keys.Credentials) error {
	if err == nil {
		return nil
	}
	secrets := chainSecrets(creds)
	text, ok := errorText(err)
	if !ok {
		return newRedactedError(text, err)
	}
	msg := redactText(text, secrets)
	if msg == text && !wrapsSecret(err, secrets) {
		return err
	}
	return newRedactedError(msg, err)
}

// wrapsSecret reports whether an error err wraps (through Unwrap() error
// and Unwrap() []error) has text to redact: a wrapper's text may leave out
// the wrapped error's, whose own still quotes a secret. It looks at each
// distinct error once (an errors.Join graph may reach one by several
// paths, and errors are told apart when they are pointers), up to
// maxRedactLinks of them; a chain with more (or a cycle through errors
// that are not pointers) counts as one that does.
func wrapsSecret(err error, secrets []string) bool {
	budget := maxRedactLinks
	seen := map[error]bool{}
	var walk func(error) bool
	walk = func(err error) bool {
		next, ok := unwrapped(err)
		if !ok {
			return true
		}
		for _, e := range next {
			if e == nil {
				continue
			}
			// Pointers only: a comparable struct may hold an interface
			// whose dynamic value cannot be hashed.
			if reflect.TypeOf(e).Kind() == reflect.Pointer {
				if seen[e] {
					continue
				}
				seen[e] = true
			}
			if budget--; budget < 0 {
				return true
			}
			if text, ok := errorText(e); !ok || redactText(text, secrets) != text || walk(e) {
				return true
			}
		}
		return false
	}
	return walk(err)
}

// maxRedactLinks bounds the errors wrapsSecret looks at (an SDK load error
// wraps about ten).
const maxRedactLinks = 100

// errorText is err's text. An Error method that panics on a nil pointer
// receiver (a typed-nil link of a chain: err != nil) gives "<nil>", as fmt
// prints it; one that panics otherwise gives a text of the cache's and ok
// false: fmt would print the panic's value, which may quote anything.
func errorText(err error) (text string, ok bool) {
	defer func() {
		if recover() != nil {
			if isNilPointer(err) {
				text, ok = "<nil>", true
			} else {
				text, ok = "clientcache: the load's error cannot be printed (its Error method panicked)", false
			}
		}
	}()
	return err.Error(), true
}

// unwrapped returns the errors err wraps (through Unwrap() error or
// Unwrap() []error). An Unwrap method that panics on a nil pointer
// receiver (as *url.Error's and *fs.PathError's do) wraps nothing; one
// that panics otherwise gives ok false.
func unwrapped(err error) (next []error, ok bool) {
	defer func() {
		if recover() != nil {
			next, ok = nil, isNilPointer(err)
		}
	}()
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return []error{u.Unwrap()}, true
	case interface{ Unwrap() []error }:
		return u.Unwrap(), true
	}
	return nil, true
}

// isNilPointer reports whether err holds a nil pointer.
func isNilPointer(err error) bool {
	v := reflect.ValueOf(err)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// redactText replaces in s each of secrets, a credential process's output
// and the value of each field named like a secret. The longest secrets go
// first: one may hold another (an external ID of a few characters inside a
// session token), which replaced first would leave the rest of the longer
// one in the text.
func redactText(s string, secrets []string) string {
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, redactMask)
		}
	}
	// The output runs to the last ", error: " after it (the output may hold
	// that text itself), or to the end.
	if i := strings.Index(s, processOutputPrefix); i >= 0 {
		start := i + len(processOutputPrefix)
		end := len(s)
		if j := strings.LastIndex(s[start:], ", error: "); j >= 0 {
			end = start + j
		}
		s = s[:start] + redactMask + s[end:]
	}
	return secretField.ReplaceAllStringFunc(s, func(field string) string {
		m := secretField.FindStringSubmatch(field)
		if strings.HasPrefix(m[2], `"`) {
			return m[1] + `"` + redactMask + `"`
		}
		return m[1] + redactMask
	})
}

// chainSecrets returns the secrets of creds and of its sources, down to the
// base: secret access keys, session tokens, external IDs. Material that
// cannot be opened adds nothing (keysecret's error holds no secret, and the
// load itself reports it).
func chainSecrets(creds keys.Credentials) []string {
	var out []string
	for ; creds != (keys.Credentials{}); creds = creds.Source() {
		m, err := keysecret.Of(creds)
		if err != nil || m.IsZero() {
			continue
		}
		out = append(out, m.SecretAccessKey(), m.SessionToken(), m.ExternalID())
	}
	return out
}

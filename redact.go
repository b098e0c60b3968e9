package clientcache

import (
	"errors"
	"reflect"
	"regexp"
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
// Unwrap method (see above); Is and As look into the error it redacts.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is reports whether the error whose text was redacted, or one it wraps,
// is target (errors.Is).
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// As finds in the error whose text was redacted, or one it wraps, the first
// that target can hold, and sets target to it (errors.As).
func (e *redactedError) As(target any) bool { return errors.As(e.err, target) }

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
	text := errorText(err)
	msg := redactText(text, secrets)
	if msg == text && !wrapsSecret(err, secrets) {
		return err
	}
	return &redactedError{msg: msg, err: err}
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
		var next []error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = []error{u.Unwrap()}
		case interface{ Unwrap() []error }:
			next = u.Unwrap()
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
			if text := errorText(e); redactText(text, secrets) != text || walk(e) {
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

// errorText is err's text, or "<nil>" if its Error method panics, as fmt
// prints a nil pointer whose method dereferences it (a typed-nil link of a
// chain: err != nil, and its Error panics).
func errorText(err error) (text string) {
	defer func() {
		if recover() != nil {
			text = "<nil>"
		}
	}()
	return err.Error()
}

// redactText replaces in s each of secrets, a credential process's output
// and the value of each field named like a secret.
func redactText(s string, secrets []string) string {
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

package clientcache

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/keysecret"
	"github.com/clientcache/clientcache/keys"
)

// The SDK's errors can quote secrets: the credential_process provider quotes
// the whole output of a process it failed to parse (secret access key and
// session token included), and other providers and endpoints may quote a
// response body; and the errors of a request hold the request, its signed
// headers (a session token) and its context (the credentials) in their
// fields. A load's error carries the SDK's error, so the cache hands out
// every error a config load returns inside a redactedError, whose text is
// the error's with the secrets the identity holds (the secret access keys,
// session tokens and external IDs of its credentials' chain, and the last
// credentials its providers handed out: an assumed role's come from STS),
// a credential process's output, and the values of fields named like
// secrets, replaced by ***. errors.Is and errors.As see through it to the SDK's error, but
// errors.Unwrap does not: error reporters that walk a chain with it print
// each error's own text, and dumps that follow fields by reflection reach
// the request's. An SDK error taken out with errors.As is the SDK's, fields
// included; errors.As finds none whose text redaction would change (whose
// text holds a secret), nor one that wraps such an error, so that printing
// what it finds, or what that wraps, prints no secret.

// redactedError is an error whose text had secrets redacted. It has no
// Unwrap method (see above); Is and As look into the error it redacts. It
// formats as its text under every verb, %#v included (fmt prints the
// fields of an error for the verbs that do not call Error), and it holds
// the original behind a function, where dumpers that follow fields by
// reflection (spew, go-cmp) do not look.
type redactedError struct {
	msg  string
	orig func() error
	// leaks reports whether a text holds something redaction masks (the
	// identity's secrets among them, which it holds: behind a function too).
	leaks func(string) bool
}

func newRedactedError(msg string, err error, leaks func(string) bool) *redactedError {
	return &redactedError{msg: msg, orig: func() error { return err }, leaks: leaks}
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
// that target can hold, and sets target to it (errors.As), unless that
// error's text, or the text of an error it wraps, holds something redaction
// masks (a secret): target is then left at its zero value and As reports
// false, since whoever asked would print it, or what it wraps.
func (e *redactedError) As(target any) bool {
	if !errors.As(e.orig(), target) {
		return false
	}
	v := reflect.ValueOf(target).Elem()
	if found, ok := v.Interface().(error); ok && found != nil && chainLeaks(found, e.leaks) {
		v.SetZero()
		return false
	}
	return true
}

// maxChainLinks bounds the links chainLeaks reads: a chain longer (an
// error that wraps itself by value, a join graph reaching one error by many
// paths) counts as leaking.
const maxChainLinks = 256

// chainLeaks reports whether the text of err, or of an error it wraps
// (through Unwrap() error or Unwrap() []error), holds something leaks
// finds, or cannot be read.
func chainLeaks(err error, leaks func(string) bool) bool {
	seen := map[error]bool{} // pointers only: other errors may not be hashable
	stack := []error{err}
	for n := 0; len(stack) > 0; n++ {
		if n == maxChainLinks {
			return true
		}
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil {
			continue
		}
		if reflect.ValueOf(e).Kind() == reflect.Pointer {
			if seen[e] {
				continue
			}
			seen[e] = true
		}
		if text, ok := errorText(e); !ok || leaks(text) {
			return true
		}
		wrapped, ok := unwrapped(e)
		if !ok && !isNilPointer(e) {
			return true // (a typed-nil link wraps nothing)
		}
		stack = append(stack, wrapped...)
	}
	return false
}

// unwrapped returns the errors err wraps; ok is false if its Unwrap method
// panicked (on a typed-nil link, say).
func unwrapped(err error) (out []error, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = nil, false
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

// redactMask replaces each secret.
const redactMask = "***"

// processOutputPrefix starts the credential_process provider's quote of the
// process's output (processcreds: "parse failed of process output: %s,
// error: %w").
const processOutputPrefix = "process output: "

// secretField matches a field named like a secret, its name quoted or not
// (in double quotes, single quotes as a Python dict prints them, or
// escaped double quotes, as JSON quoted with %q has them), its name's
// words run together or joined by _ or -, with its value on the same line:
// JSON ("SecretAccessKey":"..."), shared config and query strings
// (aws_session_token = ..., X-Amz-Security-Token=...,
// WebIdentityToken=...), the tokens of an SSO session and its client
// registration as the SDK's token cache holds them ("accessToken",
// "refreshToken", "clientSecret"; SSO OIDC's "idToken"), headers
// (x-amz-session-token: ..., the SSO portal's x-amz-sso_bearer_token) and
// flags (--aws-secret-access-key=...). The value may stand first in a
// list, as a header's does in JSON and in fmt's prints of an http.Header
// ("X-Amz-Security-Token":["..."], []string{"..."}, [...]). A
// quoted value runs to its closing quote (past escaped ones), or, cut
// short, to the end of its run of text; an unquoted one to a space, a
// delimiter (, ; & } ]) or a double quote (the field may stand inside a
// quoted string, whose closing quote ends it). Group 1 is the name and
// separator (and the list's opening), kept; group 2 the value, masked
// (inside its quotes, if quoted).
var secretField = regexp.MustCompile(`(?i)((?:\\?["'])?[\w-]*(?:secret[_-]?access[_-]?key|session[_-]?token|security[_-]?token|external[_-]?id|web[_-]?identity[_-]?token|access[_-]?token|refresh[_-]?token|client[_-]?secret|bearer[_-]?token|(?:\b|_)id[_-]?token|\\?["']token)(?:\\?["'])?[ \t]*[:=][ \t]*(?:\[\]string\{|\[)?)(\\"(?:\\\\\\"|\\\\\\\\|\\[^"]|[^"\\])*\\"|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\\?["'][^\s,;&}\]]*|(?:[^\s,;&}\]"'\\]|\\[^"])(?:[^\s,;&}\]"\\]|\\[^"])*)`)

// secretElement matches an XML element named like a secret, as STS's
// responses have them (<SecretAccessKey>...</SecretAccessKey>,
// <SessionToken>), its name with a namespace prefix or not, its start tag
// with attributes or not, and its < and > as they are or escaped as JSON
// escapes them (\u003c, \u003e). Group 1 is the value, masked: it runs to
// the next < or backslash (the end tag, plain or escaped), or, cut short,
// to the end of the text.
var secretElement = regexp.MustCompile(`(?i)(?:<|\\u003c)(?:[\w.-]+:)?[\w-]*(?:secret[_-]?access[_-]?key|session[_-]?token|security[_-]?token|external[_-]?id|web[_-]?identity[_-]?token|access[_-]?token|refresh[_-]?token|client[_-]?secret|bearer[_-]?token|(?:\b|_)id[_-]?token)(?:\s[^<>]*)?(?:>|\\u003e)([^<\\]*)`)

// redactLoadError returns err inside a redactedError whose text is err's,
// redacted (see above), for the identity whose credentials are creds. nil
// stays nil.
func redactLoadError(err error, creds keys.Credentials, issued ...string) error {
	if err == nil {
		return nil
	}
	secrets, leaks := redaction(creds, issued)
	text, ok := errorText(err)
	if ok {
		text = redactText(text, secrets)
	}
	return newRedactedError(text, err, leaks)
}

// redaction returns what a load's errors and panics are redacted of (the
// secrets of creds' chain, and issued, those its providers handed out) and
// whether a text holds something redaction masks.
func redaction(creds keys.Credentials, issued []string) (secrets []string, leaks func(string) bool) {
	secrets = withQuotedForms(append(chainSecrets(creds), issued...))
	return secrets, func(s string) bool { return redactText(s, secrets) != s }
}

// withQuotedForms returns secrets and, for each secret that Go's %q or
// JSON print escaped (a static secret access key or session token may hold
// " or \, which both escape, or <, > and &, which JSON escapes), its
// escaped form as it stands inside the quotes: an error that quotes a
// secret prints it so, a form anyone reads back.
func withQuotedForms(secrets []string) []string {
	out := slices.Clip(secrets) // appends never write into the caller's array
	for _, v := range secrets {
		if v == "" {
			continue
		}
		q := strconv.Quote(v)
		j, _ := json.Marshal(v) // a string always marshals
		for _, f := range []string{q[1 : len(q)-1], string(j[1 : len(j)-1])} {
			if f != v && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

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

// isNilPointer reports whether err holds a nil pointer.
func isNilPointer(err error) bool {
	v := reflect.ValueOf(err)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// redactText replaces in s each of secrets, a credential process's output
// and the value of each field or XML element named like a secret. The rules find
// what they mask in s as given, and the places they find are masked
// together, each run of overlapping ones by one ***: a rule applied after
// another would search a text the first had changed, where a secret may
// have been masked in part (one secret inside or across another, an
// external ID inside the text "process output: " that finds the output)
// and the rest no longer be found.
func redactText(s string, secrets []string) string {
	type span struct{ from, to int }
	var spans []span
	for _, v := range secrets {
		if v == "" {
			continue
		}
		for i := 0; i <= len(s)-len(v); {
			j := strings.Index(s[i:], v)
			if j < 0 {
				break
			}
			from, to := i+j, i+j+len(v)
			// A short secret (an external ID may have 2 characters) only
			// where it stands as a word of its own, so that it does not
			// mask the text around every one of its occurrences ("us" in
			// us-east-1); where it is a field's value the fields rule
			// masks it.
			if len(v) >= minEmbeddedSecret || !wordChar(s, from-1) && !wordChar(s, to) {
				spans = append(spans, span{from, to})
			}
			i = from + 1
		}
	}
	// The output runs to the last ", error: " after it (the output may hold
	// that text itself), or to the end.
	if i := strings.Index(s, processOutputPrefix); i >= 0 {
		from := i + len(processOutputPrefix)
		to := len(s)
		if j := strings.LastIndex(s[from:], ", error: "); j >= 0 {
			to = from + j
		}
		spans = append(spans, span{from, to})
	}
	for _, m := range secretField.FindAllStringSubmatchIndex(s, -1) {
		from, to := m[4], m[5]
		// A quoted value keeps its quotes (its opening one, if cut short).
		for _, q := range []string{`\"`, `"`, `'`} {
			if v := s[from:to]; strings.HasPrefix(v, q) {
				if len(v) >= 2*len(q) && strings.HasSuffix(v, q) {
					to -= len(q)
				}
				from += len(q)
				break
			}
		}
		spans = append(spans, span{from, to})
	}
	for _, m := range secretElement.FindAllStringSubmatchIndex(s, -1) {
		spans = append(spans, span{m[2], m[3]})
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	var out strings.Builder
	at := 0 // s[:at] is written
	for i := 0; i < len(spans); {
		from, to := spans[i].from, spans[i].to
		for i++; i < len(spans) && spans[i].from <= to; i++ {
			to = max(to, spans[i].to)
		}
		if from < at {
			from = at
		}
		out.WriteString(s[at:from])
		if to > from {
			out.WriteString(redactMask)
		}
		at = max(at, to)
	}
	out.WriteString(s[at:])
	return out.String()
}

// minEmbeddedSecret is the length from which redactText masks a secret
// wherever it appears, inside other text too.
const minEmbeddedSecret = 8

// wordChar reports whether s[i] is a letter, a digit, _ or - (false
// outside s): a character of the words, identifiers and names (us-east-1)
// a short secret may be part of.
func wordChar(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
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

// redactPanic returns p, or, if its value prints a secret of creds' chain or
// a field named like a secret under %v or %#v, or is an error that wraps one
// whose text does (see chainLeaks), or is credentials (whose %v
// prints the secret access key and session token unnamed: an assumed role's
// are STS's, which redaction does not know), a copy whose Value is a
// redactedError of the value's redacted text (the same Stack). A panic's
// value is the caller's, as a returned error is, and is handed out as
// LoaderPanicError.Value and in its text.
func redactPanic(p *concurrent.LoaderPanicError, creds keys.Credentials, issued ...string) *concurrent.LoaderPanicError {
	if p == nil || p.Value == nil {
		return p
	}
	secrets, leaks := redaction(creds, issued)
	text := fmt.Sprint(p.Value) // fmt recovers a panicking Error or String method
	var msg string
	switch p.Value.(type) {
	case aws.Credentials, *aws.Credentials:
		msg = fmt.Sprintf("%T (not printed: it holds credentials)", p.Value)
	default:
		valueErr, isErr := p.Value.(error)
		if !leaks(text) && !leaks(fmt.Sprintf("%#v", p.Value)) && (!isErr || !chainLeaks(valueErr, leaks)) {
			return p
		}
		msg = redactText(text, secrets)
	}
	orig, _ := p.Value.(error)
	return &concurrent.LoaderPanicError{Value: newRedactedError(msg, orig, leaks), Stack: p.Stack}
}

// issuedSecrets are the secret access keys and session tokens the providers
// the cache builds for an identity (static, assume-role, web identity) have
// handed out, and the tokens a web identity's provider read from its file:
// an assumed role's credentials are STS's and a web identity's token the
// file's, which the key does not hold, and which errors and panics of the
// identity's builds may print. It keeps the last few (credentials stay
// valid for a while after a refresh). Those of an assumed role include its
// source identity's (down the chain): its AssumeRole calls are signed with
// them, and their errors may print them. A nil *issuedSecrets holds none.
type issuedSecrets struct {
	mu     sync.Mutex
	s      []string
	source *issuedSecrets // the source identity's, for an assumed role
}

// assumedFrom records that the identity's role is assumed with the
// credentials src's providers hand out.
func (i *issuedSecrets) assumedFrom(src *issuedSecrets) {
	if i == nil || src == i {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.source = src
}

const maxIssuedSecrets = 8 // four credentials

func (i *issuedSecrets) record(c aws.Credentials) {
	i.recordSecrets(c.SecretAccessKey, c.SessionToken)
}

// recordSecrets records each of vs but "".
func (i *issuedSecrets) recordSecrets(vs ...string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, v := range vs {
		if v != "" && !slices.Contains(i.s, v) {
			i.s = append(i.s, v)
		}
	}
	if n := len(i.s); n > maxIssuedSecrets {
		i.s = slices.Delete(i.s, 0, n-maxIssuedSecrets)
	}
}

// secrets returns what i and its sources (down the chain, at most
// keys.MaxRoleChainDepth of them) hold.
func (i *issuedSecrets) secrets() []string {
	var out []string
	for n := 0; i != nil && n <= keys.MaxRoleChainDepth; n++ {
		i.mu.Lock()
		out = append(out, i.s...)
		src := i.source
		i.mu.Unlock()
		i = src
	}
	return out
}

package clientcache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/keys"
)

// TestRedactText covers each rule of redactText on messages in the shapes
// the SDK's providers produce.
func TestRedactText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		secrets        []string
	}{
		{"known secret", "signed with s3cr3t-value, then s3cr3t-value again", "signed with ***, then *** again", []string{"s3cr3t-value", ""}},
		{"process output",
			`process provider error: parse failed of process output: {"SecretAccessKey":"abc", "x": ", error: "}, error: parsing time "soon"`,
			`process provider error: parse failed of process output: ***, error: parsing time "soon"`, nil},
		{"process output to the end", "error in credential process output: AKID SECRET", "error in credential process output: ***", nil},
		{"JSON fields", `{"AccessKeyId":"AKID","SecretAccessKey":"abc\"def","Token":"tok","SessionToken" : "t2","Expiration":"x"}`,
			`{"AccessKeyId":"AKID","SecretAccessKey":"***","Token":"***","SessionToken" : "***","Expiration":"x"}`, nil},
		{"shared config", "line: aws_secret_access_key = abc\naws_session_token=def", "line: aws_secret_access_key = ***\naws_session_token=***", nil},
		{"query string", "GET /?X-Amz-Security-Token=abc&X-Amz-Date=1 failed", "GET /?X-Amz-Security-Token=***&X-Amz-Date=1 failed", nil},
		{"external ID field", "ExternalId=tenant-42, RoleArn=arn", "ExternalId=***, RoleArn=arn", nil},
		{"SSO tokens", `{"accessToken":"abc","expiresAt":"2026-12-07T00:00:00Z","refreshToken":"def","clientId":"id","clientSecret":"ghi"}`,
			`{"accessToken":"***","expiresAt":"2026-12-07T00:00:00Z","refreshToken":"***","clientId":"id","clientSecret":"***"}`, nil},
		{"names without values stay", "missing SecretAccessKey in process output", "missing SecretAccessKey in process output", nil},
		{"nothing to redact", "operation error STS: AssumeRole, https response error StatusCode: 403, AccessDenied", "operation error STS: AssumeRole, https response error StatusCode: 403, AccessDenied", nil},
		// Review findings: shapes the fields rule missed, and rules that
		// undid one another when applied one after another.
		{"Python dict", `{'AccessKeyId': 'AKID', 'SecretAccessKey': 'abc', 'Token': 'tok'}`, `{'AccessKeyId': 'AKID', 'SecretAccessKey': '***', 'Token': '***'}`, nil},
		{"escaped JSON", `"{\"SecretAccessKey\":\"abc\",\"x\":1}"`, `"{\"SecretAccessKey\":\"***\",\"x\":1}"`, nil},
		{"flag and header", "--aws-secret-access-key=abc x-amz-session-token: def", "--aws-secret-access-key=*** x-amz-session-token: ***", nil},
		{"a secret inside the process output's prefix", `parse failed of process output: {'Secret': 'abc'}, error: invalid`, `parse failed of process ***: ***, error: invalid`, []string{"output"}},
		{"a secret inside another", "signed with wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", "signed with ***", []string{"EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}},
		{"secrets across each other", "sdk: SECRETKEYABCDEFGHI-ext", "sdk: ***", []string{"SECRETKEYABCDEF", "ABCDEFGHI-ext"}},
		{"a field's value across a secret", "external_id=a,b done", "external_id=*** done", []string{"a,b"}},
		// Review findings of the rewrite: values holding ' or \, values
		// cut short, an empty value before a line break, escaped quotes
		// in escaped JSON, short secrets inside words.
		{"unquoted value with a backslash", `aws_secret_access_key = ab\cdSECRET rest`, `aws_secret_access_key = *** rest`, nil},
		{"unquoted value with a quote", `SecretAccessKey=ab'cdSECRET rest`, `SecretAccessKey=*** rest`, nil},
		{"quoted value cut short", `SessionToken='FwoGSECRET`, `SessionToken='***`, nil},
		{"JSON cut short", `unexpected EOF in {"AccessKeyId":"AKID","SessionToken":"FwoGZXIvYXdzEJr`, `unexpected EOF in {"AccessKeyId":"AKID","SessionToken":"***`, nil},
		{"empty value before a line break", "aws_session_token =\naws_secret_access_key = wJalrSECRET", "aws_session_token =\naws_secret_access_key = ***", nil},
		{"empty header before another", "x-amz-security-token: \nx-amz-date: 20200101T000000Z", "x-amz-security-token: \nx-amz-date: 20200101T000000Z", nil},
		{"escaped quote in escaped JSON", `"{\"SessionToken\":\"ab\\\"cdSECRET\"}"`, `"{\"SessionToken\":\"***\"}"`, nil},
		{"a short secret inside words", "AccessDenied in us-east-1 for user", "AccessDenied in us-east-1 for user", []string{"us"}},
		{"a short secret as a word", "external id us was refused", "external id *** was refused", []string{"us"}},
		// Review findings: STS's XML (a response an audit quotes), and the
		// web identity token of an AssumeRoleWithWebIdentity request.
		{"XML elements", `<Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>wJalr/SECRET+x=</SecretAccessKey><SessionToken>FwoG+TOKEN==</SessionToken><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials>`,
			`<Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>***</SecretAccessKey><SessionToken>***</SessionToken><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials>`, nil},
		{"XML with a prefix and attributes, cut short", `<sts:SessionToken xmlns:sts="x">FwoGTOKEN`, `<sts:SessionToken xmlns:sts="x">***`, nil},
		{"XML escaped by JSON", `{"body":"\u003cSecretAccessKey\u003ewJalrSECRET\u003c/SecretAccessKey\u003e"}`, `{"body":"\u003cSecretAccessKey\u003e***\u003c/SecretAccessKey\u003e"}`, nil},
		{"web identity token", "Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJhbGci.payload.sig&Version=2011-06-15", "Action=AssumeRoleWithWebIdentity&WebIdentityToken=***&Version=2011-06-15", nil},
		// Review finding: a header's values are a list: JSON of an
		// http.Header, and fmt's %q and %#v of one, masked only its "[".
		{"headers as JSON", `{"X-Amz-Date":["20260101T000000Z"],"X-Amz-Security-Token":["FwoGTOKEN+x/y=="]}`, `{"X-Amz-Date":["20260101T000000Z"],"X-Amz-Security-Token":["***"]}`, nil},
		{"headers under %q", `map["X-Amz-Security-Token":["FwoGTOKEN"]]`, `map["X-Amz-Security-Token":["***"]]`, nil},
		{"headers under %#v", `http.Header{"X-Amz-Security-Token":[]string{"FwoGTOKEN"}}`, `http.Header{"X-Amz-Security-Token":[]string{"***"}}`, nil},
		{"headers under %v", `map[X-Amz-Security-Token:[FwoGTOKEN]]`, `map[X-Amz-Security-Token:[***]]`, nil},
		// Review finding: the SSO portal's GetRoleCredentials sends the SSO
		// session's access token in its own header, and SSO OIDC's
		// CreateToken answers with an OIDC ID token beside it.
		{"SSO bearer token header", `map[X-Amz-Sso_bearer_token:[aoaSSOTOKEN] X-Amz-Date:[x]]`, `map[X-Amz-Sso_bearer_token:[***] X-Amz-Date:[x]]`, nil},
		{"SSO OIDC ID token", `{"accessToken":"a","expiresIn":3600,"idToken":"eyJIDTOKEN.p.s","tokenType":"Bearer"}`, `{"accessToken":"***","expiresIn":3600,"idToken":"***","tokenType":"Bearer"}`, nil},
		{"InvalidToken error code", "api error InvalidToken: The provided token is malformed", "api error InvalidToken: The provided token is malformed", nil},
		{"ID token in snake case", "oidc_id_token=eyJIDTOKEN.p.s", "oidc_id_token=***", nil},
		// Review finding: STS's error code is no field named like a secret.
		{"InvalidIdentityToken error code", "api error InvalidIdentityToken: The web identity token that was passed could not be validated", "api error InvalidIdentityToken: The web identity token that was passed could not be validated", nil},
	} {
		if got := redactText(tc.in, tc.secrets); got != tc.want {
			t.Errorf("%s: redactText(%q) =\n%q, want\n%q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestRedactLoadError checks that the error keeps what it wraps, that an
// error with nothing to redact comes back redacted all the same (its
// fields may hold secrets: see TestConfigErrorHoldsNoSecretInItsFields),
// with its text, and that the secrets of every level of the credentials'
// chain are known.
func TestRedactLoadError(t *testing.T) {
	if redactLoadError(nil, keys.Credentials{}) != nil {
		t.Error("nil error redacted to non-nil")
	}
	plain := fmt.Errorf("load: %w", context.Canceled)
	if got := redactLoadError(plain, keys.Credentials{}); got.Error() != plain.Error() || !errors.Is(got, context.Canceled) || errors.Unwrap(got) != nil {
		t.Errorf("an error with nothing to redact came back as %T %q, want a redacted error with its text", got, got)
	}
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDCHAIN", SecretAccessKey: keys.NewSecret("chain-secret"), SessionToken: keys.NewSecret("chain-token")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: static, RoleARN: "arn:aws:iam::123456789012:role/a", SessionName: "sa", ExternalID: keys.NewSecret("chain-ext-a")})
	if err != nil {
		t.Fatal(err)
	}
	top, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: role, RoleARN: "arn:aws:iam::123456789012:role/b", SessionName: "sb", ExternalID: keys.NewSecret("chain-ext-b")})
	if err != nil {
		t.Fatal(err)
	}
	inner := fmt.Errorf("sdk: chain-secret chain-token chain-ext-a chain-ext-b: %w", context.DeadlineExceeded)
	got := redactLoadError(inner, top)
	if want := "sdk: *** *** *** ***: context deadline exceeded"; got.Error() != want {
		t.Errorf("redacted to %q, want %q", got.Error(), want)
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("errors.Is does not find the original's context.DeadlineExceeded in the redacted error")
	}
	// The original's text holds the secrets: errors.As must not hand it out
	// (a review finding: it did, and printing the target printed them).
	var w interface{ Unwrap() error }
	if errors.As(got, &w) || w != nil {
		t.Errorf("errors.As hands out the original, whose text holds the secrets")
	}
	// One whose text holds none is found.
	clean := fmt.Errorf("sdk: nothing secret: %w", context.DeadlineExceeded)
	if w = nil; !errors.As(redactLoadError(clean, top), &w) || w != any(clean) {
		t.Errorf("errors.As does not find the original, which holds no secret, in the redacted error")
	}
	if errors.Unwrap(got) != nil {
		t.Errorf("errors.Unwrap of the redacted error returns the original, whose text holds the secrets")
	}
	// A wrapper whose own text leaves out the wrapped error's, which quotes
	// a secret: a walk of the chain would reach it (a review finding; once,
	// only the outermost text was checked). Through both kinds of Unwrap.
	for _, outer := range []error{
		quietWrapper{msg: "load failed", err: inner},
		errors.Join(errors.New("load failed"), quietWrapper{msg: "step failed", err: inner}),
	} {
		got := redactLoadError(outer, top)
		walk(got, func(e error) {
			if strings.Contains(e.Error(), "chain-secret") {
				t.Errorf("%T: a walk of the chain reaches a link (%T) whose text quotes a secret", outer, e)
			}
		})
		if !errors.Is(got, context.DeadlineExceeded) {
			t.Errorf("%T: errors.Is no longer finds context.DeadlineExceeded", outer)
		}
	}
}

// walk calls f with err and every error it wraps, as an error reporter
// walks a chain: through Unwrap() error and Unwrap() []error.
func walk(err error, f func(error)) {
	if err == nil {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, f)
		}
	}
}

// TestRedactLoadErrorOddErrors: errors whose methods panic on a nil
// receiver (a typed-nil link, whose Error or Unwrap dereferences it) do not
// panic the load, and an errors.Join graph that reaches one error by many
// paths (2^7 here) and an error that wraps itself are redacted like any
// other (review findings, from when a walk of the chain decided whether to
// redact: the self-wrapping error overflowed the stack, a fatal error no
// recover catches).
func TestRedactLoadErrorOddErrors(t *testing.T) {
	var dag error = errors.New("plain")
	for range 7 {
		dag = errors.Join(dag, dag)
	}
	for name, orig := range map[string]error{
		"join graph":                 dag,
		"self-wrapping":              selfWrapper{},
		"wrapped typed nil":          fmt.Errorf("bad option: %w", (*nilPointerError)(nil)),
		"top-level typed nil":        error((*nilPointerError)(nil)),
		"wrapped *fs.PathError(nil)": fmt.Errorf("bad option: %w", (*fs.PathError)(nil)),
		"top-level *url.Error(nil)":  error((*url.Error)(nil)),
	} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: redactLoadError panicked: %v", name, p)
				}
			}()
			got := redactLoadError(orig, keys.Credentials{})
			if _, ok := got.(*redactedError); !ok || fmt.Sprint(got) != fmt.Sprint(orig) {
				t.Errorf("%s: came back as %T, want a redacted error printing as the original does", name, got)
			}
		}()
	}
}

// TestRedactedErrorPrintsNoSecret: review findings on the redacted error
// and the walk of the chain.
//   - fmt prints an error's fields for the verbs that do not call Error
//     (%#v, %d, %t, ...), and the original's with them when it is a value:
//     the redacted error formats as its text under every verb, and holds
//     the original behind a function, where a dump of its fields by
//     reflection does not reach.
//   - A secret inside a longer one (an external ID inside a secret access
//     key) was replaced first, leaving the rest of the longer one.
//   - An Error method that panics on a receiver that is not nil was read as
//     "<nil>" and the error returned as it was: fmt prints the panic's
//     value.
//   - (An Unwrap method that dereferences a nil receiver panicked in the
//     load: see TestRedactLoadErrorOddErrors.)
func TestRedactedErrorPrintsNoSecret(t *testing.T) {
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDPRINT", SecretAccessKey: keys.NewSecret("wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: static, RoleARN: "arn:aws:iam::123456789012:role/p", SessionName: "sp", ExternalID: keys.NewSecret("EXAMPLE")})
	if err != nil {
		t.Fatal(err)
	}
	leaks := func(s string) bool {
		return strings.Contains(s, "EXAMPLE") || strings.Contains(s, "wJalrXUtnFEMIK7") || strings.Contains(s, "4558414d504c45") // hex of EXAMPLE
	}
	for _, orig := range []error{valueError{"sdk: wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}, stringError("sdk: EXAMPLE")} {
		got := redactLoadError(orig, role)
		if _, ok := got.(*redactedError); !ok {
			t.Fatalf("%T: came back as %T, want it redacted", orig, got)
		}
		for _, verb := range []string{"%v", "%+v", "%s", "%q", "%x", "%X", "%#v", "%d", "%t", "%10.3v"} {
			if s := fmt.Sprintf(verb, got); leaks(s) {
				t.Errorf("%T under %s prints a secret", orig, verb)
			}
		}
		if s := fmt.Sprintf("%#v %+v", *got.(*redactedError), struct{ E error }{got}); leaks(s) {
			t.Errorf("%T: a dump of the redacted error's fields prints a secret", orig)
		}
	}
	if got := redactLoadError(secretPanicError{"EXAMPLE"}, role); leaks(fmt.Sprint(got)) {
		t.Errorf("an error whose Error method panics with a secret came back as %T, which prints it", got)
	}
}

// valueError and stringError are errors that are not pointers.
type valueError struct{ msg string }

func (e valueError) Error() string { return e.msg }

type stringError string

func (e stringError) Error() string { return string(e) }

// secretPanicError's Error panics with a value that quotes a secret.
type secretPanicError struct{ secret string }

func (e secretPanicError) Error() string { panic("cannot print " + e.secret) }

// nilPointerError's Error dereferences its receiver.
type nilPointerError struct{ msg string }

func (e *nilPointerError) Error() string { return e.msg }

// selfWrapper is an error that wraps itself.
type selfWrapper struct{}

func (selfWrapper) Error() string   { return "load failed" }
func (e selfWrapper) Unwrap() error { return e }

// quietWrapper wraps err with a text of its own that leaves out err's.
type quietWrapper struct {
	msg string
	err error
}

func (q quietWrapper) Error() string { return q.msg }
func (q quietWrapper) Unwrap() error { return q.err }

// TestRedactedErrorAsFindsNoChainToASecret: errors.As checked the text of
// the error it found, but not of those that error wraps: a wrapper whose
// own text leaves out the wrapped error's (a build's error type of the
// caller's, {Op, Err} printing only Op) was handed out, and its Unwrap, or
// its Err field, reached the SDK's error quoting a secret, which errors.Unwrap
// of the redacted error does not reach.
func TestRedactedErrorAsFindsNoChainToASecret(t *testing.T) {
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDAS", SecretAccessKey: keys.NewSecret("as-chain-secret-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	inner := fmt.Errorf("sdk: signed with as-chain-secret-0123456789: %w", context.DeadlineExceeded)
	for _, orig := range []error{
		quietWrapper{msg: "build failed", err: inner},
		fmt.Errorf("clientcache: building: %w", errors.Join(errors.New("one"), quietWrapper{msg: "build failed", err: inner})),
	} {
		got := redactLoadError(orig, static)
		var q quietWrapper
		if errors.As(got, &q) {
			walk(q, func(e error) {
				if strings.Contains(e.Error(), "as-chain-secret") {
					t.Errorf("%T: errors.As hands out a %T whose chain reaches a link (%T) whose text quotes a secret", orig, q, e)
				}
			})
		}
		if !errors.Is(got, context.DeadlineExceeded) {
			t.Errorf("%T: errors.Is no longer finds context.DeadlineExceeded", orig)
		}
	}
	// What wraps nothing secret is still found.
	clean := quietWrapper{msg: "build failed", err: context.Canceled}
	var q quietWrapper
	if !errors.As(redactLoadError(clean, static), &q) || q != clean {
		t.Errorf("errors.As does not find a wrapper whose chain holds no secret")
	}
}

// TestRedactPanicOfAQuietWrapper: a panic with an error whose own text
// holds no secret, but which wraps one that does (a must-style build's
// panic(&BuildError{Op, Err}) on an SDK error quoting a secret), was
// handed out as it was: the LoaderPanicError's Value, and its Unwrap,
// reached the secret.
func TestRedactPanicOfAQuietWrapper(t *testing.T) {
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDPQ", SecretAccessKey: keys.NewSecret("panic-chain-secret-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	inner := fmt.Errorf("sdk: signed with panic-chain-secret-0123456789: %w", context.DeadlineExceeded)
	got := redactPanic(&concurrent.LoaderPanicError{Value: quietWrapper{msg: "build failed", err: inner}}, static)
	v, ok := got.Value.(error)
	if !ok {
		t.Fatalf("the panic's value came back as a %T, want an error", got.Value)
	}
	walk(v, func(e error) {
		if strings.Contains(e.Error(), "panic-chain-secret") {
			t.Errorf("the panic's value (%T) reaches a link (%T) whose text quotes a secret", v, e)
		}
	})
	var q quietWrapper
	if errors.As(v, &q) {
		t.Errorf("errors.As finds the quiet wrapper, whose Unwrap reaches the secret, in the panic's value")
	}
	if !errors.Is(v, context.DeadlineExceeded) {
		t.Errorf("errors.Is no longer finds context.DeadlineExceeded in the panic's value")
	}
}

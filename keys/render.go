package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unique"
)

// Every printer of a key (String, GoString, Format, LogValue, MarshalJSON,
// MarshalText) renders the same redacted view, built by the attrs methods
// below: one place decides what a key shows. A secret input is shown as ***
// (and so is the access key ID, as boto3-client-cache does); digests are never
// shown, except the SHA-256 prefix of public inputs (policy, CA bundle).

// attr is one node of the redacted view: a string, a list of strings, or a
// group of attrs.
type attr struct {
	key   string
	value string
	list  []string
	group []attr
	kind  attrKind
}

type attrKind uint8

const (
	attrString attrKind = iota
	attrList
	attrGroup
)

func str(key, value string) attr       { return attr{key: key, value: value} }
func list(key string, v []string) attr { return attr{key: key, list: v, kind: attrList} }
func group(key string, g []attr) attr  { return attr{key: key, group: g, kind: attrGroup} }

// view collects the attrs of a key, skipping unset inputs.
type view []attr

func (v *view) str(key, value string) {
	if value != "" {
		*v = append(*v, str(key, value))
	}
}

func (v *view) tristate(key string, t Tristate) {
	if t != Unset {
		*v = append(*v, str(key, t.String()))
	}
}

func (v *view) boolean(key string, b bool) {
	if b {
		*v = append(*v, str(key, "true"))
	}
}

func shortSHA(d digest) string { return "sha256:" + hex.EncodeToString(d[:8]) }

func sha256Of(s string) digest { return sha256.Sum256([]byte(s)) }

func (k Config) attrs(verbose bool) []attr {
	v := k.val()
	var a view
	a.str("region", v.region)
	a.str("profile", v.profile)
	if files := decodeList(v.configFiles); files != nil {
		a = append(a, list("shared-config-files", files))
	}
	if files := decodeList(v.credentialsFiles); files != nil {
		a = append(a, list("shared-credentials-files", files))
	}
	a.str("endpoint", v.endpoint)
	a.tristate("fips", v.fips)
	a.tristate("dual-stack", v.dualStack)
	a.str("defaults-mode", string(v.defaultsMode))
	a.str("retry-mode", string(v.retryMode))
	if v.retryMaxAttempts != 0 {
		a.str("retry-max-attempts", strconv.Itoa(v.retryMaxAttempts))
	}
	a.str("app-id", v.appID)
	if v.requestChecksum != ChecksumUnset {
		a.str("request-checksum", v.requestChecksum.String())
	}
	if v.responseChecksum != ChecksumUnset {
		a.str("response-checksum", v.responseChecksum.String())
	}
	if v.caBundle != (unique.Handle[string]{}) {
		a.str("ca-bundle", shortSHA(v.caBundleSHA256))
	}
	a.str("name", v.name)
	if v.labels != "" {
		var g []attr
		for lk, lv := range labelPairs(v.labels) {
			g = append(g, str(lk, lv))
		}
		a = append(a, group("labels", g))
	}
	a = append(a, group("credentials", v.credentials.attrs(false)))
	if verbose {
		a.str("fingerprint", k.Fingerprint())
	}
	return a
}

func (c Credentials) attrs(verbose bool) []attr {
	v := c.val()
	a := view{str("kind", v.kind.String())}
	switch v.kind {
	case KindStatic:
		a.str("access-key-id", stars)
		a.str("secret-access-key", stars)
		if v.token != (digest{}) {
			a.str("session-token", stars)
		}
	case KindProfile:
		a.str("profile", v.profile)
	case KindAssumeRole, KindWebIdentity:
		a.str("role-arn", v.roleARN)
		a.str("session-name", v.sessionName)
		if v.externalID != (digest{}) {
			a.str("external-id", stars)
		}
		if v.duration != 0 {
			a.str("duration", v.duration.String())
		}
		if v.policy != "" {
			a.str("policy", shortSHA(sha256Of(v.policy)))
		}
		a.str("source-identity", v.sourceIdentity)
		a.str("token-file", v.tokenFile)
		a.str("sts-region", v.stsRegion)
		a.str("sts-endpoint", v.stsEndpoint)
		if v.kind == KindAssumeRole {
			a = append(a, group("source", v.source.attrs(false)))
		}
	}
	if verbose {
		a.str("fingerprint", c.Fingerprint())
	}
	return a
}

func (k Client) attrs(verbose bool) []attr {
	v := k.val()
	var a view
	a.str("service", v.service)
	a.str("region", v.region)
	a.str("endpoint", v.endpoint)
	a.str("name", v.name)
	a.boolean("s3-use-path-style", v.s3.UsePathStyle)
	a.boolean("s3-use-accelerate", v.s3.UseAccelerate)
	a.tristate("s3-use-arn-region", v.s3.UseARNRegion)
	a.tristate("s3-disable-express", v.s3.DisableS3Express)
	a.tristate("s3-disable-mrap", v.s3.DisableMultiRegionAccessPoints)
	if d := v.dynamodb.EndpointDiscovery; d != EndpointDiscoveryUnset {
		a.str("dynamodb-endpoint-discovery", d.String())
	}
	a = append(a, group("config", v.config.attrs(false)))
	if verbose {
		a.str("fingerprint", k.Fingerprint())
	}
	return a
}

// text renders attrs as "key=value key=[a b] key={...}", quoting any value
// that is empty or holds a character outside [A-Za-z0-9._:/@+,*~-].
func text(b *strings.Builder, attrs []attr) {
	for i, a := range attrs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.key)
		b.WriteByte('=')
		switch a.kind {
		case attrString:
			b.WriteString(quote(a.value))
		case attrList:
			b.WriteByte('[')
			for j, s := range a.list {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(quote(s))
			}
			b.WriteByte(']')
		case attrGroup:
			b.WriteByte('{')
			text(b, a.group)
			b.WriteByte('}')
		}
	}
}

func quote(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isWord(c) || strings.IndexByte(".:/@+,*~-", c) >= 0) {
			return strconv.Quote(s)
		}
	}
	return s
}

func label(typeName string, attrs []attr) string {
	var b strings.Builder
	b.WriteString(typeName)
	b.WriteByte('{')
	text(&b, attrs)
	b.WriteByte('}')
	return b.String()
}

// jsonValue renders attrs as a JSON object.
func jsonValue(b *strings.Builder, attrs []attr) {
	b.WriteByte('{')
	for i, a := range attrs {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonString(b, a.key)
		b.WriteByte(':')
		switch a.kind {
		case attrString:
			jsonString(b, a.value)
		case attrList:
			b.WriteByte('[')
			for j, s := range a.list {
				if j > 0 {
					b.WriteByte(',')
				}
				jsonString(b, s)
			}
			b.WriteByte(']')
		case attrGroup:
			jsonValue(b, a.group)
		}
	}
	b.WriteByte('}')
}

func jsonString(b *strings.Builder, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

func marshalJSON(attrs []attr) []byte {
	var b strings.Builder
	jsonValue(&b, attrs)
	return []byte(b.String())
}

// logValue renders attrs as an slog group.
func logValue(attrs []attr) slog.Value {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		switch a.kind {
		case attrString:
			out[i] = slog.String(a.key, a.value)
		case attrList:
			out[i] = slog.Any(a.key, a.list)
		case attrGroup:
			out[i] = slog.Attr{Key: a.key, Value: logValue(a.group)}
		}
	}
	return slog.GroupValue(out...)
}

// format implements fmt.Formatter for every key type: %v and %s print the
// label, %+v the label with the fingerprint, %#v the Go-syntax label, %q and
// %x/%X the quoted or hex-encoded label, and any other verb the label inside
// fmt's usual %!verb(type=...) complaint. No verb that reaches Format falls
// through to fmt's reflection, which would walk the key's fields; %p alone
// never reaches it (fmt handles %p first) and prints the handle's address:
// "%!p(keys.Config={{0xc000...}})", an address, never a field's content.
func format(f fmt.State, verb rune, typeName string, attrs func(verbose bool) []attr) {
	switch verb {
	case 'v':
		switch {
		case f.Flag('#'):
			_, _ = f.Write([]byte(label("keys."+typeName, attrs(true))))
		case f.Flag('+'):
			_, _ = f.Write([]byte(label(typeName, attrs(true))))
		default:
			fmt.Fprintf(f, fmt.FormatString(f, 's'), label(typeName, attrs(false)))
		}
	case 's', 'q', 'x', 'X':
		fmt.Fprintf(f, fmt.FormatString(f, verb), label(typeName, attrs(false)))
	default:
		fmt.Fprintf(f, "%%!%c(keys.%s=%s)", verb, typeName, label(typeName, attrs(false)))
	}
}

// String returns a readable label, such as
// Config{region=us-east-1 credentials={kind=static access-key-id=*** secret-access-key=***}}.
// Labels of keys that differ only in secrets are equal: use the key itself,
// or [Config.Fingerprint], to tell them apart.
func (k Config) String() string { return label("Config", k.attrs(false)) }

// GoString returns the label with the fingerprint, prefixed "keys.".
func (k Config) GoString() string { return label("keys.Config", k.attrs(true)) }

// Format implements [fmt.Formatter] so that no verb prints a field: see the
// package documentation.
func (k Config) Format(f fmt.State, verb rune) { format(f, verb, "Config", k.attrs) }

// LogValue implements [slog.LogValuer]: a group of the label's fields and the
// fingerprint.
func (k Config) LogValue() slog.Value { return logValue(k.attrs(true)) }

// MarshalJSON returns a JSON object of the label's fields and the
// fingerprint. A key cannot be rebuilt from its redacted view: see
// [Config.UnmarshalJSON].
func (k Config) MarshalJSON() ([]byte, error) { return marshalJSON(k.attrs(true)), nil }

// UnmarshalJSON fails (but for a JSON null, which leaves k as it is): a key
// cannot be rebuilt from its redacted view, and the zero key a decoder would
// otherwise leave in its place is an identity of its own (the default
// credential chain). The error matches [ErrInvalid].
func (k *Config) UnmarshalJSON(b []byte) error { return unmarshalJSON(b, "Config") }

// UnmarshalText fails: see [Config.UnmarshalJSON].
func (k *Config) UnmarshalText([]byte) error { return errNoDecode("Config") }

// MarshalText returns the label with the fingerprint, as %+v prints it:
// encoding/json names a map's keys with it (encoding/xml uses it too;
// encoding/gob refuses keys, which have no exported fields), and two
// different keys must not share a name, while their labels alone are equal
// when they differ only in credentials printed as ***.
func (k Config) MarshalText() ([]byte, error) { return []byte(label("Config", k.attrs(true))), nil }

// String returns a readable label, such as
// Credentials{kind=assume-role role-arn=arn:aws:iam::123456789012:role/app ...}.
func (c Credentials) String() string { return label("Credentials", c.attrs(false)) }

// GoString returns the label with the fingerprint, prefixed "keys.".
func (c Credentials) GoString() string { return label("keys.Credentials", c.attrs(true)) }

// Format implements [fmt.Formatter]; see [Config.Format].
func (c Credentials) Format(f fmt.State, verb rune) { format(f, verb, "Credentials", c.attrs) }

// LogValue implements [slog.LogValuer]; see [Config.LogValue].
func (c Credentials) LogValue() slog.Value { return logValue(c.attrs(true)) }

// MarshalJSON returns a JSON object of the label's fields and the fingerprint.
func (c Credentials) MarshalJSON() ([]byte, error) { return marshalJSON(c.attrs(true)), nil }

// UnmarshalJSON fails but for a JSON null; see [Config.UnmarshalJSON].
func (c *Credentials) UnmarshalJSON(b []byte) error { return unmarshalJSON(b, "Credentials") }

// UnmarshalText fails: see [Config.UnmarshalJSON].
func (c *Credentials) UnmarshalText([]byte) error { return errNoDecode("Credentials") }

// MarshalText returns the label with the fingerprint; see [Config.MarshalText].
func (c Credentials) MarshalText() ([]byte, error) {
	return []byte(label("Credentials", c.attrs(true))), nil
}

// String returns a readable label, such as
// Client{service=s3 s3-use-path-style=true config={region=us-east-1 ...}}.
func (k Client) String() string { return label("Client", k.attrs(false)) }

// GoString returns the label with the fingerprint, prefixed "keys.".
func (k Client) GoString() string { return label("keys.Client", k.attrs(true)) }

// Format implements [fmt.Formatter]; see [Config.Format].
func (k Client) Format(f fmt.State, verb rune) { format(f, verb, "Client", k.attrs) }

// LogValue implements [slog.LogValuer]; see [Config.LogValue].
func (k Client) LogValue() slog.Value { return logValue(k.attrs(true)) }

// MarshalJSON returns a JSON object of the label's fields and the fingerprint.
func (k Client) MarshalJSON() ([]byte, error) { return marshalJSON(k.attrs(true)), nil }

// UnmarshalJSON fails but for a JSON null; see [Config.UnmarshalJSON].
func (k *Client) UnmarshalJSON(b []byte) error { return unmarshalJSON(b, "Client") }

// UnmarshalText fails: see [Config.UnmarshalJSON].
func (k *Client) UnmarshalText([]byte) error { return errNoDecode("Client") }

// unmarshalJSON is the UnmarshalJSON of every key type: nil for a JSON null
// (encoding/json's "not present"), errNoDecode otherwise.
func unmarshalJSON(b []byte, typeName string) error {
	if string(b) == "null" {
		return nil
	}
	return errNoDecode(typeName)
}

// errNoDecode is the error of every key decoder.
func errNoDecode(typeName string) error {
	return fieldErr(typeName, "a key cannot be decoded from its JSON or text, a redacted view: build it with its constructor")
}

// MarshalText returns the label with the fingerprint; see [Config.MarshalText].
func (k Client) MarshalText() ([]byte, error) { return []byte(label("Client", k.attrs(true))), nil }

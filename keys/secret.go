package keys

import (
	"fmt"
	"log/slog"
)

// Secret is a secret input: a secret access key, a session token or an
// external ID. It exists so that the input structs that carry secrets never
// print them: a Secret shows as *** under every fmt verb, in slog, in JSON and
// as text, and, since it holds its value behind a pointer that fmt never
// follows, even under the verbs (%p) that make fmt print raw fields. The zero
// Secret is "no secret".
//
// A reflection-based printer that follows pointers would still reach the
// value inside an input struct: inputs are transient, and the keys built from
// them hold no secret at all.
type Secret struct {
	p *string
}

// NewSecret returns s as a Secret; NewSecret("") is the zero Secret.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{p: &s}
}

// IsZero reports whether s holds no secret.
func (s Secret) IsZero() bool { return s.p == nil }

// reveal returns the secret, or "".
func (s Secret) reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

const stars = "***"

// String returns "***".
func (Secret) String() string { return stars }

// GoString returns "keys.Secret(***)".
func (Secret) GoString() string { return "keys.Secret(" + stars + ")" }

// Format writes *** under every verb (keys.Secret(***) for %#v).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(stars))
}

// LogValue returns "***".
func (Secret) LogValue() slog.Value { return slog.StringValue(stars) }

// MarshalText returns "***".
func (Secret) MarshalText() ([]byte, error) { return []byte(stars), nil }

// MarshalJSON returns "***" as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + stars + `"`), nil }

package keys

import (
	"fmt"
	"log/slog"
)

// Secret is a secret input: a secret access key, a session token or an
// external ID. It exists so that the input structs that carry secrets print
// them as *** (under every fmt verb, in slog, in JSON and as text), in case a
// caller logs an input by mistake. Convert with Secret(s).
//
// A reflection-based printer that ignores methods would still show a Secret
// held in an input struct; the keys built from it hold no secret at all.
type Secret string

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

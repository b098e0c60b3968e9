// Package keysecret seals the secret material that rides along with a
// [github.com/clientcache/clientcache/keys.Credentials] identity, and opens it
// again for the code inside this module that loads AWS configs.
//
// A credentials identity must compare by value and must never print a secret,
// not even through a reflection-based printer that follows pointers and reads
// unexported fields. The keys package therefore keeps only HMAC digests in the
// identity and holds the material itself as a [unique.Handle] to a [Sealed]
// value: AES-256-GCM ciphertext under a key drawn at random when the process
// starts, with a synthetic nonce (the first 12 bytes of an HMAC-SHA256 of the
// plaintext under a second random key). Sealing is deterministic, so equal
// material gives equal ciphertext and an equal handle, and the identity stays
// comparable; distinct material gives distinct nonces, so GCM never sees a
// nonce reused with a different plaintext (a collision among n distinct
// plaintexts has probability about n²/2⁹⁷). A printer that dereferences
// everything sees ciphertext only.
//
// The package is internal: only code in this module can open what it sealed.
// Material never leaves the process (the keys are per process and kept in
// unexported variables), and it is garbage-collected with the last handle.
package keysecret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// Material is the secret material of one credentials identity, in the clear.
// Only the parts of its kind are set: the secret access key and session
// token of static credentials, the external ID of an assumed role.
//
// Material prints as *** under every fmt verb, in slog and in JSON, and holds
// its strings behind a pointer, which fmt never follows below the top level
// (so even %p, which makes fmt print raw fields, shows an address). A
// reflection-based printer that follows pointers would show it: keep it in
// local variables only and hand it straight to the SDK.
type Material struct {
	p *material // nil for no material
}

type material struct {
	secretAccessKey, sessionToken, externalID string
}

// NewMaterial returns the material made of its three parts; all empty gives
// the zero Material.
func NewMaterial(secretAccessKey, sessionToken, externalID string) Material {
	if secretAccessKey == "" && sessionToken == "" && externalID == "" {
		return Material{}
	}
	return Material{p: &material{secretAccessKey, sessionToken, externalID}}
}

func (m Material) get() material {
	if m.p == nil {
		return material{}
	}
	return *m.p
}

// IsZero reports whether m holds no material.
func (m Material) IsZero() bool { return m.p == nil }

// SecretAccessKey returns the secret access key of static credentials, or "".
func (m Material) SecretAccessKey() string { return m.get().secretAccessKey }

// SessionToken returns the session token of static credentials, or "".
func (m Material) SessionToken() string { return m.get().sessionToken }

// ExternalID returns the external ID of an assumed role, or "".
func (m Material) ExternalID() string { return m.get().externalID }

const redacted = "keysecret.Material{***}"

// String returns a constant: the material is never printed.
func (Material) String() string { return redacted }

// GoString returns a constant: the material is never printed.
func (Material) GoString() string { return redacted }

// Format writes a constant under every verb: the material is never printed.
func (Material) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue returns a constant: the material is never logged.
func (Material) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON returns a constant: the material is never serialised.
func (Material) MarshalJSON() ([]byte, error) { return []byte(`"***"`), nil }

// Sealed is [Material] encrypted under this process's sealing key. It is
// comparable: two Sealed values are equal exactly when their material is.
// The zero Sealed holds no material.
type Sealed struct {
	ct string // nonce || AES-256-GCM ciphertext and tag; empty for no material
}

// IsZero reports whether s holds no material.
func (s Sealed) IsZero() bool { return s.ct == "" }

// aad binds every ciphertext to this package and format version.
var aad = []byte("clientcache/keysecret v1")

// Process keys, drawn once at start-up. They live only in these unexported
// variables: nothing reachable from a key value points at them.
var (
	aead     cipher.AEAD
	nonceKey []byte
)

func init() {
	var k [64]byte
	// crypto/rand.Read never fails on the platforms Go supports (Go 1.24+):
	// it crashes the program rather than return predictable bytes.
	_, _ = rand.Read(k[:])
	block, err := aes.NewCipher(k[:32])
	if err != nil {
		panic("keysecret: " + err.Error()) // unreachable: the key has 32 bytes
	}
	aead, err = cipher.NewGCM(block)
	if err != nil {
		panic("keysecret: " + err.Error()) // unreachable for AES
	}
	nonceKey = append([]byte(nil), k[32:]...)
}

// Seal encrypts m. The zero Material seals to the zero [Sealed].
func Seal(m Material) Sealed {
	if m.IsZero() {
		return Sealed{}
	}
	pt := encode(m.get())
	mac := hmac.New(sha256.New, nonceKey)
	mac.Write(pt)
	nonce := mac.Sum(nil)[:aead.NonceSize()]
	out := make([]byte, 0, len(nonce)+len(pt)+aead.Overhead())
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, pt, aad)
	clear(pt)
	return Sealed{ct: string(out)}
}

// Open decrypts s. The zero Sealed opens to the zero Material. An error means
// s was not produced by [Seal] in this process.
func (s Sealed) Open() (Material, error) {
	if s.ct == "" {
		return Material{}, nil
	}
	ns := aead.NonceSize()
	if len(s.ct) < ns+aead.Overhead() {
		return Material{}, errors.New("keysecret: sealed material is truncated")
	}
	ct := []byte(s.ct)
	pt, err := aead.Open(nil, ct[:ns], ct[ns:], aad)
	if err != nil {
		return Material{}, errors.New("keysecret: sealed material does not authenticate")
	}
	m, ok := decode(pt)
	clear(pt)
	if !ok {
		return Material{}, errors.New("keysecret: sealed material is malformed")
	}
	return m, nil
}

// encode is the length-prefixed plaintext of m.
func encode(m material) []byte {
	b := make([]byte, 0, 3*binary.MaxVarintLen64+len(m.secretAccessKey)+len(m.sessionToken)+len(m.externalID))
	for _, s := range [...]string{m.secretAccessKey, m.sessionToken, m.externalID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decode(b []byte) (Material, bool) {
	var f [3]string
	for i := range f {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return Material{}, false
		}
		f[i] = string(b[w : w+int(n)])
		b = b[w+int(n):]
	}
	if len(b) != 0 {
		return Material{}, false
	}
	return NewMaterial(f[0], f[1], f[2]), true
}

// Reader extracts the sealed material of a credentials identity. The keys
// package registers one at init; see [Of].
type Reader func(credentials any) (s Sealed, ok bool)

var reader atomic.Pointer[Reader]

// Register installs the function [Of] uses to reach the sealed material
// inside a keys.Credentials value. The keys package calls it once from its
// init function; a second call panics.
func Register(r Reader) {
	if !reader.CompareAndSwap(nil, &r) {
		panic("keysecret: Register called twice")
	}
}

// Of opens the secret material of credentials, which must be a
// keys.Credentials value. Kinds without secrets (and the default chain) give
// the zero Material. The error never contains secret material.
func Of(credentials any) (Material, error) {
	r := reader.Load()
	if r == nil {
		return Material{}, errors.New("keysecret: no reader registered (the keys package is not linked)")
	}
	s, ok := (*r)(credentials)
	if !ok {
		return Material{}, fmt.Errorf("keysecret: %T is not a keys.Credentials", credentials)
	}
	return s.Open()
}

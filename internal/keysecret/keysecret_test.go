package keysecret

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/internal/rendertest"
)

func TestSealOpenRoundTrip(t *testing.T) {
	for _, m := range []Material{
		NewMaterial("secret", "", ""),
		NewMaterial("secret", "token", ""),
		NewMaterial("", "", "external-id"),
		NewMaterial("a", "b", "c"),
		NewMaterial(strings.Repeat("s", 1024), strings.Repeat("t", 16384), ""),
	} {
		s := Seal(m)
		if s.IsZero() {
			t.Fatalf("Seal returned the zero Sealed for material")
		}
		got, err := s.Open()
		if err != nil {
			t.Fatal(err)
		}
		if got.get() != m.get() {
			t.Errorf("round trip changed the material")
		}
	}
}

func TestSealZero(t *testing.T) {
	if !Seal(Material{}).IsZero() || !Seal(NewMaterial("", "", "")).IsZero() {
		t.Errorf("zero material sealed to a non-zero value")
	}
	m, err := Sealed{}.Open()
	if err != nil || !m.IsZero() {
		t.Errorf("zero Sealed opened to %v, %v", m, err)
	}
}

// TestSealDeterministic: equal material seals to equal (comparable) values,
// different material to different ones, including material whose parts
// differ only by where one ends and the next begins.
func TestSealDeterministic(t *testing.T) {
	a, b := Seal(NewMaterial("s", "t", "")), Seal(NewMaterial("s", "t", ""))
	if a != b {
		t.Errorf("equal material sealed differently")
	}
	distinct := []Material{
		NewMaterial("st", "", ""), NewMaterial("s", "t", ""), NewMaterial("", "st", ""),
		NewMaterial("", "s", "t"), NewMaterial("", "", "st"), NewMaterial("s", "", "t"),
	}
	seen := map[Sealed]int{}
	for i, m := range distinct {
		s := Seal(m)
		if j, dup := seen[s]; dup {
			t.Errorf("materials %d and %d seal to the same value", j, i)
		}
		seen[s] = i
	}
}

func TestSealedHidesPlaintext(t *testing.T) {
	const secret = "plaintext-secret-value-0123456789"
	s := Seal(NewMaterial(secret, secret, secret))
	if strings.Contains(s.ct, secret) || strings.Contains(s.ct, secret[:8]) {
		t.Errorf("ciphertext contains the plaintext")
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%p"} {
		if out := fmt.Sprintf(verb, NewMaterial(secret, secret, secret)); strings.Contains(out, secret) {
			t.Errorf("Material under %s shows the secret", verb)
		}
		if out := fmt.Sprintf(verb, struct{ M Material }{NewMaterial(secret, "", "")}); strings.Contains(out, secret) {
			t.Errorf("struct holding a Material under %s shows the secret", verb)
		}
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	s := Seal(NewMaterial("secret", "token", ""))
	b := []byte(s.ct)
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 1
		if _, err := (Sealed{ct: string(c)}).Open(); err == nil {
			t.Fatalf("Open accepted ciphertext with byte %d flipped", i)
		}
	}
	if _, err := (Sealed{ct: s.ct[:5]}).Open(); err == nil {
		t.Errorf("Open accepted truncated ciphertext")
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	for _, b := range [][]byte{nil, {1}, {5, 'a'}, {0, 0}, {0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		if _, ok := decode(b); ok {
			t.Errorf("decode accepted %x", b)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	// Nothing registered in this package's tests: keys is not linked.
	if _, err := Of(struct{}{}); err == nil {
		t.Errorf("Of succeeded with no reader")
	}
	r := Reader(func(any) (Sealed, bool) { return Sealed{}, false })
	Register(r)
	defer reader.Store(nil)
	if _, err := Of(struct{}{}); err == nil || !strings.Contains(err.Error(), "not a keys.Credentials") {
		t.Errorf("Of: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("second Register did not panic")
		}
	}()
	Register(r)
}

// TestSealNoncesDiffer pins the nonce-misuse resistance the package
// documents: the nonce is derived from the plaintext, so distinct material
// gets distinct nonces and GCM never sees one nonce with two plaintexts
// (which would give away the XOR of the plaintexts and the authentication
// key).
func TestSealNoncesDiffer(t *testing.T) {
	ns := aead.NonceSize()
	seen := map[string]int{}
	for i, m := range []Material{
		NewMaterial("secret", "", ""), NewMaterial("secreT", "", ""), NewMaterial("secret", "token", ""),
		NewMaterial("", "", "external-id"), NewMaterial("", "", "external-iD"), NewMaterial("a", "b", "c"),
	} {
		nonce := Seal(m).ct[:ns]
		if j, dup := seen[nonce]; dup {
			t.Errorf("materials %d and %d sealed under the same nonce", j, i)
		}
		seen[nonce] = i
	}
}

// TestMaterialNeverPrints: Material prints as a constant through every
// path a value reaches a log, an error or JSON (String, GoString, Format,
// LogValue, MarshalJSON), except the reflection dump that follows
// pointers, which the type's documentation names as the one that would show
// it.
func TestMaterialNeverPrints(t *testing.T) {
	secrets := map[string]string{
		"secret access key": "material-secret-0123456789",
		"session token":     "material-token-0123456789",
		"external ID":       "material-external-0123456789",
	}
	m := NewMaterial(secrets["secret access key"], secrets["session token"], secrets["external ID"])
	var outs []rendertest.Output
	for _, o := range rendertest.All(m) {
		if !strings.HasPrefix(o.Path, "dump") {
			outs = append(outs, o)
		}
	}
	for _, l := range rendertest.Leaks(outs, secrets) {
		t.Error(l)
	}
}

// TestOfErrorEchoesNoValue: Of's error for a value that is not a
// keys.Credentials names its type, never its content (which could be a
// secret passed by mistake).
func TestOfErrorEchoesNoValue(t *testing.T) {
	r := Reader(func(any) (Sealed, bool) { return Sealed{}, false })
	if !reader.CompareAndSwap(nil, &r) {
		t.Fatal("a reader is already registered")
	}
	defer reader.Store(nil)
	const secret = "of-error-secret-0123456789"
	_, err := Of(secret)
	if err == nil {
		t.Fatal("Of accepted a string")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("Of's error echoes the value it was given")
	}
}

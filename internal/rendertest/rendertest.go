// Package rendertest renders a value through every path by which a key can
// reach a log, an error or a test diff, and looks for secrets in the result.
// It serves the redaction tests of package keys and the fuzz targets; it is
// internal and has no other use.
package rendertest

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
)

// Output is the text one path produced.
type Output struct {
	Path string
	Text string
}

type exported struct {
	Key any
	N   int
}

type unexported struct {
	key any
	n   int
}

type xmlWrapper struct {
	XMLName xml.Name `xml:"w"`
	Key     any      `xml:"k"`
}

// All renders v (a key) through every printing path, always in the same
// order:
//
//   - fmt: every verb (%v %+v %#v %s %q %x %X %d %T %p %t %U and widths),
//     Sprint and Sprintln, on v and on a pointer to v;
//   - v inside a struct (exported and unexported field), a slice and a map,
//     under %v %+v %#v;
//   - errors: fmt.Errorf wrapping a key, errors.Join;
//   - String, GoString, MarshalText when v has them;
//   - log/slog text and JSON handlers, as an attribute, in a group and in
//     Logger.With;
//   - encoding/json (v, v in a struct, v as a map key, indented) and
//     encoding/xml;
//   - a recovered panic whose value is v;
//   - a reflection dump that ignores methods, follows pointers and reads
//     unexported fields, as spew with DisableMethods or go-cmp would (see
//     [Dump]), of v, of a pointer to v and of a struct holding v.
func All(v any) []Output {
	var out []Output
	add := func(path, text string) { out = append(out, Output{path, text}) }

	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p", "%t", "%U", "%10v", "%-300s", "%.40s", "%#q", "% x"} {
		add("fmt "+verb, fmt.Sprintf(verb, v))
	}
	add("fmt.Sprint", fmt.Sprint(v))
	add("fmt.Sprintln", fmt.Sprintln(v, v))
	ptr := reflect.New(reflect.TypeOf(v))
	ptr.Elem().Set(reflect.ValueOf(v))
	p := ptr.Interface()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		add("fmt pointer "+verb, fmt.Sprintf(verb, p))
	}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		add("struct exported "+verb, fmt.Sprintf(verb, exported{Key: v, N: 1}))
		add("struct unexported "+verb, fmt.Sprintf(verb, unexported{key: v, n: 1}))
		add("pointer to struct "+verb, fmt.Sprintf(verb, &exported{Key: v}))
		add("slice "+verb, fmt.Sprintf(verb, []any{v, 1}))
		add("map "+verb, fmt.Sprintf(verb, map[string]any{"k": v}))
	}

	wrapped := fmt.Errorf("load %v: %w", v, io.ErrUnexpectedEOF)
	add("error wrapping", wrapped.Error())
	add("error wrapping %+v", fmt.Sprintf("%+v", fmt.Errorf("outer: %w", wrapped)))
	add("errors.Join", errors.Join(wrapped, fmt.Errorf("key %#v", v)).Error())

	if s, ok := v.(fmt.Stringer); ok {
		add("String", s.String())
	}
	if s, ok := v.(fmt.GoStringer); ok {
		add("GoString", s.GoString())
	}
	if m, ok := v.(encoding.TextMarshaler); ok {
		b, err := m.MarshalText()
		add("MarshalText", string(b)+errText(err))
	}

	for _, h := range []struct {
		name string
		new  func(io.Writer) slog.Handler
	}{
		{"slog text", func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }},
		{"slog JSON", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
	} {
		var buf bytes.Buffer
		l := slog.New(h.new(&buf))
		l.Info("key", "key", v)
		l.Info("any", slog.Any("key", v))
		l.Info("group", slog.Group("g", slog.Any("key", v)))
		l.With("key", v).Info("with")
		l.Error("error", "err", wrapped)
		add(h.name, buf.String())
	}

	jsonPath := func(path string, x any) {
		b, err := json.Marshal(x)
		add(path, string(b)+errText(err))
	}
	jsonPath("json", v)
	jsonPath("json struct", exported{Key: v})
	m := reflect.MakeMap(reflect.MapOf(reflect.TypeOf(v), reflect.TypeOf(0)))
	m.SetMapIndex(reflect.ValueOf(v), reflect.ValueOf(1))
	jsonPath("json map key", m.Interface())
	b, err := json.MarshalIndent(v, "", "  ")
	add("json indent", string(b)+errText(err))
	b, err = xml.Marshal(xmlWrapper{Key: v})
	add("xml", string(b)+errText(err))

	add("recovered panic", func() (s string) {
		defer func() { s = fmt.Sprint(recover()) }()
		panic(v)
	}())

	add("dump", Dump(v))
	add("dump pointer", Dump(p))
	add("dump struct", Dump(exported{Key: v}))
	return out
}

func errText(err error) string {
	if err != nil {
		return " error: " + err.Error()
	}
	return ""
}

// Dump prints v the way a reflection-based printer that ignores methods
// would: every field, exported or not, every pointer followed, strings and
// byte slices written raw (and, for bytes, in hex too).
func Dump(v any) string {
	var b strings.Builder
	dump(&b, reflect.ValueOf(v), map[uintptr]bool{}, 0)
	return b.String()
}

func dump(b *strings.Builder, v reflect.Value, seen map[uintptr]bool, depth int) {
	if depth > 64 {
		b.WriteString("<deep>")
		return
	}
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("<nil>")
	case reflect.String:
		b.WriteString(v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		if seen[v.Pointer()] {
			b.WriteString("<cycle>")
			return
		}
		seen[v.Pointer()] = true
		b.WriteByte('&')
		dump(b, v.Elem(), seen, depth+1)
	case reflect.Interface:
		dump(b, v.Elem(), seen, depth+1)
	case reflect.Struct:
		b.WriteString(v.Type().String())
		b.WriteByte('{')
		for i := range v.NumField() {
			b.WriteString(v.Type().Field(i).Name)
			b.WriteByte(':')
			dump(b, v.Field(i), seen, depth+1)
			b.WriteByte(' ')
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			raw := make([]byte, v.Len())
			for i := range raw {
				raw[i] = byte(v.Index(i).Uint())
			}
			b.Write(raw)
			b.WriteByte(' ')
			b.WriteString(hex.EncodeToString(raw))
			return
		}
		b.WriteByte('[')
		for i := range v.Len() {
			dump(b, v.Index(i), seen, depth+1)
			b.WriteByte(' ')
		}
		b.WriteByte(']')
	case reflect.Map:
		b.WriteString("map[")
		it := v.MapRange()
		for it.Next() {
			dump(b, it.Key(), seen, depth+1)
			b.WriteByte(':')
			dump(b, it.Value(), seen, depth+1)
			b.WriteByte(' ')
		}
		b.WriteByte(']')
	default: // chan, func, unsafe pointer: nothing a printer could follow
		b.WriteString(v.Kind().String())
	}
}

// Forms returns the forms of secret to look for in rendered text: the
// secret itself, its hex (in both cases, and spaced as fmt's "% x" writes
// it) and base64 encodings, and its plain SHA-256 (raw, hex in both cases,
// base64), each with a name that says which form it is and never the
// secret.
func Forms(secret string) map[string]string {
	sum := sha256.Sum256([]byte(secret))
	return map[string]string{
		"plain":              secret,
		"hex":                hex.EncodeToString([]byte(secret)),
		"HEX":                strings.ToUpper(hex.EncodeToString([]byte(secret))),
		"spaced hex":         fmt.Sprintf("% x", secret),
		"base64":             base64.StdEncoding.EncodeToString([]byte(secret)),
		"sha256 raw":         string(sum[:]),
		"sha256 hex":         hex.EncodeToString(sum[:]),
		"sha256 HEX":         strings.ToUpper(hex.EncodeToString(sum[:])),
		"sha256 base64":      base64.StdEncoding.EncodeToString(sum[:]),
		"sha256 base64 url":  base64.RawURLEncoding.EncodeToString(sum[:]),
		"sha256 hex prefix8": hex.EncodeToString(sum[:8]),
	}
}

// Leaks returns one line per (output, secret, form) where the form of the
// named secret appears in the output. The lines name the path, the secret's
// name and the form; they never contain the secret or the output, so they are
// safe in a test failure message.
func Leaks(outputs []Output, secrets map[string]string) []string {
	var leaks []string
	for name, s := range secrets {
		if s == "" {
			continue
		}
		for form, f := range Forms(s) {
			for _, o := range outputs {
				if strings.Contains(o.Text, f) {
					leaks = append(leaks, fmt.Sprintf("%s: %s of %s", o.Path, form, name))
				}
			}
		}
	}
	return leaks
}

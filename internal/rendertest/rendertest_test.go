package rendertest

import (
	"slices"
	"strings"
	"testing"
)

// leaky prints its secret everywhere: through fmt's reflection, JSON, XML,
// slog, and as raw bytes to a dump. It is comparable, like a key.
type leaky struct {
	S string
	B [len(leakySecret)]byte
}

const leakySecret = "rendertest-secret-0123456789"

func newLeaky() leaky {
	l := leaky{S: leakySecret}
	copy(l.B[:], leakySecret)
	return l
}

// TestAllRendersEveryDocumentedPath pins the paths All documents, in their
// order: a path dropped from All would silently weaken every redaction test
// built on it.
func TestAllRendersEveryDocumentedPath(t *testing.T) {
	want := []string{"fmt %v", "fmt %+v", "fmt %#v", "fmt %s", "fmt %q", "fmt %x", "fmt %X", "fmt %d", "fmt %T", "fmt %p", "fmt %t", "fmt %U", "fmt %10v", "fmt %-300s", "fmt %.40s", "fmt %#q", "fmt % x", "fmt.Sprint", "fmt.Sprintln", "fmt pointer %v", "fmt pointer %+v", "fmt pointer %#v", "fmt pointer %s", "struct exported %v", "struct unexported %v", "pointer to struct %v", "slice %v", "map %v", "struct exported %+v", "struct unexported %+v", "pointer to struct %+v", "slice %+v", "map %+v", "struct exported %#v", "struct unexported %#v", "pointer to struct %#v", "slice %#v", "map %#v", "error wrapping", "error wrapping %+v", "errors.Join", "slog text", "slog JSON", "json", "json struct", "json map key", "json indent", "xml", "recovered panic", "dump", "dump pointer", "dump struct"}
	var got []string
	for _, o := range All(newLeaky()) {
		got = append(got, o.Path)
	}
	if !slices.Equal(got, want) {
		t.Errorf("All's paths:\n got %q\nwant %q", got, want)
	}
}

// TestLeaksSeesEveryPath: a value that prints its secret is reported on
// every path of All that can show a value's content (not %T, which prints
// the type, nor a JSON map key, which a struct cannot be), so no path
// renders text that Leaks cannot read.
func TestLeaksSeesEveryPath(t *testing.T) {
	blind := map[string]bool{"fmt %T": true, "json map key": true}
	leaks := Leaks(All(newLeaky()), map[string]string{"secret": leakySecret})
	for _, l := range leaks {
		if strings.Contains(l, leakySecret) {
			t.Fatalf("a leak report contains the secret")
		}
	}
	for _, o := range All(newLeaky()) {
		if blind[o.Path] {
			continue
		}
		if !slices.ContainsFunc(leaks, func(l string) bool { return strings.HasPrefix(l, o.Path+": ") }) {
			t.Errorf("path %q shows the secret, and Leaks reports nothing there", o.Path)
		}
	}
}

// TestFormsAsDocumented: each documented form is looked for, and found.
func TestFormsAsDocumented(t *testing.T) {
	want := []string{"HEX", "base64", "hex", "plain", "sha256 HEX", "sha256 base64", "sha256 base64 url", "sha256 hex", "sha256 hex prefix8", "sha256 raw", "spaced hex"}
	forms := Forms(leakySecret)
	var names []string
	for name, f := range forms {
		names = append(names, name)
		leaks := Leaks([]Output{{Path: "p", Text: "<" + f + ">"}}, map[string]string{"s": leakySecret})
		if !slices.Contains(leaks, "p: "+name+" of s") {
			t.Errorf("form %s not reported: %v", name, leaks)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("Forms gives %q, want %q", names, want)
	}
}

package fuzz

import (
	"strings"
	"testing"

	"github.com/clientcache/clientcache/internal/rendertest"
	"github.com/clientcache/clientcache/keys"
)

// rot changes the content of a secret but not its validity: ROT13 on
// letters, ROT5 on digits, other bytes unchanged.
func rot(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		case c >= '0' && c <= '9':
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	return string(b)
}

// mask blanks the parts of an output that legitimately vary between two
// keys: fingerprints (which hash the secrets' HMACs), pointer addresses and
// slog timestamps. (A regexp did this at a quarter of the fuzzing speed.)
func mask(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexAny(s, "f0t")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		n := 0
		switch {
		case strings.HasPrefix(s, "fingerprint="):
			n = len("fingerprint=") + 16
		case strings.HasPrefix(s, `fingerprint":"`):
			n = len(`fingerprint":"`) + 16
		case strings.HasPrefix(s, `fingerprint": "`):
			n = len(`fingerprint": "`) + 16
		case strings.HasPrefix(s, "0x"):
			n = 2
			for n < len(s) && strings.IndexByte("0123456789abcdef", s[n]) >= 0 {
				n++
			}
		case strings.HasPrefix(s, "time="):
			n = len("time=")
			for n < len(s) && s[n] != ' ' {
				n++
			}
		case strings.HasPrefix(s, `time":"`):
			n = len(`time":"`)
			for n < len(s) && s[n] != '"' {
				n++
			}
		}
		if n == 0 {
			b.WriteByte(s[0])
			s = s[1:]
			continue
		}
		b.WriteByte('_')
		s = s[min(n, len(s)):]
	}
	return b.String()
}

// built is everything built from one set of secrets.
type built struct {
	values []any
	errs   []error
}

func build(akid, secret, token, externalID, session string) built {
	var b built
	st, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: akid, SecretAccessKey: keys.NewSecret(secret), SessionToken: keys.NewSecret(token)})
	b.errs = append(b.errs, err)
	b.values = append(b.values,
		keys.StaticInput{AccessKeyID: akid, SecretAccessKey: keys.NewSecret(secret), SessionToken: keys.NewSecret(token)},
		keys.AssumeRoleInput{RoleARN: role, SessionName: session, ExternalID: keys.NewSecret(externalID)})
	if err != nil {
		return b
	}
	ar, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: st, RoleARN: role, SessionName: session, ExternalID: keys.NewSecret(externalID)})
	b.errs = append(b.errs, err)
	creds := st
	if err == nil {
		creds = ar
		b.values = append(b.values, ar)
	}
	k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: creds})
	b.errs = append(b.errs, err)
	c, err := keys.NewClient(keys.ClientInput{Config: k, Service: "s3"})
	b.errs = append(b.errs, err)
	b.values = append(b.values, st, k, c)
	return b
}

// FuzzRedaction builds keys from fuzzed secrets and from the same secrets
// with their content changed (rot), and renders both through every printing
// path. Outside reflection dumps the two renderings must be identical once
// fingerprints, addresses and timestamps are masked: no path depends on a
// secret's content, so none can show it. Errors must not depend on it
// either. A reflection dump of a key (not of an input) must not contain a
// secret of 16 bytes or more that the other dump lacks.
func FuzzRedaction(f *testing.F) {
	f.Add("AKIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG", "FwoGZXIvYXdzEBYaDH", "tenant-42", "sess")
	f.Add("AKID", "secret with space", "", "x", "s")
	f.Add("minio", "minio123", "", "", "s1")
	f.Add("AKID", "0123456789abcdef0123", "tok\n", "ext:id/with-slash", "a")
	f.Fuzz(func(t *testing.T, akid, secret, token, externalID, session string) {
		b1 := build(akid, secret, token, externalID, session)
		b2 := build(akid, rot(secret), rot(token), rot(externalID), session)
		if len(b1.errs) != len(b2.errs) || len(b1.values) != len(b2.values) {
			t.Fatalf("a secret's content decides acceptance")
		}
		for i := range b1.errs {
			checkError(t, b1.errs[i])
			if (b1.errs[i] == nil) != (b2.errs[i] == nil) || b1.errs[i] != nil && b1.errs[i].Error() != b2.errs[i].Error() {
				t.Fatalf("an error depends on a secret's content")
			}
		}
		secrets := map[string]string{"secret": secret, "token": token, "external ID": externalID}
		for i := range b1.values {
			o1, o2 := rendertest.All(b1.values[i]), rendertest.All(b2.values[i])
			_, input := b1.values[i].(keys.StaticInput)
			_, input2 := b1.values[i].(keys.AssumeRoleInput)
			input = input || input2
			for j := range o1 {
				if strings.HasPrefix(o1[j].Path, "dump") {
					if input {
						continue // a dump of an input shows the input
					}
					for name, s := range secrets {
						if len(s) >= 16 && s != rot(s) && strings.Contains(o1[j].Text, s) && !strings.Contains(o2[j].Text, s) {
							t.Fatalf("%T %s shows the %s", b1.values[i], o1[j].Path, name)
						}
					}
					continue
				}
				if o1[j].Text != o2[j].Text && mask(o1[j].Text) != mask(o2[j].Text) {
					t.Fatalf("%T %s depends on a secret's content", b1.values[i], o1[j].Path)
				}
			}
		}
	})
}

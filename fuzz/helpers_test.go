package fuzz

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/clientcache/clientcache/internal/keysecret"
	"github.com/clientcache/clientcache/keys"
)

// parseLabels reads "k=v" lines; a line without "=" is a key with an empty
// value.
func parseLabels(s string) []keys.Label {
	if s == "" {
		return nil
	}
	var l []keys.Label
	for _, line := range strings.Split(s, "\n") {
		k, v, _ := strings.Cut(line, "=")
		l = append(l, keys.Label{Key: k, Value: v})
	}
	return l
}

// parseList splits on "\n"; "" is nil and "\x00" the empty, non-nil list.
func parseList(s string) []string {
	switch s {
	case "":
		return nil
	case "\x00":
		return []string{}
	}
	return strings.Split(s, "\n")
}

// shuffled returns a permutation of l chosen by seed.
func shuffled(l []keys.Label, seed uint64) []keys.Label {
	out := append([]keys.Label(nil), l...)
	r := rand.New(rand.NewPCG(seed, seed>>32|1))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// checkError asserts the error contract: a *FieldError matching ErrInvalid,
// with the message "keys: <Field>: <Reason>".
func checkError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *keys.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, keys.ErrInvalid) {
		t.Fatalf("error is not a *keys.FieldError matching ErrInvalid: %T", err)
	}
	if fe.Field == "" || fe.Reason == "" || err.Error() != "keys: "+fe.Field+": "+fe.Reason {
		t.Fatalf("malformed error: field %q reason %q", fe.Field, fe.Reason)
	}
}

// rebuild builds c again from its accessors and its sealed material, the
// way the AWS layer reads a key, and so proves the key carries everything
// needed to load it.
func rebuild(t *testing.T, c keys.Credentials) keys.Credentials {
	t.Helper()
	m, err := keysecret.Of(c)
	if err != nil {
		t.Fatalf("keysecret.Of: %v", err)
	}
	var out keys.Credentials
	switch c.Kind() {
	case keys.KindDefault:
		return keys.Credentials{}
	case keys.KindAnonymous:
		return keys.AnonymousCredentials()
	case keys.KindStatic:
		out, err = keys.StaticCredentials(keys.StaticInput{
			AccessKeyID: c.AccessKeyID(), SecretAccessKey: keys.NewSecret(m.SecretAccessKey()), SessionToken: keys.NewSecret(m.SessionToken()),
		})
	case keys.KindProfile:
		out, err = keys.ProfileCredentials(c.Profile())
	case keys.KindAssumeRole:
		out, err = keys.AssumeRoleCredentials(keys.AssumeRoleInput{
			Source: rebuild(t, c.Source()), RoleARN: c.RoleARN(), SessionName: c.SessionName(),
			ExternalID: keys.NewSecret(m.ExternalID()), Duration: c.Duration(), Policy: c.Policy(),
			SourceIdentity: c.SourceIdentity(), STSRegion: c.STSRegion(), STSEndpoint: c.STSEndpoint(),
		})
	case keys.KindWebIdentity:
		out, err = keys.WebIdentityCredentials(keys.WebIdentityInput{
			RoleARN: c.RoleARN(), TokenFile: c.TokenFile(), SessionName: c.SessionName(), Duration: c.Duration(),
			STSRegion: c.STSRegion(), STSEndpoint: c.STSEndpoint(),
		})
	default:
		t.Fatalf("unknown kind %v", c.Kind())
	}
	if err != nil {
		t.Fatalf("an accepted %v identity does not re-validate: %v", c.Kind(), err)
	}
	if out != c {
		t.Fatalf("the %v identity rebuilt from its accessors differs", c.Kind())
	}
	return out
}

// seconds turns a fuzzed number into a duration, keeping sub-second values
// reachable.
func seconds(n int64) time.Duration {
	if n%7 == 3 {
		return time.Duration(n) * time.Millisecond
	}
	return time.Duration(n) * time.Second
}

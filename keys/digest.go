package keys

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
)

// digest is an HMAC-SHA256 (for secrets) or SHA-256 (for public inputs such
// as a policy or a CA bundle) kept whole: 32 bytes, so two different inputs
// never share an identity in practice. The zero digest stands for "no input".
type digest [sha256.Size]byte

// digestKey is the HMAC key for secrets, drawn at random when the process
// starts. A plain hash of a secret would be a permanent fingerprint anyone
// could test guesses against; a keyed one means nothing outside this process.
// Tests replace it (export_test.go) to check golden encodings.
var digestKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails since Go 1.24
	return k
}()

// secretDigest is the HMAC of a secret under digestKey, domain-separated by
// what the secret is, so a secret key and a session token with the same text
// still give different digests.
func secretDigest(domain, secret string) digest {
	mac := hmac.New(sha256.New, digestKey)
	var pre [binary.MaxVarintLen64]byte
	mac.Write(binary.AppendUvarint(pre[:0], uint64(len(domain))))
	mac.Write([]byte(domain))
	mac.Write([]byte(secret))
	var d digest
	mac.Sum(d[:0])
	return d
}

// The domains of secretDigest.
const (
	domainSecretKey  = "secret-access-key"
	domainToken      = "session-token"
	domainExternalID = "external-id"
)

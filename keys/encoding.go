package keys

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// The canonical encoding of a key, returned by the Bytes methods:
//
//	key     = version type field*
//	version = 0x01
//	type    = 0x01 (Config) | 0x02 (Credentials) | 0x03 (Client)
//	field   = tag length value    tag: one byte; length: uvarint byte count
//
// Fields appear in increasing tag order (the tables beside each type list
// them) and a field is left out when its input is unset (the zero value), so
// a field added in a later release leaves the encoding of every key that does
// not use it unchanged. A nested identity (the credentials of a config, the
// source of an assumed role, the config of a client) is a field whose value
// is the nested key's type byte and fields, without the version byte.
//
// Every value is length-prefixed, strings and lists included, so the encoding
// is injective: two keys that differ in any field have different bytes, and no
// shift of characters between adjacent fields can give the same bytes. Secrets
// appear only as their 32-byte HMAC digests, which depend on a key drawn at
// random per process: the encoding of a key with secrets is stable within a
// process only. The encoding of a key without secrets is stable across
// processes and releases with the same version byte.
const encodingVersion = 0x01

// The type bytes.
const (
	typeConfig      = 0x01
	typeCredentials = 0x02
	typeClient      = 0x03
)

type encoder struct{ b []byte }

// str writes a string field, unless it is empty.
func (e *encoder) str(tag byte, s string) {
	if s == "" {
		return
	}
	e.b = append(e.b, tag)
	e.b = appendString(e.b, s)
}

// bytes writes a byte field, unless it is empty.
func (e *encoder) bytes(tag byte, v []byte) {
	if len(v) == 0 {
		return
	}
	e.b = append(e.b, tag)
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}

// uint writes an unsigned integer as a uvarint, unless it is zero.
func (e *encoder) uint(tag byte, v uint64) {
	if v == 0 {
		return
	}
	var buf [binary.MaxVarintLen64]byte
	e.bytes(tag, binary.AppendUvarint(buf[:0], v))
}

// digest writes a 32-byte digest, unless it is zero (no input).
func (e *encoder) digest(tag byte, d digest) {
	if d == (digest{}) {
		return
	}
	e.bytes(tag, d[:])
}

// nested writes the encoding produced by f, unless it is empty.
func (e *encoder) nested(tag byte, f func(*encoder)) {
	var sub encoder
	f(&sub)
	e.bytes(tag, sub.b)
}

// appendString appends s with its uvarint length.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readString reads one length-prefixed string from the front of s.
func readString(s string) (v, rest string, ok bool) {
	n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	if w <= 0 || n > uint64(len(s)-w) {
		return "", "", false
	}
	return s[w : w+int(n)], s[w+int(n):], true
}

// encodeList is the representation of a list of strings inside a key and in
// its encoding: "" for a nil list, otherwise the uvarint count followed by the
// length-prefixed items (a non-nil empty list is "\x00").
func encodeList(items []string) string {
	if items == nil {
		return ""
	}
	b := binary.AppendUvarint(nil, uint64(len(items)))
	for _, s := range items {
		b = appendString(b, s)
	}
	return string(b)
}

// decodeList inverts encodeList on what encodeList produced.
func decodeList(s string) []string {
	if s == "" {
		return nil
	}
	n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	if w <= 0 {
		panic("keys: corrupt list") // unreachable: s came from encodeList
	}
	s = s[w:]
	items := make([]string, 0, n)
	for range n {
		v, rest, ok := readString(s)
		if !ok {
			panic("keys: corrupt list") // unreachable: s came from encodeList
		}
		items = append(items, v)
		s = rest
	}
	return items
}

// fingerprint is the first 8 bytes of the SHA-256 of an encoding, in hex.
func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// encodeKey frames the fields written by f as a top-level key.
func encodeKey(typ byte, f func(*encoder)) []byte {
	e := encoder{b: []byte{encodingVersion, typ}}
	f(&e)
	return e.b
}

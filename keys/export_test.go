package keys

// SetDigestKey replaces the per-process HMAC key for secrets, so that golden
// vectors of keys with secrets are reproducible, and returns a function that
// restores it. Tests that call it must not run in parallel with others.
func SetDigestKey(k []byte) (restore func()) {
	old := digestKey
	digestKey = k
	return func() { digestKey = old }
}

package keys

// SetDigestKey replaces the per-process HMAC key for secrets, so that golden
// vectors of keys with secrets are reproducible, and returns a function that
// restores it. Tests that call it must not run in parallel with others.
func SetDigestKey(k []byte) (restore func()) {
	old := digestKey
	digestKey = k
	return func() { digestKey = old }
}

// CheckedBundles returns how many CA bundle digests NewConfig remembers.
func CheckedBundles() int {
	checkedBundles.mu.Lock()
	defer checkedBundles.mu.Unlock()
	return len(checkedBundles.m)
}

// MaxCheckedBundles is the most it may remember.
const MaxCheckedBundles = maxCheckedBundles

package concurrent_test

import (
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

// TestNilCacheLenMaxSizeStringStatsPanicNamingTheMethod: the Cache doc says
// that on a nil *Cache every method that returns no error panics with the
// *OptionError naming it, except Get, Touch and Contains (a nil
// dereference), and that only on a zero Cache do Len, MaxSize, String and
// Stats report an empty cache. On a nil *Cache those four died of a nil
// dereference.
func TestNilCacheLenMaxSizeStringStatsPanicNamingTheMethod(t *testing.T) {
	var c *concurrent.Cache[int, int]
	for method, call := range map[string]func(){
		"Len":     func() { c.Len() },
		"MaxSize": func() { c.MaxSize() },
		"String":  func() { _ = c.String() },
		"Stats":   func() { c.Stats() },
	} {
		t.Run(method, func(t *testing.T) {
			var r any
			func() {
				defer func() { r = recover() }()
				call()
			}()
			oe, ok := r.(*concurrent.OptionError)
			if !ok || oe.Param != "(*Cache)."+method {
				t.Fatalf("%s on a nil *Cache panicked with %v (%T), want an *OptionError naming (*Cache).%s", method, r, r, method)
			}
		})
	}
}

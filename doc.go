// Package clientcache caches AWS SDK for Go v2 configs and clients by explicit,
// secret-safe identity, with lock-free reads, a hard size bound and LRU or
// W-TinyLFU eviction.
//
// The generic engine lives in [github.com/clientcache/clientcache/concurrent];
// identities of configs and clients in [github.com/clientcache/clientcache/keys].
package clientcache

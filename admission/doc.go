// Package admission holds the frequency sketch behind clientcache's LFU
// policy: a TinyLFU count-min sketch that estimates how often each key was
// requested recently, in a fixed amount of memory.
//
// The design follows Einziger, Friedman and Manes, "TinyLFU: A Highly
// Efficient Cache Admission Policy", ACM Transactions on Storage 13(4), 2017,
// and the layout of Caffeine's FrequencySketch: 4-bit counters packed sixteen
// to a 64-bit word, the four counters of a key confined to one 64-byte block
// (one cache line, so an estimate costs one memory fetch), and a periodic
// "reset" that halves every counter so that the sketch forgets old
// popularity and follows a shifting workload.
//
// A key enters the sketch as a 64-bit hash computed by the caller. The sketch
// mixes its own seed into that hash before choosing a block and counters, so
// that with a seed drawn at random per process an attacker who can choose
// keys cannot aim them at the same counters; a fixed seed makes runs
// reproducible.
//
// A [Sketch] is meant for a single goroutine (or one lock held by its owner):
// it has no locks and no atomics, and its hot paths do not allocate.
package admission

// Package trace reads the public cache-access traces of the project's shared
// trace folder and computes the reference hit counts that every policy is
// judged against: Bélády's optimum and a textbook LRU.
//
// The traces are gzip files in four record formats (see [Format]); [Files]
// lists them with the cache capacities at which they are usually measured.
// They are read in place from the folder that [Dir] finds (the shared folder
// beside the repository, ../shared/traces from its root) and are never copied
// into the repository; tests that need them skip when the folder is absent.
//
// Everything here is deterministic: a trace replayed through a deterministic
// cache gives the same figures on every run.
package trace

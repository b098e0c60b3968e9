// Package fuzz holds the fuzz targets of the keys package. They drive the
// public API only (plus the module-internal keysecret, as the AWS layer
// does) and check four properties:
//
//   - FuzzDeterminism: the same inputs give equal keys, equal bytes and equal
//     labels, whatever order the labels are given in;
//   - FuzzInjectivity: inputs that differ give different keys and different
//     bytes, in particular when two adjacent string fields trade characters;
//   - FuzzRedaction: no printing path shows a secret input, and none depends
//     on the secret's content at all;
//   - FuzzValidation: validation never panics, every error is a
//     *keys.FieldError matching keys.ErrInvalid, and an accepted key
//     re-validates: rebuilt from its accessors (and its sealed material) it
//     is the same key.
//
// The seeds (f.Add calls and testdata/fuzz/FuzzXxx) run as ordinary tests
// with go test; scripts/fuzz.sh fuzzes each target for a fixed number of executions.
package fuzz

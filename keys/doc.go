// Package keys builds the identities under which clientcache stores AWS
// configs and clients: deterministic, comparable, and free of secrets.
//
// # Identity model
//
// A client is stored and found only by a key made from the exact inputs that
// create it, never from the aws.Config it produces (whose ConfigSources carry
// settings silently and whose function and interface fields cannot be
// compared). Three key types nest:
//
//   - [Credentials]: a credentials source. Default chain (the zero value),
//     anonymous, static, profile, assume-role (on top of another Credentials,
//     so role chains are keys too) and web identity.
//   - [Config]: the inputs of config.LoadDefaultConfig (region, profile,
//     shared files, base endpoint, FIPS, dual-stack, defaults and retry modes,
//     app ID, checksum settings, CA bundle), a caller-chosen name standing for
//     whatever cannot be compared (an HTTP client, API options, a logger),
//     free-form labels for the caller's own dimensions (a tenant), and a
//     Credentials.
//   - [Client]: a Config, the service, a per-client region or endpoint, a
//     name for non-comparable client options, and the per-service value
//     options ([S3Options], [DynamoDBOptions]).
//
// Each is built by a constructor ([NewConfig], [StaticCredentials], ...) that
// validates its input and returns a *[FieldError] naming the field
// ("Credentials.AssumeRole.RoleARN") for bad input; all such errors match
// [ErrInvalid]. Every input can be read back through accessors, so the AWS
// layer can build the config and client from the key alone, and Input methods
// return the normalised input (NewConfig(k.Input()) == k).
//
// Keys are small comparable values (one pointer: a [unique.Handle] to the
// interned, immutable content), usable directly as map keys, and safe for
// concurrent use. Two keys are == exactly when they were built from the same
// inputs after normalisation; comparing or hashing one costs a pointer, and
// building one costs a hash of its inputs. Nested keys are themselves
// handles, so a role chain is a chain of handles built bottom-up: it cannot
// form a cycle, and the constructor refuses a chain that names a role twice
// (a loop) or stacks more than [MaxRoleChainDepth] role assumptions.
//
// # Normalisation
//
// Inputs are rewritten only where two spellings mean the same thing to the
// SDK; everything else is kept as given and compared exactly.
//
//   - Endpoints (config, client, STS): scheme and host lowercased (a host
//     name must be ASCII, Punycode for a non-ASCII one, without '"', '<',
//     '>' or "]", and an IPv6 address has no zone); the scheme's default port ("80", "443", written so)
//     dropped, any other port kept as given; a path of a single "/" dropped
//     (any other path is kept, a trailing "/" included: the SDK sends an
//     operation whose path is "/" to "/p/" on "https://h/p/" and to "/p" on
//     "https://h/p").
//   - Service names: ASCII upper case lowered ("S3" is "s3").
//   - Labels: sorted by key, so their order does not matter.
//   - CA bundle: empty and nil are both "no bundle"; a bundle is identified
//     by the SHA-256 of its bytes.
//   - AssumeRole duration: 0 is 15 minutes, the duration the SDK sends when
//     none is set (stscreds.DefaultDuration).
//
// Unset and explicitly default are otherwise different identities, because
// LoadDefaultConfig fills unset settings from the environment and the shared
// config files: an unset region is not "us-east-1", an unset FIPS setting is
// not [Disabled], RetryMaxAttempts 0 is not 3, nil shared files (the default
// files) are not an empty list (no file). Paths are not cleaned, regions and
// policies are not rewritten, and the environment is assumed constant for the
// life of the process: a key names inputs, not the environment they meet.
//
// # Encoding
//
// Bytes returns a canonical encoding: a version byte, a type byte, then
// tag-length-value fields in a fixed order, unset fields left out (the
// tables are on [Config.Bytes], [Credentials.Bytes] and [Client.Bytes]).
// Every value is length-prefixed, so no two different keys share an
// encoding, whatever characters their adjacent fields trade. Fingerprint is
// the first 8 bytes of its SHA-256 in hex, a short name for logs. Keys with
// secrets encode their per-process HMAC digests, so their bytes and
// fingerprints are stable within one process only; the others are stable
// across processes, and golden vectors in the tests pin the format.
//
// # Secrets never leave
//
// A key holds no secret. The secret access key, the session token and the
// external ID are reduced to HMAC-SHA256 under a key drawn at random when the
// process starts: a plain hash would be a permanent fingerprint anyone could
// test guesses against. All 32 bytes of each digest are kept.
//
// Keys print a readable label in which the access key ID, secret access key,
// session token and external ID are ***. One redacted view feeds every
// printer: String, GoString, a Format that handles every fmt verb but %p
// (which fmt handles itself, printing the key's one pointer as an address,
// never a field's content), [slog.LogValuer], MarshalJSON and MarshalText.
// Error messages never echo an input. Labels of keys that differ only in
// secrets (or in the access key ID) are equal; the key itself, or its
// fingerprint, tells them apart, and the forms that name a key to a machine
// (MarshalText, which encoding/json uses for map keys, MarshalJSON,
// LogValue) and GoString and %+v carry the fingerprint.
//
// # Secret material
//
// The AWS layer still needs the secrets: the secret key and token to build
// static credentials, the external ID for the AssumeRole call. They travel
// with the key in a form no printer can reveal, even one that ignores String
// methods and follows pointers into unexported fields (spew with
// DisableMethods, go-cmp): each Credentials holds its material sealed with
// AES-256-GCM under another per-process random key, with a synthetic nonce
// derived by HMAC from the plaintext. Sealing is deterministic, so equal
// material gives equal ciphertext and keys stay comparable by value; it adds
// nothing to equality that the digests do not already decide. The material
// is interned with the key and garbage-collected with its last copy.
//
// Only code inside this module can unseal it, through the internal package
// internal/keysecret (keysecret.Of(key.Credentials())). Outside the module a
// key exposes which kind of secret it was built with ([Credentials.HasSessionToken],
// [Credentials.HasExternalID]) and nothing more. Within one process, == on
// two keys does reveal whether their secrets are equal: that is what a key
// is for.
//
// The input structs that carry secrets use the [Secret] type, which prints as
// *** too, in case a caller logs an input.
package keys

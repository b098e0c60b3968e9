// Package clientcache caches AWS SDK for Go v2 configs, service clients and
// objects derived from them, each found only by the explicit identity that
// built it, with lock-free reads, a hard bound and LRU or LFU eviction. It is
// the Go counterpart of Python's boto3-client-cache.
//
// # What is cached, and why
//
// A Go SDK client is cheap to build, but what comes with a freshly loaded
// aws.Config is not: its own HTTP connection pool (new TCP and TLS handshakes,
// idle connections kept 90 s), its own credentials cache (an STS AssumeRole
// call, which AWS throttles) and, with a custom CA bundle, a parsed
// certificate pool. A [Cache] therefore keeps three bounded caches:
//
//   - configs ([Cache.Config]), one per [keys.Config] identity: the
//     aws.Config, with an aws.CredentialsCache and a connection pool the
//     cache owns;
//   - clients ([Client]), one per client type and [keys.Client] identity,
//     built from the cached config of their identity, so that every client of
//     a tenant shares one credentials cache and one pool;
//   - derived objects ([Derived]): presign clients, transfer managers and
//     other objects built from a client, by the client's identity and a name.
//
// Each loads at most once however many goroutines miss it together (the
// others wait for that load, each bounded by its own context), and a failed
// load caches nothing. A load's errors are handed out redacted (see
// [Cache.Config]). A panic of the caller's code that a load runs (a client
// constructor, a [Derived] build, named load options) fails the load, and
// every call waiting for it, with a [*concurrent.LoaderPanicError] (matched
// by [concurrent.ErrLoaderPanic]) that holds the panic's stack and value,
// redacted as a load's error is: a value that is aws.Credentials, or whose
// text holds a secret the redaction knows (panic(err) on an SDK error that
// quotes one, say), is replaced by an error of its redacted text, through
// which [errors.Is] and [errors.As] still see the value if it was an error.
//
// When the last holder of a connection pool (its config, every client or
// derived object built on it, and every config whose role is assumed from
// it) is evicted, its connections are closed as soon as none of its
// requests is in flight (a request is in flight until its response body
// has been read to the end or closed, and its request body sent, or until
// its context is done: a response whose body nobody closes, under a
// context that never ends, keeps its connection open as it would without
// the cache, which cannot tell that the body was dropped, as when a
// middleware panics after the response arrived); a client the caller kept
// after that goes on working, and its
// connections are closed in turn whenever its requests are done. That holds
// over HTTP/1.1 and HTTP/2 alike. The credential calls the SDK makes for the
// default chain or a profile (STS, SSO, IMDS, the container endpoint) go
// through clients the SDK builds, whose pools the cache cannot reach: the
// cache hands them an HTTP client that keeps no idle connection, so that
// nothing stays open after Close either.
//
// # Identity
//
// Keys come from package [github.com/clientcache/clientcache/keys]: they are
// built from the inputs that produce a config (region, endpoint, credentials
// source, ...), never from an aws.Config, they are comparable values, and
// they hold no secret: secrets are reduced to keyed digests, and keys print
// redacted everywhere (fmt, slog, JSON, errors). Anything that cannot be
// compared enters an identity as a name: LoadDefaultConfig options registered
// under that name in [Options.LoadOptions], or client option functions passed
// to [Client] for a key that names them.
//
// Credentials are built by the cache: static credentials, a profile's, an
// assumed role (whose source is itself an identity of the same cache, so role
// chains resolve through it and tenants assumed from one base share it), or a
// web identity, each in an aws.CredentialsCache. A config loads without
// resolving credentials, and the cache resolves them after, once the
// identity's pool exists: for the default chain and a profile's credentials, with a second
// LoadDefaultConfig of the identity's settings (its named load options
// included, which so run twice per load). Role credentials are fetched
// while the config loads, so a failing STS call is the caller's error and the
// next call tries again. The SDK's errors can quote secrets (a credential
// process's output that does not parse, with its secret access key): the
// text of a load's error, and of a [Derived] build's (a build that calls the
// service), has the identity's secrets, a credential process's
// output and the values of fields named like secrets replaced by ***.
// errors.Is and errors.As still find the SDK's error in it (an error taken
// out with errors.As is the SDK's, fields included, and errors.As finds none
// whose own text, or the text of an error it wraps, holds a secret);
// errors.Unwrap does not,
// so an error reporter that walks the chain and prints each link's text
// prints only the redacted one, and a dump that follows its fields by
// reflection does not reach the SDK's request, whose headers and context
// hold credentials.
//
// # The original API in Go
//
// The original's session-like object is [Cache] ([New], or the process-wide
// [Default]); its client(...) call is [Client] (or [DefaultClient]); its
// resources are [Derived]. Its dict-like access is [GetClient], [AddClient]
// (an error if present: no silent overwrite), [DeleteClient], [PopClient],
// [Cache.Len] and [Cache.Keys] (in eviction order), with [Cache.DeleteConfig],
// [Cache.ConfigLen] and [Cache.ConfigKeys] for configs, and [DeleteDerived]
// for a derived object. The engine underneath,
// with its consistency model, is [github.com/clientcache/clientcache/concurrent].
package clientcache

package clientcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/keys"
)

// Policy names an eviction policy: [LRU] or [LFU].
type Policy = concurrent.Policy

const (
	// LRU evicts the least recently used entry.
	LRU = concurrent.LRU
	// LFU evicts by frequency (W-TinyLFU), which keeps busy tenants cached
	// through bursts of one-off ones.
	LFU = concurrent.LFU
)

// Errors shared with the engine, matched with errors.Is.
var (
	// ErrClosed is returned by the operations that need an open cache once
	// it is closed (see [Cache.Close]).
	ErrClosed = concurrent.ErrClosed
	// ErrExists is returned by [AddClient] when the key is present; nothing
	// was overwritten.
	ErrExists = concurrent.ErrExists
	// ErrNotFound is returned by [PopClient] when the key is absent.
	ErrNotFound = concurrent.ErrNotFound
	// ErrInvalid is matched by every error about a bad argument: an invalid
	// option, an unusable key, a nil constructor. (Errors from the keys
	// package match keys.ErrInvalid.)
	ErrInvalid = errors.New("clientcache: invalid argument")
)

// invalid returns an ErrInvalid error naming the parameter.
func invalid(param, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, param, fmt.Sprintf(format, args...))
}

// engineError returns err, the result of the package's function op, under
// a text of the package's if it is the engine's, whose texts start
// "concurrent:": a sentinel as the engine returns it (the cache is closed,
// or what, a phrase naming the entry, is already cached for ErrExists or
// not for ErrNotFound), or a load the engine ended (at Close, at
// Options.LoadTimeout). errors.Is and errors.As still find err. A
// *concurrent.LoaderPanicError, which the docs promise as it is, and errors
// of the package's own are returned as they are.
func engineError(op string, err error, what string) error {
	switch err {
	case nil:
		return nil
	case ErrClosed:
		return &engineErr{"clientcache: " + op + ": the cache is closed", err}
	case ErrExists:
		return &engineErr{"clientcache: " + op + "(key): " + what + " is already cached", err}
	case ErrNotFound:
		return &engineErr{"clientcache: " + op + "(key): " + what + " is not cached", err}
	}
	if _, panicked := err.(*concurrent.LoaderPanicError); !panicked {
		if rest, ok := strings.CutPrefix(err.Error(), "concurrent: "); ok {
			return &engineErr{"clientcache: " + op + ": " + rest, err}
		}
	}
	return err
}

// engineErr is an error of the engine's under a text of the package's.
type engineErr struct {
	msg string
	err error
}

func (e *engineErr) Error() string { return e.msg }
func (e *engineErr) Unwrap() error { return e.err }

// nilContext is the reason given for a nil context.Context, which the engine
// would dereference on a miss.
const nilContext = "nil context.Context (pass context.Background() or a caller's context)"

// unusable returns an error naming param if c is nil or was not made by New.
func (c *Cache) unusable(param string) error {
	switch {
	case c == nil:
		return invalid(param, "nil *Cache")
	case c.configs == nil:
		return invalid(param, "a zero Cache: make one with clientcache.New")
	}
	return nil
}

// mustBeUsable panics with unusable's error, for the functions that have no
// error result to return it in.
func (c *Cache) mustBeUsable(param string) {
	if c == nil || c.configs == nil {
		panic(c.unusable(param))
	}
}

// DefaultMaxEntries is the bound used for each of the three caches when its
// option is 0: the original library's default. A service with many tenants
// should set MaxConfigs to the number of config identities active at once
// (its tenants', and the source identities their roles are assumed from,
// which are cached configs too: one more for tenants assumed from the
// service's own credentials) and MaxClients to the tenants times the
// services each uses.
const DefaultMaxEntries = 10

// Options configures a [Cache]. The zero value is valid.
type Options struct {
	// MaxConfigs bounds the loaded configs (one per config identity: its
	// credentials cache and connection pool; the source identity an assumed
	// role is assumed from is one too). 0 means DefaultMaxEntries; negative
	// is an error.
	MaxConfigs int
	// MaxClients bounds the service clients. 0 means DefaultMaxEntries;
	// negative is an error.
	MaxClients int
	// MaxDerived bounds the objects derived from clients (presign clients,
	// transfer managers, ...). 0 means DefaultMaxEntries; negative is an
	// error.
	MaxDerived int
	// Policy chooses eviction for all three: LRU (the default) or LFU.
	// With LFU, each bound above concurrent.MaxLFUSize is an error.
	Policy Policy
	// IdleTimeout, if positive, evicts a config, client or derived object
	// that nobody asked for in that long (tenants that went quiet), closing
	// its idle connections. A hit on a derived object is a use of the client
	// it was built from too, a hit on a client or derived object one of the
	// config they were built from, and a use of an assumed role's config one
	// of the source identities it was assumed from (uses that count in no
	// Stats: they are not requests for those entries), so the clients and
	// config of a tenant busy with what was built from them, and the base
	// role it shares with other tenants, stay. 0 means never; negative is an
	// error.
	IdleTimeout time.Duration
	// LoadTimeout, if positive, bounds each load (config loading with its
	// credential call, client construction, a Derived build), each
	// credential fetch of the providers the cache builds (static, assumed
	// role, web identity), the refreshes of a cached identity's credentials
	// included, each call (STS, SSO, IMDS, the container endpoint) of the
	// default chain's and profile credentials' refreshes, and a profile's
	// credential_process (its Timeout, a minute by default, unless named
	// load options set one; Close does not end a process already running,
	// whose Timeout does). Those
	// refreshes run under no caller's context, as aws.CredentialsCache runs
	// them, because every request that finds the credentials expired waits
	// for the same one, and an assumed role's load can be one of them (its
	// source identity's refresh): without the bound, an STS call that hangs
	// would outlive the load it holds up. A refresh that fails is not kept:
	// the next use of the credentials fetches again. A fetch or call that
	// ends at the bound fails with an error that names this option (and
	// matches context.DeadlineExceeded); a credential_process killed at it
	// fails with the SDK's *processcreds.ProviderError ("credential process
	// timed out"), which does neither.
	// 0 means no bound beyond the SDK's own; Close cancels loads and those
	// fetches and calls in flight either way. The calls of a client that
	// named load options supply in its place (the Client of
	// EC2RoleCredentialOptions or AssumeRoleCredentialOptions, say) are the
	// caller's, bounded by neither.
	// A client's constructor, a Derived build and named load options are
	// given no context: a load that ends before they return fails with the
	// context's error (naming Options.LoadTimeout, or matching ErrClosed,
	// beside context.DeadlineExceeded or Canceled), and the constructor,
	// build or config load runs to its end on its own, its result dropped
	// (a config's pool released; Close waits for it). A load waits for the
	// loads it needs within its own bound: the first Derived call for a
	// client not yet cached has LoadTimeout for the config's load, the
	// client's construction and the build together (and the first Client
	// call for the config's load and the construction), each of those
	// loads being bounded on its own too.
	LoadTimeout time.Duration
	// Logger, if set, receives misses (loads) and evictions at level Debug,
	// with keys printed redacted. nil means no logging; a Logger without a
	// handler (the zero slog.Logger), or whose handler is a nil pointer, is
	// an error. A handler that panics on a load's record fails that load,
	// with a *concurrent.LoaderPanicError (as a panic of the caller's code a
	// load runs does) naming Options.Logger; one that panics on an
	// eviction's record does not stop the eviction, nor keep the entry's
	// pool open: the panic is counted in Stats' ListenerPanics and logged
	// with slog.Default at level Error (see concurrent.Options.OnEvict).
	Logger *slog.Logger

	// LoadOptions are named sets of LoadDefaultConfig options that cannot
	// be compared (a custom HTTP client, API options, a logger). A config
	// identity refers to one by its name (keys.ConfigInput.Name), so the
	// name, not the options, is part of the identity. A key whose name is
	// not registered here is refused before anything loads (Config, Client,
	// Derived, AddClient and PopClient return ErrInvalid naming their key); a nil function, or a name no key
	// can hold (empty, or refused by keys.NewConfig), is an error of New.
	// New copies the map and its slices: later changes do not reach the
	// cache.
	// They run after the options the cache makes of the key's settings and
	// of its own (its HTTP client), so what they set wins: options that set
	// a region load every key that names them in that region, whatever the
	// key's Region says.
	// An HTTP client set by these options is the caller's: used as given (a
	// BuildableClient keeps its settings, and the SDK's constructors then
	// copy it, so each client gets a pool of its own, as without the
	// cache), its connections left alone. Otherwise the identity's pool is
	// the cache's (see [Cache.Config]): an *http.Client whose Transport is
	// the cache's own RoundTripper (do not type-assert it to
	// *http.Transport). With a key's CABundle, an HTTP client they set
	// must be an *awshttp.BuildableClient, the only kind the SDK adds a CA
	// bundle to: another fails the load with ErrInvalid naming the options.
	// A CA bundle the SDK adds to it (the key's, a profile's ca_bundle) goes
	// to a copy whose RootCAs are its own: the certificate pool of the
	// caller's client, which other identities may use, is left as it was.
	// Such a copy, which the caller never sees, is the cache's: with the
	// key's CABundle it is the identity's pool, closed with it; a profile's
	// credential calls, an assumed role's or web identity's STS calls and
	// the IMDS region lookup of DefaultsMode auto go through one that keeps
	// no idle connection.
	// They may set a credentials provider (config.WithCredentialsProvider)
	// only for keys whose credentials are the default chain or a profile's,
	// which the SDK resolves from the options (the provider then stands for
	// them), or an assumed role whose chain starts there. With static,
	// anonymous or web identity credentials the key's would replace it, so
	// the load fails with ErrInvalid naming the options instead. So does
	// a ClientLogMode that logs what holds secrets (config.WithClientLogMode
	// with aws.LogSigning, LogRequest, LogRequestWithBody or
	// LogResponseWithBody: the session token header, an external ID, the
	// credentials STS returns); a client's own options are the caller's.
	// Credentials cache options (config.WithCredentialsCacheOptions: an
	// ExpiryWindow) apply to every key's credentials cache, the ones the
	// cache builds itself for static, assumed role and web identity
	// credentials included; their function runs once per credentials
	// cache, as in LoadDefaultConfig.
	// For the default credential chain and profile credentials, the
	// functions of the named options run twice per load: once for the
	// config, and once more in the load that resolves the credentials with
	// the identity's settings (see the package documentation), so they
	// should not count or append to anything outside the LoadOptions they
	// are given.
	LoadOptions map[string][]func(*config.LoadOptions) error

	// clock, if set (tests only, through export_test.go), is the engines'
	// time source for IdleTimeout.
	clock concurrent.Clock
}

// Cache holds AWS configs, service clients and derived objects, each found
// only by the explicit identity that built it. It is safe for concurrent
// use; a cached entry is looked up without a lock (see
// [concurrent.Cache.Get] for when a read also applies buffered accesses
// under one). Close releases everything.
//
// A Cache must be made by [New] (or be [Default]). A nil *Cache or a zero
// Cache is a programming error: the functions and methods that return an
// error return one wrapping [ErrInvalid] that names the parameter; the
// others (GetClient, DeleteClient, DeleteConfig, Len, ConfigLen, Keys,
// ConfigKeys, Stats) panic with such an error; String describes it.
type Cache struct {
	configs *concurrent.Cache[keys.Config, *configEntry]
	clients *concurrent.Cache[ClientKey, *clientEntry]
	derived *concurrent.Cache[derivedKey, *derivedEntry]
	logger  *slog.Logger

	loadOptions     map[string][]func(*config.LoadOptions) error // New's copy, read-only
	shared          bool                                         // Default's cache, which Close refuses
	builds          sync.WaitGroup                               // constructors and Derived builds (buildBounded) still running
	fetches         fetchLife                                    // the credential fetches in flight, which Close ends and waits for
	loadTimeout     time.Duration                                // Options.LoadTimeout, which bounds those fetches too
	credentialCalls atomic.Uint64
	clientBuilds    atomic.Uint64
	poolsReleased   atomic.Int64
}

// New returns an empty cache, or an error naming the first invalid option,
// in the order Options declares its fields.
func New(o Options) (*Cache, error) {
	for _, f := range []struct {
		name string
		v    int
	}{{"Options.MaxConfigs", o.MaxConfigs}, {"Options.MaxClients", o.MaxClients}, {"Options.MaxDerived", o.MaxDerived}} {
		if f.v < 0 {
			return nil, invalid(f.name, "%d: must be 0 (default %d) or positive", f.v, DefaultMaxEntries)
		}
		if o.Policy == LFU && f.v > concurrent.MaxLFUSize {
			return nil, invalid(f.name, "%d: must be at most %d (concurrent.MaxLFUSize) with Policy LFU", f.v, concurrent.MaxLFUSize)
		}
	}
	if o.Policy != LRU && o.Policy != LFU {
		return nil, invalid("Options.Policy", "%v: must be LRU or LFU", o.Policy)
	}
	if o.IdleTimeout < 0 {
		return nil, invalid("Options.IdleTimeout", "%v: must be 0 (never) or positive", o.IdleTimeout)
	}
	if o.LoadTimeout < 0 {
		return nil, invalid("Options.LoadTimeout", "%v: must be 0 (none) or positive", o.LoadTimeout)
	}
	if o.Logger != nil {
		// A Logger without a handler (the zero slog.Logger), or with a nil
		// pointer for one, panics at every use: each load would fail with
		// a nil-pointer panic naming no option.
		if r := loggerPanics(o.Logger); r != nil {
			return nil, invalid("Options.Logger", "its handler panicked (%v): a slog.Logger without a handler (the zero slog.Logger) or with a nil one? Make one with slog.New, or leave Logger nil for no logging", r)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(o.LoadOptions)) {
		if name == "" {
			return nil, invalid("Options.LoadOptions", "the empty name cannot be referred to by a key")
		}
		if _, err := keys.NewConfig(keys.ConfigInput{Name: name}); err != nil {
			return nil, invalid(fmt.Sprintf("Options.LoadOptions[%q]", name), "a name no key can refer to (%v)", err)
		}
		for i, f := range o.LoadOptions[name] {
			if f == nil {
				return nil, invalid(fmt.Sprintf("Options.LoadOptions[%q][%d]", name, i), "nil function")
			}
		}
	}
	c := &Cache{logger: o.Logger, loadTimeout: o.LoadTimeout}
	// A copy, map and slices: the caller may go on writing its own.
	if len(o.LoadOptions) > 0 {
		c.loadOptions = make(map[string][]func(*config.LoadOptions) error, len(o.LoadOptions))
		for name, fns := range o.LoadOptions {
			c.loadOptions[name] = slices.Clone(fns)
		}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 1}))
	}
	var err error
	if c.configs, err = concurrent.New(engineOptions(o, o.MaxConfigs, func(k keys.Config, e *configEntry, cause concurrent.Cause) {
		// Released whatever the Logger does: its handler is the caller's
		// code, and may panic (the engine recovers OnEvict's panics).
		defer e.release()
		c.logger.Debug("clientcache: config removed", "key", k, "cause", cause.String())
	})); err != nil {
		return nil, err
	}
	if c.clients, err = concurrent.New(engineOptions(o, o.MaxClients, func(k ClientKey, e *clientEntry, cause concurrent.Cause) {
		defer e.tr.release()
		c.logger.Debug("clientcache: client removed", "key", k, "cause", cause.String())
	})); err != nil {
		_ = c.configs.Close()
		return nil, err
	}
	if c.derived, err = concurrent.New(engineOptions(o, o.MaxDerived, func(k derivedKey, e *derivedEntry, cause concurrent.Cause) {
		defer e.tr.release()
		c.logger.Debug("clientcache: derived object removed", "key", k.client, "name", k.name, "cause", cause.String())
	})); err != nil {
		_ = c.configs.Close()
		_ = c.clients.Close()
		return nil, err
	}
	c.fetches.life, c.fetches.end = context.WithCancel(context.Background())
	return c, nil
}

// loggerPanics asks l's handler whether it logs at level Debug, and returns
// what that panicked with, if it did.
func loggerPanics(l *slog.Logger) (r any) {
	normal := false
	defer func() {
		if !normal {
			if r = recover(); r == nil { // panic(nil) under GODEBUG=panicnil=1
				r = new(runtime.PanicNilError)
			}
		}
	}()
	l.Handler().Enabled(context.Background(), slog.LevelDebug)
	normal = true
	return nil
}

func engineOptions[K comparable, V any](o Options, max int, onEvict func(K, V, concurrent.Cause)) concurrent.Options[K, V] {
	if max == 0 {
		max = DefaultMaxEntries
	}
	return concurrent.Options[K, V]{
		MaxSize:           max,
		Policy:            o.Policy,
		OnEvict:           onEvict,
		ExpireAfterAccess: o.IdleTimeout,
		Clock:             o.clock,
		LoadTimeout:       o.LoadTimeout,
		// Stats reports hits and misses. Counting them costs a contended
		// hit about a nanosecond: nothing beside the client or config it
		// returns.
		RecordStats: true,
	}
}

// Config returns the aws.Config of the identity key, loading it on a miss:
// once, however many goroutines miss it together. The config's credentials
// are an aws.CredentialsCache shared by every client of the identity
// (aws.AnonymousCredentials, which need no cache, for anonymous ones), and its
// HTTP client uses a connection pool the cache owns, closed when the identity,
// every client and derived object built on it, and every cached identity
// whose role is assumed from it (its refreshes use this pool) have been
// evicted (unless the identity's Options.LoadOptions bring an HTTP client of
// the caller's).
//
// That pool is a plain *http.Client, which the SDK's constructors share
// instead of copying, with what the SDK would give each client: the CA
// bundle, the connect and TLS negotiation timeouts of the defaults mode, and
// redirects limited to 307 and 308, except that credential headers never
// follow a redirect to another scheme or host. The SDK's opt-in per-service
// read timeouts (AWS_ENABLE_DEFAULT_SOCKET_TIMEOUT_2026), which it sets only
// on a BuildableClient's copies, do not apply to it.
//
// Assume-role and web identity credentials are fetched during the load, so
// a failing credential source fails Config (nothing is cached; the next call
// tries again).
//
// A load's error is handed out redacted: its text has the identity's
// secrets, a credential process's output and the values of fields named
// like secrets replaced by ***. errors.Is and errors.As still find the SDK's
// error in it (errors.As none whose text holds a secret); errors.Unwrap does
// not. See the package documentation, under Identity.
//
// ctx bounds the wait, not the load: a caller whose ctx ends returns its
// error while the load goes on for the others (see Options.LoadTimeout).
// A caller whose ctx has ended before it calls starts no load: it gets the
// cached config, or ctx's error.
// The returned aws.Config is a copy, its slices (APIOptions, ConfigSources,
// ...) included; changing it does not change the cache or another caller's.
// What its fields point to is the identity's, shared by every copy and
// client of it: the credentials, the HTTP client (setting its Timeout
// changes it for all of them), the resolvers, and the values inside
// ConfigSources.
func (c *Cache) Config(ctx context.Context, key keys.Config) (aws.Config, error) {
	if err := c.unusable("(*Cache).Config"); err != nil {
		return aws.Config{}, err
	}
	if ctx == nil {
		return aws.Config{}, invalid("Config(ctx)", nilContext)
	}
	if err := c.checkLoadOptionsName("Config(key)", key); err != nil {
		return aws.Config{}, err
	}
	e, err := c.configEntry(ctx, key)
	if err != nil {
		return aws.Config{}, engineError("Config", err, "")
	}
	return copyConfig(e.cfg), nil
}

// copyConfig returns a copy of cfg that shares no slice with it (the
// Interceptors' included) nor its BaseEndpoint string, so that neither
// writing an element of the copy, appending to it (into a spare slot of the
// same array) nor writing through its BaseEndpoint changes cfg or another
// copy. Its other reference fields (credentials, HTTP client, resolvers) are
// shared: they are the identity's.
func copyConfig(cfg aws.Config) aws.Config {
	cfg.ConfigSources = slices.Clone(cfg.ConfigSources)
	cfg.APIOptions = slices.Clone(cfg.APIOptions)
	cfg.AuthSchemePreference = slices.Clone(cfg.AuthSchemePreference)
	cfg.ServiceOptions = slices.Clone(cfg.ServiceOptions)
	cfg.Interceptors = cfg.Interceptors.Copy()
	if cfg.BaseEndpoint != nil {
		cfg.BaseEndpoint = aws.String(*cfg.BaseEndpoint)
	}
	return cfg
}

// configEntry returns the cached config entry for key, loading it on a miss.
// The loader closure is made only on a miss (LoadMissed), so a hit
// allocates nothing for it.
func (c *Cache) configEntry(ctx context.Context, key keys.Config) (*configEntry, error) {
	if e, ok := c.configs.Get(key); ok {
		c.usedSources(e)
		return e, nil
	}
	return c.configs.LoadMissed(ctx, key, func(ctx context.Context) (*configEntry, error) {
		// On a goroutine of the cache's, as a client's constructor runs:
		// the named load options, which LoadDefaultConfig runs, are the
		// caller's code and are given no context, and one that hangs must
		// not hold the load past its end (Options.LoadTimeout, Close). A
		// load given up on runs to its end on its own; the entry it makes
		// then is released (Close waits for it).
		// issued records what the identity's providers, and those of
		// the source identities its role is assumed from, hand out: an
		// AssumeRole call is signed with its source's STS credentials.
		issued := &issuedSecrets{}
		e, panicked, err := buildBounded(ctx, c, nil, func() (*configEntry, error) { return c.loadConfig(ctx, key, issued) },
			func(e *configEntry) { e.release() })
		if panicked != nil {
			return nil, redactPanic(panicked, key.Credentials(), issued.secrets()...) // as the engine makes of a loader's panic, redacted
		}
		// The SDK's errors can quote secrets (see redactLoadError).
		return e, redactLoadError(err, key.Credentials(), issued.secrets()...)
	})
}

// usedSources records a use of the source identities an assumed role's
// entry e was assumed from (its chain, down to the base), so that the base
// session that tenants assumed from one base share is neither idle for
// Options.IdleTimeout while they are busy nor the next victim of the bound.
// It costs nothing for the other kinds of credentials.
func (c *Cache) usedSources(e *configEntry) {
	for e.hasSource {
		var ok bool
		if e, ok = c.configs.Touch(e.sourceKey); !ok {
			return
		}
	}
}

// DeleteConfig evicts the config of the identity key, if cached, and reports
// whether it was. Clients and derived objects already built from it, and the
// cached identities whose role is assumed from it, stay cached (and keep its
// connection pool open) until they are evicted too. A load of key in flight
// is not stored: its callers get the config it loaded, and the cache keeps
// none.
func (c *Cache) DeleteConfig(key keys.Config) bool {
	c.mustBeUsable("(*Cache).DeleteConfig")
	return c.configs.Delete(key)
}

// ConfigLen returns the number of cached configs.
func (c *Cache) ConfigLen() int {
	c.mustBeUsable("(*Cache).ConfigLen")
	return c.configs.Len()
}

// ConfigKeys returns the identities of the cached configs in eviction order,
// the next victim first: each range over the result walks a snapshot taken
// as it starts. With LFU, a new entry may evict another first: the loser of its admission contest (see concurrent.Cache.All).
func (c *Cache) ConfigKeys() iter.Seq[keys.Config] {
	c.mustBeUsable("(*Cache).ConfigKeys")
	return c.configs.Keys()
}

// Stats is a snapshot of a cache's counters.
type Stats struct {
	// Configs, Clients and Derived are the engine statistics of each cache
	// (hits, misses, loads, load errors and time, evictions by cause).
	Configs, Clients, Derived concurrent.Stats
	// CredentialCalls counts credential fetches of the providers the cache
	// builds (static, assume-role, web identity): each fetch of an assumed
	// role is one, even if the SDK retried its AssumeRole call within it
	// (keys.ConfigInput.RetryMaxAttempts). Fetches inside the SDK's
	// default chain are not counted.
	CredentialCalls uint64
	// ClientBuilds counts the service clients constructed for a load that
	// received them. A constructor still running when its load ended
	// (Options.LoadTimeout, Close), one that panicked and one whose client
	// was refused (nil, or of another service) are not counted.
	ClientBuilds uint64
	// PoolsReleased counts connection pools released: their last holder
	// left the cache (evicted, deleted, or a load's result a delete or
	// Close kept from being stored), or the load that made them failed. A
	// released pool closes its connections once no request of it is in
	// flight.
	PoolsReleased int64
}

// Stats returns the cache's counters. It takes no lock.
func (c *Cache) Stats() Stats {
	c.mustBeUsable("(*Cache).Stats")
	return Stats{
		Configs:         c.configs.Stats(),
		Clients:         c.clients.Stats(),
		Derived:         c.derived.Stats(),
		CredentialCalls: c.credentialCalls.Load(),
		ClientBuilds:    c.clientBuilds.Load(),
		PoolsReleased:   c.poolsReleased.Load(),
	}
}

// Close cancels loads in flight and the credential fetches (refreshes) in
// flight, those of the providers the cache built and the calls of the SDK's
// default chain and profile credentials (the requests waiting for them fail
// with an error matching ErrClosed), evicts everything (closing every
// connection pool the cache owns) and stops the cache's goroutines.
// Afterwards the cache is empty for good: the calls that would load or store
// (Config, Client, Derived, AddClient) and PopClient return ErrClosed, and
// the others see an empty cache (GetClient reports false, Len is 0, Stats
// still counts). A client the caller kept goes on working, as one kept after
// its eviction does: its credentials' refreshes begun after Close returned
// run as they would without the cache (Options.LoadTimeout still bounds
// each fetch, and each call of the default chain's and profile
// credentials'); one begun while Close runs (by a build Close waits for,
// say) fails at once with an error matching ErrClosed, so that it cannot
// hold Close up (a refresh that returns only once Close has, which
// requests begun since may be waiting for, is run again instead). A second
// Close returns nil and does nothing. Close waits for the constructors,
// Derived builds and named load options still running, even those whose
// load it cancelled, and for the credential fetches it ended to return (an HTTP client of the caller's that ignores its
// request's context holds it up): none of them may call Close on their
// cache, which would wait for itself.
//
// The cache of [Default] refuses to close: Close returns an error matching
// ErrInvalid and the cache goes on, since every caller in the process
// shares it.
func (c *Cache) Close() error {
	if err := c.unusable("(*Cache).Close"); err != nil {
		return err
	}
	if c.shared {
		return invalid("(*Cache).Close", "the cache of Default is the whole process's and cannot be closed (a cache that must be closed is made with New)")
	}
	return c.close()
}

// close is Close, for any cache.
func (c *Cache) close() error {
	c.fetches.close()
	err := errors.Join(c.derived.Close(), c.clients.Close(), c.configs.Close())
	c.builds.Wait()  // constructors and Derived builds that ignored their load's end (they have no context)
	c.fetches.wait() // credential fetches, ended above, returning
	return err
}

// String summarises the cache without printing any key.
func (c *Cache) String() string {
	if c.unusable("") != nil {
		if c == nil {
			return "clientcache.Cache(nil)"
		}
		return "clientcache.Cache{zero: not made by New}"
	}
	return fmt.Sprintf("clientcache.Cache{configs: %d/%d, clients: %d/%d, derived: %d/%d}",
		c.configs.Len(), c.configs.MaxSize(), c.clients.Len(), c.clients.MaxSize(), c.derived.Len(), c.derived.MaxSize())
}

// typeName prints a type for logs and errors.
func typeName(t reflect.Type) string {
	if t == nil {
		return "<nil>"
	}
	return t.String()
}

// qualifiedTypeName is typeName with the package path of a named type, or
// of the named type a pointer or slice holds:
// "*github.com/aws/aws-sdk-go-v2/service/s3.Client". It is not unique: types
// declared inside two functions of a package share it, and so do unnamed
// types (arrays, maps, funcs, structs) of types of packages of one name,
// which reflect prints with the package's name only; see uniqueTypeName.
func qualifiedTypeName(t reflect.Type) string {
	if t == nil {
		return "<nil>"
	}
	switch {
	case t.Name() != "" && t.PkgPath() != "":
		return t.PkgPath() + "." + t.Name()
	case t.Kind() == reflect.Pointer:
		return "*" + qualifiedTypeName(t.Elem())
	case t.Kind() == reflect.Slice:
		return "[]" + qualifiedTypeName(t.Elem())
	}
	return t.String()
}

// typeNames holds the names uniqueTypeName gave, under its lock.
var typeNames struct {
	sync.Mutex
	byType map[reflect.Type]string
	taken  map[string]bool
}

// uniqueTypeName is qualifiedTypeName(t), followed by "#2", "#3", ... for
// the second, third, ... type of that name the process names: a name no
// other type has, the same for t every time within one process (as a key's
// fingerprint is), so that ClientKey.MarshalText is injective.
func uniqueTypeName(t reflect.Type) string {
	if t == nil {
		return "<nil>"
	}
	typeNames.Lock()
	defer typeNames.Unlock()
	if n, ok := typeNames.byType[t]; ok {
		return n
	}
	if typeNames.byType == nil {
		typeNames.byType, typeNames.taken = map[reflect.Type]string{}, map[string]bool{}
	}
	base := qualifiedTypeName(t)
	name := base
	for i := 2; typeNames.taken[name]; i++ {
		name = base + "#" + strconv.Itoa(i)
	}
	typeNames.taken[name] = true
	typeNames.byType[t] = name
	return name
}

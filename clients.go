package clientcache

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"path"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/keys"
)

// ClientKey is the identity of a cached client: its Go type (so that a key
// for S3 can never return a DynamoDB client) and the keys.Client identity.
// It prints redacted, like keys.Client.
type ClientKey struct {
	Type reflect.Type
	Key  keys.Client
}

// String returns the client type and the key's redacted label.
func (k ClientKey) String() string { return typeName(k.Type) + " " + k.Key.String() }

// GoString returns the client type and the key's GoString (redacted, with
// its fingerprint), for %#v.
func (k ClientKey) GoString() string {
	return "clientcache.ClientKey{Type: " + typeName(k.Type) + ", Key: " + k.Key.GoString() + "}"
}

// Format implements [fmt.Formatter], as keys.Client does, so that no verb
// walks the key's fields by reflection (which printed the reflect.Type's
// internals under %d or %t): %v, %+v, %s, %q, %x and %X format String, %#v
// prints GoString, and any other verb prints String inside fmt's usual
// %!verb(clientcache.ClientKey=...) complaint.
func (k ClientKey) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = io.WriteString(f, k.GoString())
			return
		}
		fmt.Fprintf(f, fmt.FormatString(f, 's'), k.String())
	case 's', 'q', 'x', 'X':
		fmt.Fprintf(f, fmt.FormatString(f, verb), k.String())
	default:
		fmt.Fprintf(f, "%%!%c(clientcache.ClientKey=%s)", verb, k.String())
	}
}

// MarshalText returns the client type, with its package path, and the
// key's MarshalText (its label with the fingerprint). encoding/json names a
// map's keys with it: two different keys must not share a name, while
// String is equal for keys that differ only in credentials it prints as ***,
// or in client types of two packages of one name. Two types that the
// package path and name do not tell apart (types declared inside two
// functions of one package, unnamed types of types of packages of one name)
// are told apart by a suffix ("#2") given to the second the process
// marshals: like the fingerprint, the text is stable within one process.
func (k ClientKey) MarshalText() ([]byte, error) {
	text, err := k.Key.MarshalText()
	if err != nil {
		return nil, err
	}
	return append([]byte(uniqueTypeName(k.Type)+" "), text...), nil
}

// MarshalJSON returns {"type": the client type, "key": the keys.Client's
// JSON}, redacted like keys.Client's.
func (k ClientKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type string      `json:"type"`
		Key  keys.Client `json:"key"`
	}{typeName(k.Type), k.Key})
}

// LogValue implements [slog.LogValuer]: a group of the client type and the
// keys.Client's own (redacted) group.
func (k ClientKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", typeName(k.Type)), slog.Any("key", k.Key))
}

type clientEntry struct {
	client any
	tr     *transport     // nil for a client added by hand
	issued *issuedSecrets // the config entry's (nil for a client added by hand)
}

// derivedKey is the identity of a derived object: its type, the client it
// is built from, and the caller's name for how it is built.
type derivedKey struct {
	typ    reflect.Type
	client ClientKey
	name   string
}

type derivedEntry struct {
	v  any
	tr *transport
}

// Client returns the client of type C for the identity key, building it on a
// miss with newClient (an SDK constructor such as s3.NewFromConfig) from the
// cached config of key.Config(): once, however many goroutines miss it
// together. Every client of one config identity shares its credentials cache
// and connection pool, so an S3, a DynamoDB and an SQS client of one tenant
// cost one credential call and one pool while its config stays cached (a
// client built after the bound, IdleTimeout or DeleteConfig evicted the
// config loads it again, with a credential call and a pool of its own; see
// [Cache.DeleteConfig]). A newClient that returns nil
// fails the call with ErrInvalid; nothing is cached.
//
// The key's per-client value options (region, endpoint, S3 and DynamoDB
// options) are applied to the client's options. optFns, which cannot be
// compared, are allowed only if the key names them (keys.Client's Name), and
// required if it does: the name stands for them in the identity, so every
// call for that key ([Derived]'s included) must pass the options it stands
// for, since whichever call misses first builds the client. They are applied
// after the key's value options; a nil one is an error, cached client or not.
// A hit allocates nothing, whatever options the key has; but a function
// literal passed as an optFn that captures variables is allocated by the
// caller on every call (a miss keeps it): make such options once.
// The key's service must be the SDK package of the constructor ("s3" for
// s3.NewFromConfig) and of the client it returns (or of the options its
// Options method returns, for a wrapper or an interface), as for
// [AddClient].
//
// newClient is not part of the identity: the client is cached per (C, key),
// and a miss builds it with whichever constructor its caller passed. Two
// constructors of one type that build different clients (one that appends
// its own middleware, say) must be told apart by the key: pass what differs
// as optFns, under a keys.Client Name, or use another client type C (a
// wrapper). Each build gets its own copy of the config, so a constructor may
// change it freely.
func Client[C any, O any](ctx context.Context, c *Cache, key keys.Client, newClient func(aws.Config, ...func(*O)) C, optFns ...func(*O)) (C, error) {
	var zero C
	if ctx == nil {
		return zero, invalid("Client(ctx)", nilContext)
	}
	if err := checkClient(clientCall, c, key, newClient, optFns); err != nil {
		return zero, err
	}
	e, err := clientEntryFor(ctx, c, key, newClient, optFns)
	if err != nil {
		return zero, engineError("Client", err, "")
	}
	return e.client.(C), nil
}

// usedConfig records a use of the config identity of key (and of the
// identities it was assumed from) on a hit of a client or derived object
// built from it, so that the config of a tenant busy with its clients is
// neither idle for Options.IdleTimeout nor the next victim of the bound:
// evicting it would make the tenant's next client load the identity again
// (another credential call, credentials cache and pool).
func (c *Cache) usedConfig(key keys.Client) {
	if e, ok := c.configs.Touch(key.Config()); ok {
		c.usedSources(e)
	}
}

// callNames names the function checkClient checks the arguments of and its
// parameters c and key, spelled out once: a call that passes its checks, a
// cached client's included, builds no string.
type callNames struct{ fn, c, key string }

var (
	clientCall  = callNames{"Client", "Client(c)", "Client(key)"}
	derivedCall = callNames{"Derived", "Derived(c)", "Derived(key)"}
)

// checkClient validates the arguments of call.fn (Client or Derived) that
// say how to build a client, naming its parameter in an error. It allocates
// nothing unless it fails: it runs on every call, hits included.
func checkClient[C any, O any](call callNames, c *Cache, key keys.Client, newClient func(aws.Config, ...func(*O)) C, optFns []func(*O)) error {
	fn := call.fn
	if err := c.unusable(call.c); err != nil {
		return err
	}
	if newClient == nil {
		return invalid(fn+"(newClient)", "nil constructor")
	}
	if key.Service() == "" {
		return invalid(call.key, "the zero keys.Client has no service; build keys with keys.NewClient")
	}
	if len(optFns) > 0 && key.Name() == "" {
		return invalid(fn+"(optFns)", "options that cannot be compared must be named in the key (keys.ClientInput.Name)")
	}
	if len(optFns) == 0 && key.Name() != "" {
		return invalid(fn+"(optFns)", "the key names client options %q (keys.ClientInput.Name): pass them, or the client built would not be what the name stands for", key.Name())
	}
	for i, f := range optFns {
		if f == nil {
			return invalid(fmt.Sprintf("%s(optFns[%d])", fn, i), "nil function")
		}
	}
	if err := checkService[O](call.key, key.Service()); err != nil {
		return err
	}
	ct := reflect.TypeFor[C]()
	if got, ok := clientService(ct); ok && got != key.Service() {
		return invalid(call.key, "a key for service %q used with a constructor of %s clients (%s)", key.Service(), got, typeName(ct))
	}
	if err := c.checkLoadOptionsName(call.key, key.Config()); err != nil {
		return err
	}
	return checkClientOptions[O](call.key, key)
}

// clientEntryFor returns the cached client entry for key, building it on a
// miss from arguments checkClient accepted. A hit allocates nothing: the
// loader closure, the function applying the key's value options and the
// copy of optFns the loader keeps are made on a miss only (LoadMissed), so
// that optFns does not escape (nor, with it, the array a caller's variadic
// call builds).
func clientEntryFor[C any, O any](ctx context.Context, c *Cache, key keys.Client, newClient func(aws.Config, ...func(*O)) C, optFns []func(*O)) (*clientEntry, error) {
	ck := ClientKey{Type: reflect.TypeFor[C](), Key: key}
	if e, ok := c.clients.Get(ck); ok {
		c.usedConfig(key)
		return e, nil
	}
	callerOpts := slices.Clone(optFns) // the loader's own: optFns stays the caller's
	return c.clients.LoadMissed(ctx, ck, func(ctx context.Context) (*clientEntry, error) {
		if err := c.logLoad(ctx, "clientcache: building client", "key", ck); err != nil {
			return nil, err
		}
		// Hold the identity's pool before building on it.
		ce, err := held(ctx, func() (*configEntry, error) { return c.configEntry(ctx, key.Config()) },
			func(ce *configEntry) *transport { return ce.tr })
		if err != nil {
			return nil, err
		}
		client, err := buildHolding(ce.tr, func() (C, error) {
			opts := callerOpts
			if apply := clientOptions[O](key); apply != nil {
				opts = append([]func(*O){apply}, callerOpts...)
			}
			// A copy, as Config returns: a constructor that appends to
			// cfg.APIOptions (otelaws.AppendMiddlewares(&cfg.APIOptions))
			// would otherwise write into the cached config's spare
			// capacity, which every build of the identity shares.
			// The constructor is given no context: it runs as a Derived
			// build does, bounded by the load's (Options.LoadTimeout).
			cfg := copyConfig(ce.cfg)
			client, panicked, err := buildBounded(ctx, c, ce.tr, func() (C, error) { return newClient(cfg, opts...), nil }, nil)
			if panicked != nil {
				return client, redactPanic(panicked, key.Config().Credentials(), ce.issued.secrets()...)
			}
			if err != nil {
				return client, err // the load's end (its context's error)
			}
			if isNil(client) {
				return client, invalid("newClient", "returned a nil %s for %v", typeName(ck.Type), key)
			}
			// C may be an interface: checkClient saw only its type.
			if t := reflect.TypeOf(any(client)); t != ck.Type {
				if got, ok := clientService(t); ok && got != key.Service() {
					return client, invalid("newClient", "returned a %s client (%s) for a key of service %q", got, typeName(t), key.Service())
				}
			}
			return client, nil
		})
		if err != nil {
			return nil, err
		}
		c.clientBuilds.Add(1)
		return &clientEntry{client: client, tr: ce.tr, issued: ce.issued}, nil
	})
}

// Derived returns the object of type D built by build from the client of
// type C for key (itself obtained as [Client] does), loading it on a miss
// with the same guarantees: once under concurrent misses, bounded, evicted
// with Options.IdleTimeout. name identifies how build builds (for example
// "presign" or "uploader-5MiB-parts"); it must not be empty. This is the Go
// counterpart of boto3's resources: presign clients, transfer managers,
// waiters, and other objects that wrap a client. An error of build fails
// the call, as does a nil object with no error (ErrInvalid); neither is
// cached. An error of build is handed out redacted, as a config load's is
// (see [Cache.Config]): errors.Is and errors.As find the errors it wraps
// (errors.As none whose text holds a secret), errors.Unwrap does not.
//
// optFns are the client's options, with [Client]'s rules: a key that names
// client options must be given them here too, since Derived may be the first
// to build (and cache) the client.
func Derived[D, C, O any](ctx context.Context, c *Cache, key keys.Client, newClient func(aws.Config, ...func(*O)) C, name string, build func(C) (D, error), optFns ...func(*O)) (D, error) {
	var zero D
	if ctx == nil {
		return zero, invalid("Derived(ctx)", nilContext)
	}
	if name == "" {
		return zero, invalid("Derived(name)", "must name how the object is built")
	}
	if build == nil {
		return zero, invalid("Derived(build)", "nil function")
	}
	if err := checkClient(derivedCall, c, key, newClient, optFns); err != nil {
		return zero, err
	}
	dk := derivedKey{typ: reflect.TypeFor[D](), client: ClientKey{Type: reflect.TypeFor[C](), Key: key}, name: name}
	if e, ok := c.derived.Get(dk); ok {
		c.clients.Touch(dk.client) // a use of the client it was built from
		c.usedConfig(key)
		return e.v.(D), nil
	}
	callerOpts := slices.Clone(optFns) // the loader's own, as clientEntryFor's: optFns does not escape
	e, err := c.derived.LoadMissed(ctx, dk, func(ctx context.Context) (*derivedEntry, error) {
		if err := c.logLoad(ctx, "clientcache: building derived object", "key", dk.client, "name", name, "type", typeName(dk.typ)); err != nil {
			return nil, err
		}
		// Hold the client's pool before building on the client.
		ce, err := held(ctx, func() (*clientEntry, error) { return clientEntryFor(ctx, c, key, newClient, callerOpts) },
			func(ce *clientEntry) *transport { return ce.tr })
		if err != nil {
			return nil, err
		}
		var panicked *concurrent.LoaderPanicError
		d, err := buildHolding(ce.tr, func() (D, error) {
			d, p, err := buildBounded(ctx, c, ce.tr, func() (D, error) { return build(ce.client.(C)) }, nil)
			panicked = p
			if err == nil && isNil(d) {
				err = invalid("Derived(build)", "returned a nil %s and no error", typeName(dk.typ))
			}
			return d, err
		})
		if panicked != nil {
			// What the engine makes of a loader's panic, redacted as a
			// build's error is.
			return nil, redactPanic(panicked, key.Config().Credentials(), ce.issued.secrets()...)
		}
		if err != nil {
			// A build that calls the service fails with the SDK's errors,
			// which hold the request (see redactLoadError).
			return nil, redactLoadError(fmt.Errorf("clientcache: building %s %q: %w", typeName(dk.typ), name, err), key.Config().Credentials(), ce.issued.secrets()...)
		}
		return &derivedEntry{v: d, tr: ce.tr}, nil
	})
	if err != nil {
		return zero, engineError("Derived", err, "")
	}
	return e.v.(D), nil
}

// runBuild calls build, turning its panic into a *LoaderPanicError with
// the stack at the panic; a runtime.Goexit of build goes on through it (it
// does not return). It tells the two apart by returning: recover gives nil
// for a Goexit, and for panic(nil) under GODEBUG=panicnil=1, which it stops.
func runBuild[D any](build func() (D, error)) (d D, panicked *concurrent.LoaderPanicError, err error) {
	normal := false
	defer func() {
		if !normal {
			p := recover()
			if p == nil {
				p = new(runtime.PanicNilError) // as a panic(nil) is without that setting
			}
			panicked = &concurrent.LoaderPanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	d, err = build()
	normal = true
	return d, nil, err
}

// buildBounded runs build (a client's constructor or a Derived build, which
// are given no context) on a goroutine of the cache's and returns its
// result, or ctx's error once ctx is done (Options.LoadTimeout, Close), so
// that the load, and every caller waiting for it, is bounded as
// Options.LoadTimeout says. A build given up on runs to its end on its own:
// it holds the pool t (acquired here, let go when it returns, before its
// result is handed over) and its result is dropped; Close waits for it. A
// panic of build is the load's: it is returned, as the second result and
// the error, as the *concurrent.LoaderPanicError the engine makes of a
// loader's panic, with the build's own stack (raised again on the load's
// goroutine, the stack would be that goroutine's, not the build's); a
// runtime.Goexit of build ends the load's goroutine with runtime.Goexit, as
// if build had run on it. A panic or Goexit of a build given up on is
// dropped with its result; a result it returned without error is handed to
// drop, if not nil, for whatever it holds (a config load's pool).
func buildBounded[D any](ctx context.Context, c *Cache, t *transport, build func() (D, error), drop func(D)) (D, *concurrent.LoaderPanicError, error) {
	type result struct {
		d      D
		err    error
		panic  *concurrent.LoaderPanicError
		goexit bool
	}
	var (
		mu        sync.Mutex
		abandoned bool // guarded by mu
		res       = make(chan result, 1)
	)
	t.acquire() // the build's own hold, let go when it returns: t is held by the load already
	c.builds.Add(1)
	go func() {
		defer c.builds.Done()
		r := result{goexit: true} // stays if build calls runtime.Goexit
		defer func() {
			// Let go before the result is handed over: the load holds t
			// until it has decided what becomes of it.
			t.release()
			mu.Lock()
			dropped := abandoned
			if !dropped {
				res <- r
			}
			mu.Unlock()
			if dropped && drop != nil && !r.goexit && r.panic == nil && r.err == nil {
				drop(r.d)
			}
		}()
		r.d, r.panic, r.err = runBuild(build)
		r.goexit = false
	}()
	take := func(r result) (D, *concurrent.LoaderPanicError, error) {
		if r.goexit {
			runtime.Goexit()
		}
		if r.panic != nil {
			var zero D
			return zero, r.panic, r.panic
		}
		return r.d, nil, r.err
	}
	select {
	case r := <-res:
		return take(r)
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case r := <-res:
			return take(r)
		default:
			abandoned = true
			var zero D
			return zero, nil, ctx.Err()
		}
	}
}

// checkService rejects a key whose service is not the SDK package of the
// client's options type (O lives in the service package: s3.Options).
func checkService[O any](param, service string) error {
	got, ok := sdkService(reflect.TypeFor[O]().PkgPath())
	if !ok {
		return nil // not an SDK service client: nothing to check against
	}
	if got != service {
		return invalid(param, "a key for service %q used with a %s constructor", service, got)
	}
	return nil
}

// sdkService returns the service of an SDK service package ("s3" for
// github.com/aws/aws-sdk-go-v2/service/s3), or false for any other package.
func sdkService(pkg string) (string, bool) {
	const sdk = "github.com/aws/aws-sdk-go-v2/service/"
	if !strings.HasPrefix(pkg, sdk) {
		return "", false
	}
	return path.Base(pkg), true
}

// clientServices holds clientService's answers by type: Client checks its
// type parameter on every call, hits included, and looking the Options
// method up allocates.
var clientServices sync.Map // reflect.Type -> serviceOf

type serviceOf struct {
	name string
	ok   bool
}

// clientService returns the SDK service of a client type: the package of what
// its Options method returns (an SDK client's, a wrapper's that embeds one,
// or an interface's), or else the package of the type itself; false if
// neither is an SDK service package.
func clientService(t reflect.Type) (string, bool) {
	if s, ok := clientServices.Load(t); ok {
		return s.(serviceOf).name, s.(serviceOf).ok
	}
	name, ok := typeService(t)
	clientServices.Store(t, serviceOf{name, ok})
	return name, ok
}

func typeService(t reflect.Type) (string, bool) {
	in := 1 // the receiver
	if t.Kind() == reflect.Interface {
		in = 0 // an interface's method types have none
	}
	if m, ok := t.MethodByName("Options"); ok && m.Type.NumIn() == in && m.Type.NumOut() == 1 {
		if s, ok := sdkService(m.Type.Out(0).PkgPath()); ok {
			return s, true
		}
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return sdkService(t.PkgPath())
}

// isNil reports whether v is nil (a nil interface, pointer, map, slice,
// function or channel).
func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
		return true
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}

// clientSetting is one of keys.Client's per-client value options: the
// field of the client's options it sets, found by name (the SDK's service
// Options share these names), the type of the value it sets there, whether
// a key sets it, and the value. checkClient checks, on every call, the
// field of each setting the key sets, from path and typ alone: a hit
// allocates nothing for it. Only a build calls value (which may allocate:
// a string or a pointer in an interface).
type clientSetting struct {
	path  []string
	typ   reflect.Type
	set   func(keys.Client) bool
	value func(keys.Client) any
}

// clientSettings are the settings in the order checkClient checks them and
// a build applies them.
var clientSettings = [...]clientSetting{
	{[]string{"Region"}, reflect.TypeFor[string](),
		func(k keys.Client) bool { return k.Region() != "" },
		func(k keys.Client) any { return k.Region() }},
	{[]string{"BaseEndpoint"}, reflect.TypeFor[*string](),
		func(k keys.Client) bool { return k.Endpoint() != "" },
		func(k keys.Client) any { return aws.String(k.Endpoint()) }},
	{[]string{"UsePathStyle"}, reflect.TypeFor[bool](),
		func(k keys.Client) bool { return k.S3().UsePathStyle },
		func(keys.Client) any { return true }},
	{[]string{"UseAccelerate"}, reflect.TypeFor[bool](),
		func(k keys.Client) bool { return k.S3().UseAccelerate },
		func(keys.Client) any { return true }},
	{[]string{"UseARNRegion"}, reflect.TypeFor[bool](),
		func(k keys.Client) bool { _, set := k.S3().UseARNRegion.Bool(); return set },
		func(k keys.Client) any { on, _ := k.S3().UseARNRegion.Bool(); return on }},
	{[]string{"DisableMultiRegionAccessPoints"}, reflect.TypeFor[bool](),
		func(k keys.Client) bool { _, set := k.S3().DisableMultiRegionAccessPoints.Bool(); return set },
		func(k keys.Client) any { on, _ := k.S3().DisableMultiRegionAccessPoints.Bool(); return on }},
	// s3.Options spells it DisableS3ExpressSessionAuth, a *bool (nil: the
	// environment or shared config decides).
	{[]string{"DisableS3ExpressSessionAuth"}, reflect.TypeFor[*bool](),
		func(k keys.Client) bool { _, set := k.S3().DisableS3Express.Bool(); return set },
		func(k keys.Client) any { on, _ := k.S3().DisableS3Express.Bool(); return aws.Bool(on) }},
	{[]string{"EndpointDiscovery", "EnableEndpointDiscovery"}, reflect.TypeFor[aws.EndpointDiscoveryEnableState](),
		func(k keys.Client) bool { _, set := endpointDiscovery(k); return set },
		func(k keys.Client) any { s, _ := endpointDiscovery(k); return s }},
}

// endpointDiscovery maps the key's DynamoDB endpoint discovery state to the
// SDK's by name (the numbering differs), or false if the key leaves it unset.
func endpointDiscovery(k keys.Client) (aws.EndpointDiscoveryEnableState, bool) {
	switch k.DynamoDB().EndpointDiscovery {
	case keys.EndpointDiscoveryAuto:
		return aws.EndpointDiscoveryAuto, true
	case keys.EndpointDiscoveryEnabled:
		return aws.EndpointDiscoveryEnabled, true
	case keys.EndpointDiscoveryDisabled:
		return aws.EndpointDiscoveryDisabled, true
	}
	return 0, false
}

// checkClientOptions returns an error naming the first of the key's
// per-client value options that the client's options O have no field of
// its type for, so that a mismatch is an error, not a panic later. It
// allocates nothing unless it fails.
func checkClientOptions[O any](param string, key keys.Client) error {
	t := reflect.TypeFor[O]()
	fits := settingsFitting(t)
	for i := range clientSettings {
		s := &clientSettings[i]
		if fits&(1<<i) != 0 || !s.set(key) {
			continue
		}
		if r := settingMisfit(t, s); r != "" {
			return invalid(param, "%s", r)
		}
	}
	return nil
}

// settingsFittingByType holds settingsFitting's answers by type: a hit
// checks the client's Options type on every call, and looking a field up by
// name scans the struct's fields (about half a microsecond for the S3
// client's Options, for each option the key sets).
var settingsFittingByType sync.Map // reflect.Type -> uint16

var _ [16 - len(clientSettings)]struct{} // a bit of a uint16 each

// settingsFitting returns the set of clientSettings (bit i for
// clientSettings[i]) the client options type t has a field for, of a type
// the setting's value can be assigned to.
func settingsFitting(t reflect.Type) uint16 {
	if m, ok := settingsFittingByType.Load(t); ok {
		return m.(uint16)
	}
	var m uint16
	for i := range clientSettings {
		if settingMisfit(t, &clientSettings[i]) == "" {
			m |= 1 << i
		}
	}
	settingsFittingByType.Store(t, m)
	return m
}

// settingMisfit returns why the client options type t cannot take the
// setting s, or "".
func settingMisfit(t reflect.Type, s *clientSetting) string {
	ft := t
	for _, name := range s.path {
		var f reflect.StructField
		ok := false
		if ft.Kind() == reflect.Struct {
			f, ok = ft.FieldByName(name)
		}
		if !ok {
			return "option " + strings.Join(s.path, ".") + " does not apply to " + typeName(t)
		}
		ft = f.Type
	}
	if !s.typ.AssignableTo(ft) {
		return "option " + strings.Join(s.path, ".") + " of " + typeName(t) + " has type " + ft.String()
	}
	return ""
}

// clientOptions returns the function applying the key's per-client value
// options to O, which checkClientOptions accepted, or nil if the key has
// none. A build calls it: it allocates.
func clientOptions[O any](key keys.Client) func(*O) {
	type setting struct {
		path []string
		v    any
	}
	var sets []setting
	for i := range clientSettings {
		if s := &clientSettings[i]; s.set(key) {
			sets = append(sets, setting{s.path, s.value(key)})
		}
	}
	if len(sets) == 0 {
		return nil
	}
	return func(o *O) {
		for _, s := range sets {
			f := reflect.ValueOf(o).Elem()
			for _, name := range s.path {
				f = f.FieldByName(name)
			}
			f.Set(reflect.ValueOf(s.v))
		}
	}
}

// GetClient returns the cached client of type C for key without building it
// (and records the access, as a use of the config it was built from too, as
// a hit of [Client] does), or false.
func GetClient[C any](c *Cache, key keys.Client) (C, bool) {
	c.mustBeUsable("GetClient(c)")
	var zero C
	e, ok := c.clients.Get(ClientKey{Type: reflect.TypeFor[C](), Key: key})
	if !ok {
		return zero, false
	}
	c.usedConfig(key)
	return e.client.(C), true
}

// AddClient caches a client built by the caller under key. It returns
// ErrExists, and changes nothing, if a client of type C is cached for key.
// The cache does not own such a client's connections, nor hold the pool of
// a config it built the client from (one from [Cache.Config]): once that
// config leaves the cache, its pool is released, and the added client, still
// cached, opens a new connection (a TLS handshake) for each request, as a
// client the caller kept does (see the package documentation). Prefer
// [Client], which holds its config's pool. A [Client] load of
// key in flight is then not stored: its callers get the client it built,
// and the cache keeps the one added.
//
// client must not be nil, and an SDK service client (or a type whose Options
// method returns an SDK service's options, such as a wrapper embedding one)
// must be of the key's service, and key must not name load options that
// Options.LoadOptions does not register, as for [Client]: an error otherwise.
func AddClient[C any](c *Cache, key keys.Client, client C) error {
	if err := c.unusable("AddClient(c)"); err != nil {
		return err
	}
	if key.Service() == "" {
		return invalid("AddClient(key)", "the zero keys.Client has no service")
	}
	if err := c.checkLoadOptionsName("AddClient(key)", key.Config()); err != nil {
		return err
	}
	if isNil(client) {
		return invalid("AddClient(client)", "nil %s", typeName(reflect.TypeFor[C]()))
	}
	if got, ok := clientService(reflect.TypeOf(any(client))); ok && got != key.Service() {
		return invalid("AddClient(client)", "a %s client (%s) under a key for service %q", got, typeName(reflect.TypeOf(any(client))), key.Service())
	}
	ck := ClientKey{Type: reflect.TypeFor[C](), Key: key}
	return engineError("AddClient", c.clients.Add(ck, &clientEntry{client: client}), "a "+ck.String())
}

// DeleteClient evicts the client of type C for key and reports whether it
// was cached. Derived objects built from it stay cached (and keep its
// connection pool open) until they are evicted too ([DeleteDerived] evicts
// one). A load of the client in
// flight is not stored: its callers get the client it built.
func DeleteClient[C any](c *Cache, key keys.Client) bool {
	c.mustBeUsable("DeleteClient(c)")
	return c.clients.Delete(ClientKey{Type: reflect.TypeFor[C](), Key: key})
}

// DeleteDerived evicts the object of type D that [Derived] built under name
// from the client of type C for key, and reports whether it was cached
// (false for an empty name, under which Derived builds nothing). The client
// stays cached; the object's hold on the identity's connection pool goes
// with it. A build of the object in flight is not stored: its callers get
// the object it built. With [DeleteClient], it drops what was built from a
// client, which DeleteClient alone leaves cached.
func DeleteDerived[D, C any](c *Cache, key keys.Client, name string) bool {
	c.mustBeUsable("DeleteDerived(c)")
	return c.derived.Delete(derivedKey{typ: reflect.TypeFor[D](), client: ClientKey{Type: reflect.TypeFor[C](), Key: key}, name: name})
}

// PopClient evicts the client of type C for key and returns it, or
// ErrNotFound. Derived objects built from it stay cached, as with
// [DeleteClient]. A load of the client in flight is not stored, even if
// PopClient finds nothing (ErrNotFound): its callers get the client it
// built, and the cache keeps none. The keys under which AddClient and Client
// cache nothing, the zero keys.Client and a key naming load options that
// Options.LoadOptions does not register, are an error (ErrInvalid).
func PopClient[C any](c *Cache, key keys.Client) (C, error) {
	var zero C
	if err := c.unusable("PopClient(c)"); err != nil {
		return zero, err
	}
	// No client is ever cached under these keys (AddClient, Client and
	// Derived refuse them): a key the caller never built, or whose load
	// options name is not registered, not a miss.
	if key.Service() == "" {
		return zero, invalid("PopClient(key)", "the zero keys.Client has no service")
	}
	if err := c.checkLoadOptionsName("PopClient(key)", key.Config()); err != nil {
		return zero, err
	}
	ck := ClientKey{Type: reflect.TypeFor[C](), Key: key}
	e, err := c.clients.Pop(ck)
	if err != nil {
		return zero, engineError("PopClient", err, "a "+ck.String())
	}
	return e.client.(C), nil
}

// Len returns the number of cached clients.
func (c *Cache) Len() int {
	c.mustBeUsable("(*Cache).Len")
	return c.clients.Len()
}

// Keys returns the identities of the cached clients in eviction order, the
// next victim first: each range over the result walks a snapshot taken as
// it starts. With LFU, a new entry may evict another
// first: the loser of its admission contest (see concurrent.Cache.All).
func (c *Cache) Keys() iter.Seq[ClientKey] {
	c.mustBeUsable("(*Cache).Keys")
	return c.clients.Keys()
}

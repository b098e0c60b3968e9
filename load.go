package clientcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/defaults"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/endcause"
	"github.com/clientcache/clientcache/internal/keysecret"
	"github.com/clientcache/clientcache/keys"
)

// configEntry is a loaded config identity: the aws.Config every client of the
// identity is built from, and the connection pool they share.
type configEntry struct {
	cfg aws.Config
	tr  *transport
	// source is the pool of the source identity an assumed role's
	// credentials refresh through, held by this entry when the identity has
	// no pool of its own (a caller's HTTP client); otherwise tr holds it
	// (see transport.sources). Nil for other credentials.
	source *transport
	// sourceKey is the source identity of an assumed role, if hasSource: a
	// use of this identity is a use of it too (see usedSources). The zero
	// Config is an identity like any other (the default chain, no other
	// input: the source of a role assumed from the default chain with no
	// other input), so it cannot mark "none".
	sourceKey keys.Config
	hasSource bool
	// issued are the secrets the identity's credentials provider handed
	// out, for redaction.
	issued *issuedSecrets
}

// release lets go of what the entry holds.
func (e *configEntry) release() {
	e.tr.release()
	e.source.release()
}

// secretLogModes are the SDK's log modes whose output holds secrets: the
// canonical request (LogSigning) and request headers (LogRequest) carry the
// session token, request bodies an AssumeRole call's external ID, and
// response bodies the credentials STS returns.
const secretLogModes = aws.LogSigning | aws.LogRequest | aws.LogRequestWithBody | aws.LogResponseWithBody

// refuseSecretLogMode returns a load option, to come after the named
// options of key, that fails the load if they set a ClientLogMode of
// secretLogModes. Both loads of an identity (the config's, and the one that
// resolves default chain or profile credentials, whose own clients, STS for
// a profile's role_arn, SSO, IMDS, log with that load's mode) run it: named
// options run in each and may set a mode in one only.
func refuseSecretLogMode(key keys.Config) func(*config.LoadOptions) error {
	return func(o *config.LoadOptions) error {
		if o.ClientLogMode != nil && *o.ClientLogMode&secretLogModes != 0 {
			return invalid(fmt.Sprintf("Options.LoadOptions[%q]", key.Name()),
				"sets a ClientLogMode that logs signing, request headers or bodies, or response bodies, which hold the identity's secrets (the session token header, an external ID, the credentials STS returns to the cache's own STS client)")
		}
		return nil
	}
}

// logLoad logs a load's start at level Debug. The Logger's handler is the
// caller's code: a panic of it fails the load, as any panic of the caller's
// code a load runs does, with a *concurrent.LoaderPanicError (its stack
// included), whose value names Options.Logger (New only asks the handler
// whether it is enabled, and one may panic on some records only).
func (c *Cache) logLoad(ctx context.Context, msg string, args ...any) (err error) {
	normal := false
	defer func() {
		if !normal {
			err = &concurrent.LoaderPanicError{
				Value: fmt.Errorf("clientcache: Options.Logger panicked logging %q: %v", msg, recover()),
				Stack: debug.Stack(),
			}
		}
	}()
	c.logger.DebugContext(ctx, msg, args...)
	normal = true
	return nil
}

// loadConfig builds the aws.Config for key. It runs as a GetOrLoad loader, so
// once per identity however many callers miss it together. issued records
// what the identity's credentials provider hands out (see issuedSecrets).
func (c *Cache) loadConfig(ctx context.Context, key keys.Config, issued *issuedSecrets) (*configEntry, error) {
	if err := c.logLoad(ctx, "clientcache: loading config", "key", key); err != nil {
		return nil, err
	}
	creds := key.Credentials()
	if err := c.checkLoadOptionsName("Config(key)", key); err != nil {
		return nil, err // Config, Client and Derived checked it first: a safety net
	}
	// The cache resolves the credentials itself below, once the identity's
	// pool exists (credentialsFor): keep the SDK from building the default
	// chain here, whose credential calls would go through another pool.
	opts := c.configOptions(key, config.WithCredentialsProvider(noCredentials))
	// Named options that set a credentials provider set the default
	// chain's, or a profile's (an assumed role's source may be either: its
	// load decides): for static, anonymous or web identity credentials the
	// key's would replace it unseen, so they are refused. Named options
	// that set none (nil) are given the placeholder back, so that this load
	// still resolves no credentials.
	// The named options' credentials cache options (an ExpiryWindow), which
	// the SDK applies only to the credentials cache it builds around a
	// provider it resolves: the cache wraps the providers it builds itself
	// (credentialsFor) with them instead: taken out here, they do not run
	// on the placeholder's cache, which is thrown away.
	var cacheOpts func(*aws.CredentialsCacheOptions)
	opts = append(opts, func(o *config.LoadOptions) error {
		cacheOpts, o.CredentialsCacheOptions = o.CredentialsCacheOptions, nil
		if o.Credentials == nil {
			o.Credentials = noCredentials
		}
		k := creds.Kind()
		if o.Credentials != noCredentials && (k == keys.KindStatic || k == keys.KindAnonymous || k == keys.KindWebIdentity) {
			return invalid(fmt.Sprintf("Options.LoadOptions[%q]", key.Name()),
				"sets a credentials provider, which the key's credentials (%v) would replace: a config identity's credentials are its key's (keys.ConfigInput.Credentials)", k)
		}
		return refuseSecretLogMode(key)(o)
	})
	// LoadDefaultConfig leaves the HTTP client unset unless something (a CA
	// bundle) needs one, and every client constructor then builds its own
	// pool: give the identity one to own, unless named options brought an
	// HTTP client of the caller's. This option comes last, so it sees all
	// the others. The clients LoadDefaultConfig builds for itself from it
	// (IMDS, asked for the instance's region in DefaultsMode auto) copy it
	// into pools the cache cannot reach, so it keeps no idle connection; the
	// identity's pool, taken out of it below, does (newTransport).
	// The SDK adds a CA bundle only to a BuildableClient: a key's CABundle
	// with another client of the caller's failed with the SDK's error,
	// which named neither. It adds one (the key's, a profile's ca_bundle,
	// AWS_CA_BUNDLE) to a BuildableClient by appending it, in place, to
	// the RootCAs its transport has, which every copy of it shares: a
	// caller's BuildableClient is given to the load as a copy with RootCAs
	// of its own (callers is the caller's, theirs the copy), so that the
	// caller's pool, and the other identities using it, do not come to
	// trust this identity's CA bundle.
	var own, callers, theirs *awshttp.BuildableClient
	opts = append(opts, func(o *config.LoadOptions) error {
		if o.HTTPClient == nil {
			own = awshttp.NewBuildableClient().WithTransportOptions(noKeepAlive)
			o.HTTPClient = own
			return nil
		}
		b, ok := o.HTTPClient.(*awshttp.BuildableClient)
		if !ok && key.CABundle() != nil {
			return invalid(fmt.Sprintf("Options.LoadOptions[%q]", key.Name()),
				"sets an HTTP client (%T) that the key's CABundle cannot be added to (the SDK adds one only to an *awshttp.BuildableClient): give that client the trust itself and leave keys.ConfigInput.CABundle empty, or set a BuildableClient", o.HTTPClient)
		}
		if ok {
			// The copy keeps no idle connection, as the cache's own does:
			// the clients LoadDefaultConfig builds from it (IMDS, in
			// DefaultsMode auto) copy it into pools nobody can reach. Made
			// the identity's pool (below), it gets the caller's setting
			// back.
			callers, theirs = b, b.WithTransportOptions(ownRootCAs, noKeepAlive)
			o.HTTPClient = theirs
		}
		return nil
	})
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("clientcache: loading config %v: %w", key, err)
	}
	// The load's own pool: the cache's BuildableClient, or a copy the SDK
	// made of it, or of the caller's, to add a CA bundle. The caller never
	// sees such a copy of its client, so its connections are the cache's
	// too: made the identity's pool, they close with it.
	owned := own != nil
	keepAlive := owned // whether the identity's pool keeps idle connections: the cache's own does, a copy of the caller's as the caller's does
	if theirs != nil {
		if cfg.HTTPClient == theirs {
			cfg.HTTPClient = callers // no CA bundle added: the caller's, as given
		} else {
			owned = true
			keepAlive = !callers.GetTransport().DisableKeepAlives
		}
	}
	// A caller's HTTP client (a BuildableClient included) is used as given,
	// and its connections are the caller's. The cache's own is the
	// identity's pool.
	var (
		tr        *transport
		buildable *awshttp.BuildableClient // the identity's pool's builder, for a profile's own CA bundle
		loaded    bool                     // the entry holding tr is returned
	)
	// Until the entry holding it is returned, the pool is the load's: an
	// error or a panic (of named load options run below) lets go of it.
	defer func() {
		if !loaded {
			tr.release()
		}
	}()
	if owned {
		b, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			return nil, fmt.Errorf("clientcache: loading config %v: the SDK replaced the cache's HTTP client with a %T", key, cfg.HTTPClient)
		}
		buildable = withDefaultsMode(b, cfg)
		tr = newTransport(buildable, keepAlive, &c.poolsReleased)
		cfg.HTTPClient = tr.client
	}

	var sourceKey keys.Config // set if the credentials assume a role
	if creds.Kind() == keys.KindAssumeRole {
		if sourceKey, err = sourceIdentity(key, creds); err != nil {
			return nil, err
		}
	}
	provider, source, err := c.credentialsFor(ctx, key, creds, sourceKey, cfg, buildable, own == nil, cacheOpts, issued)
	if err != nil {
		return nil, err
	}
	if provider != nil {
		cfg.Credentials = provider
	}
	e := &configEntry{cfg: cfg, tr: tr, sourceKey: sourceKey, hasSource: creds.Kind() == keys.KindAssumeRole, issued: issued}
	if source != nil {
		// The credentials refresh through the source identity's pool for
		// as long as anything uses this identity's: the identity's own pool
		// holds it, or the entry if the pool is the caller's.
		if tr != nil {
			tr.sources = append(tr.sources, source)
		} else {
			e.source = source
		}
	}
	loaded = true
	return e, nil
}

// withDefaultsMode applies the connect and TLS negotiation timeouts of cfg's
// defaults mode to b, as every SDK client constructor does to a
// BuildableClient (resolveHTTPClient in each service package). Constructors
// use the identity's pool, a plain *http.Client, as given (were it a
// BuildableClient, each would copy it into a pool of its own), so the cache
// applies the timeouts once, here. The auto mode resolves with the config's
// region, as constructors do before applying client options.
func withDefaultsMode(b *awshttp.BuildableClient, cfg aws.Config) *awshttp.BuildableClient {
	var mode aws.DefaultsMode
	mode.SetFromString(string(cfg.DefaultsMode))
	if mode == aws.DefaultsModeAuto {
		mode = defaults.ResolveDefaultsModeAuto(cfg.Region, cfg.RuntimeEnvironment)
	}
	mc, err := defaults.GetModeConfiguration(mode)
	if err != nil {
		return b // legacy (the default): the SDK sets no timeouts either
	}
	if d, ok := mc.GetConnectTimeout(); ok {
		b = b.WithDialerOptions(func(dl *net.Dialer) { dl.Timeout = d })
	}
	if d, ok := mc.GetTLSNegotiationTimeout(); ok {
		b = b.WithTransportOptions(func(tr *http.Transport) { tr.TLSHandshakeTimeout = d })
	}
	return b
}

// checkLoadOptionsName returns an error naming param if key names load
// options that Options.LoadOptions does not register.
func (c *Cache) checkLoadOptionsName(param string, key keys.Config) error {
	if name := key.Name(); name != "" {
		if _, ok := c.loadOptions[name]; !ok {
			return invalid(param, "the key names load options %q, which Options.LoadOptions does not register", name)
		}
	}
	return nil
}

// loadOptions translates the value inputs of key into LoadDefaultConfig
// options. Unset inputs add nothing, so the SDK's own resolution applies.
func loadOptions(key keys.Config) []func(*config.LoadOptions) error {
	var opts []func(*config.LoadOptions) error
	add := func(o func(*config.LoadOptions) error) { opts = append(opts, o) }
	if v := key.Region(); v != "" {
		add(config.WithRegion(v))
	}
	if v := key.Profile(); v != "" {
		add(config.WithSharedConfigProfile(v))
	}
	if v := key.SharedConfigFiles(); v != nil {
		add(config.WithSharedConfigFiles(v))
	}
	if v := key.SharedCredentialsFiles(); v != nil {
		add(config.WithSharedCredentialsFiles(v))
	}
	if v := key.Endpoint(); v != "" {
		add(config.WithBaseEndpoint(v))
	}
	if on, set := key.FIPS().Bool(); set {
		add(config.WithUseFIPSEndpoint(map[bool]aws.FIPSEndpointState{true: aws.FIPSEndpointStateEnabled, false: aws.FIPSEndpointStateDisabled}[on]))
	}
	if on, set := key.DualStack().Bool(); set {
		add(config.WithUseDualStackEndpoint(map[bool]aws.DualStackEndpointState{true: aws.DualStackEndpointStateEnabled, false: aws.DualStackEndpointStateDisabled}[on]))
	}
	if v := key.DefaultsMode(); v != "" {
		add(config.WithDefaultsMode(aws.DefaultsMode(v)))
	}
	if v := key.RetryMode(); v != "" {
		add(config.WithRetryMode(aws.RetryMode(v)))
	}
	if v := key.RetryMaxAttempts(); v != 0 {
		add(config.WithRetryMaxAttempts(v))
	}
	if v := key.AppID(); v != "" {
		add(config.WithAppID(v))
	}
	switch key.RequestChecksumCalculation() {
	case keys.ChecksumWhenSupported:
		add(config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenSupported))
	case keys.ChecksumWhenRequired:
		add(config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired))
	}
	switch key.ResponseChecksumValidation() {
	case keys.ChecksumWhenSupported:
		add(config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenSupported))
	case keys.ChecksumWhenRequired:
		add(config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	if b := key.CABundle(); b != nil {
		add(config.WithCustomCABundle(bytes.NewReader(b)))
	}
	return opts
}

// configOptions returns the LoadDefaultConfig options of key: its inputs,
// then extra, then the named options of its name (which see, and may
// override, everything before them).
func (c *Cache) configOptions(key keys.Config, extra ...func(*config.LoadOptions) error) []func(*config.LoadOptions) error {
	opts := append(loadOptions(key), extra...)
	if name := key.Name(); name != "" {
		opts = append(opts, c.loadOptions[name]...)
	}
	return opts
}

// noKeepAlive makes a transport close each connection after its request:
// for the HTTP clients whose copies the SDK makes into pools the cache
// cannot reach to close (see credentialsFor).
func noKeepAlive(tr *http.Transport) { tr.DisableKeepAlives = true }

// ownRootCAs gives a transport copy TLS settings and RootCAs of its own,
// which the SDK may append a profile's CA bundle to in place.
func ownRootCAs(tr *http.Transport) {
	if tr.TLSClientConfig != nil {
		tr.TLSClientConfig = tr.TLSClientConfig.Clone()
		if tr.TLSClientConfig.RootCAs != nil {
			tr.TLSClientConfig.RootCAs = tr.TLSClientConfig.RootCAs.Clone()
		}
	}
}

// credentialsFor returns the provider for the identity's credentials. The
// default chain and a profile's credentials are the SDK's, resolved by a
// second LoadDefaultConfig whose HTTP client is the identity's (the first
// built none, so that their credential calls do not go through a pool the
// cache cannot close). Every provider the cache builds itself is wrapped in
// an aws.CredentialsCache, shared by all the clients of the identity, and
// counts its fetches. Assume-role and web
// identity credentials are fetched once here, so that a failing credential
// source fails the load (nothing is cached) instead of the first request.
// For an assumed role, whose source identity is sourceKey, it also returns
// the source identity's pool, held (see roleProvider), which the caller must
// release with the identity. buildable
// is the builder of the identity's own pool (nil if its HTTP client is the
// caller's), for a profile that brings a CA bundle of its own; callers says
// it is a copy of the caller's BuildableClient (made for the key's CA
// bundle), which the container provider is not given either. On an error or
// a panic it holds nothing. cacheOpts, if not nil, are the named load
// options' credentials cache options, for the aws.CredentialsCache it wraps a
// provider of its own in.
func (c *Cache) credentialsFor(ctx context.Context, key keys.Config, creds keys.Credentials, sourceKey keys.Config, cfg aws.Config, buildable *awshttp.BuildableClient, callers bool, cacheOpts func(*aws.CredentialsCacheOptions), issued *issuedSecrets) (p aws.CredentialsProvider, source *transport, err error) {
	var cacheOptFns []func(*aws.CredentialsCacheOptions)
	if cacheOpts != nil {
		cacheOptFns = append(cacheOptFns, cacheOpts)
	}
	handed := false // the source's pool is handed to the caller (only the last return has one)
	defer func() {
		if !handed {
			source.release()
			source = nil
		}
	}()
	switch creds.Kind() {
	case keys.KindAnonymous:
		return aws.AnonymousCredentials{}, nil, nil
	case keys.KindStatic:
		m, err := keysecret.Of(creds)
		if err != nil {
			return nil, nil, fmt.Errorf("clientcache: credentials of %v: %w", key, err)
		}
		p = credentials.NewStaticCredentialsProvider(creds.AccessKeyID(), m.SecretAccessKey(), m.SessionToken())
	case keys.KindDefault, keys.KindProfile:
		// The default chain (of the config's profile), or a profile's
		// credentials under the config's other settings, as the SDK
		// resolves them. The clients the SDK builds for their credential
		// calls (STS for a profile's role_arn or web identity, SSO, IMDS,
		// the container endpoint of ECS and EKS Pod Identity) each copy the
		// HTTP client they are given into a pool of their own, which the
		// cache cannot reach to close. So they are given a BuildableClient
		// of the identity's pool's settings whose pools keep no idle
		// connection (DisableKeepAlives): nothing stays open after eviction
		// or Close, for one handshake per credential call (a refresh,
		// rarely), and the SDK still applies its own settings to its copies
		// (IMDS's short dial timeout, DefaultsMode timeouts, a profile's own
		// ca_bundle). The SDK appends a profile's CA certificates to the
		// client's RootCAs in place, and a BuildableClient's copies share
		// that pool with the identity's: the copy gets a pool of its own
		// first, so that the identity's clients keep trusting only the key's
		// CA bundle. The container provider takes its HTTP client from its
		// own options, not the config's: it is given the same one, unless
		// named load options' EndpointCredentialOptions set another. With an
		// HTTP client of the caller's (buildable nil), that client is used as
		// given where the SDK uses it (a BuildableClient as a copy whose
		// RootCAs are its own, for a profile's CA bundle, as in loadConfig),
		// and not by the container provider,
		// which the SDK never gives it (its authorization token is not for
		// the caller's transport): that one gets a BuildableClient of the
		// cache's that keeps no idle connection.
		in := key.Input()
		what := "the default credential chain"
		if creds.Kind() == keys.KindProfile {
			in.Profile = creds.Profile()
			in.Credentials = keys.DefaultCredentials()
			what = fmt.Sprintf("profile %q", creds.Profile())
		}
		in.CABundle = nil // the identity's own HTTP client, which trusts it already, is reused
		pkey, err := keys.NewConfig(in)
		if err != nil {
			return nil, nil, fmt.Errorf("clientcache: credentials of %v: %w", key, err)
		}
		// hc is the SDK's HTTP client for this load, containerHC the
		// container provider's: the same BuildableClient unless the
		// identity's HTTP client is the caller's.
		var hc, containerHC aws.HTTPClient
		if buildable != nil {
			hc = buildable.WithTransportOptions(noKeepAlive, ownRootCAs)
			containerHC = hc
			if callers {
				// A copy of the caller's: its transport is the caller's.
				containerHC = awshttp.NewBuildableClient().WithTransportOptions(noKeepAlive)
			}
		} else {
			hc = cfg.HTTPClient
			if b, ok := hc.(*awshttp.BuildableClient); ok {
				// A copy: a profile's own CA bundle goes to RootCAs of its
				// own, as in loadConfig, and the copy, whose pool neither
				// the caller nor the cache can reach, keeps no idle
				// connection, as the cache's copies do.
				hc = b.WithTransportOptions(noKeepAlive, ownRootCAs)
			}
			containerHC = awshttp.NewBuildableClient().WithTransportOptions(noKeepAlive)
		}
		// The SDK's providers refresh through clients built from this
		// load: boundCalls, added to those clients' API options after the
		// named options' (the container provider's included: the SDK
		// gives it the config's, and it is added again below, after named
		// EndpointCredentialOptions that may replace them), bounds each of
		// their calls.
		opts := append(c.configOptions(pkey), refuseSecretLogMode(key), config.WithAPIOptions([]func(*middleware.Stack) error{c.boundCalls}))
		// DefaultsMode auto made the first load ask IMDS for the instance's
		// region: the second gets the mode that answer resolved to
		// (in-region, cross-region or standard, as each SDK client resolves
		// auto for the config's region) instead of asking again (a round
		// trip, and where IMDS does not answer, outside EC2 or past a
		// container's IMDSv2 hop limit, seconds of timeouts).
		if cfg.DefaultsMode == aws.DefaultsModeAuto {
			mode := defaults.ResolveDefaultsModeAuto(cfg.Region, cfg.RuntimeEnvironment)
			opts = append(opts, func(o *config.LoadOptions) error {
				o.DefaultsModeOptions.Mode = mode
				return nil
			})
		}
		// After the named options, so that container provider options of
		// the caller's (a retryer, a token) do not drop the cache's HTTP
		// client: they run after it instead, and still win on what they set.
		opts = append(opts, func(o *config.LoadOptions) error {
			theirs := o.EndpointCredentialOptions
			o.EndpointCredentialOptions = func(eo *endpointcreds.Options) {
				eo.HTTPClient = containerHC
				if theirs != nil {
					theirs(eo)
				}
				// Theirs may have replaced the API options the SDK copied
				// from the config, boundCalls with them: it goes back
				// (boundCalls adds itself once). The list is the config's:
				// clipped, the append cannot write into it.
				eo.APIOptions = append(slices.Clip(eo.APIOptions), c.boundCalls)
			}
			return nil
		})
		if c.loadTimeout > 0 {
			// A credential_process runs under the SDK's credentials cache's
			// context, which never ends, bounded only by its own Timeout
			// (a minute by default): Options.LoadTimeout bounds it, as it
			// bounds the cache's other fetches, unless named options set
			// a Timeout of their own (they run after, and win).
			opts = append(opts, func(o *config.LoadOptions) error {
				theirs := o.ProcessCredentialOptions
				o.ProcessCredentialOptions = func(po *processcreds.Options) {
					po.Timeout = c.loadTimeout
					if theirs != nil {
						theirs(po)
					}
				}
				return nil
			})
		}
		pcfg, err := config.LoadDefaultConfig(ctx, append(opts, config.WithHTTPClient(hc))...)
		if err != nil {
			return nil, nil, fmt.Errorf("clientcache: credentials of %v: %s: %w", key, what, err)
		}
		if pcfg.Credentials == nil {
			return nil, nil, nil
		}
		// The SDK's provider (in the SDK's aws.CredentialsCache) hands out
		// what redaction must know too (a role_arn's STS credentials, a
		// profile's static keys), so that a build's error or panic that
		// prints them is redacted: a cache of the cache's own, as the
		// config's doc promises, holds it behind a provider that records
		// what it hands out.
		return aws.NewCredentialsCache(&recordingProvider{p: pcfg.Credentials, issued: issued, life: &c.fetches}), nil, nil
	case keys.KindAssumeRole, keys.KindWebIdentity:
		if p, source, err = c.roleProvider(ctx, key, creds, sourceKey, cfg, issued); err != nil {
			return nil, source, err
		}
	default:
		return nil, nil, fmt.Errorf("clientcache: credentials of %v: unsupported kind %v", key, creds.Kind())
	}
	counting := &countingProvider{p: p, calls: &c.credentialCalls, issued: issued, life: &c.fetches, timeout: c.loadTimeout}
	p = counting
	if creds.Kind() == keys.KindAssumeRole || creds.Kind() == keys.KindWebIdentity {
		// Fetched here under the load's ctx, not through the cache's
		// Retrieve, which runs the provider under a context that neither
		// ends nor has a deadline (so that one caller's cancellation does
		// not fail the others' shared fetch): a load that times out, or that
		// Close cancels, would return while its STS call went on, on a
		// goroutine nobody stops, until the SDK's own HTTP timeouts.
		first, err := counting.Retrieve(ctx)
		if err != nil {
			return nil, source, fmt.Errorf("clientcache: credentials of %v: %w", key, err)
		}
		primed := &primedProvider{p: counting}
		primed.first.Store(&first)
		cache := aws.NewCredentialsCache(primed, cacheOptFns...)
		// Into the cache now, so that its Invalidate forgets them, as it
		// forgets any it holds. primed hands out first, whatever its
		// expiry, without a call (an expired first, as a host whose clock
		// runs ahead sees them, is refreshed by the cache at its first
		// use), so nothing here can outlive the load; and not under ctx,
		// which could end between the fetch that succeeded and this.
		if _, err := cache.Retrieve(context.Background()); err != nil {
			return nil, source, fmt.Errorf("clientcache: credentials of %v: %w", key, err)
		}
		handed = true
		return cache, source, nil
	}
	handed = true
	return aws.NewCredentialsCache(p, cacheOptFns...), source, nil
}

// roleProvider builds an assume-role or web-identity provider. The source
// identity of an assumed role, sourceKey, is itself a config identity of
// this cache (see sourceIdentity), so a role chain resolves through
// the cache and tenants assumed from one base role share its session. The
// role's credentials refresh through the source identity's credentials,
// whose own refreshes (an assumed source role) use the source identity's
// pool: roleProvider holds that pool and returns it (nil for web identity),
// so that evicting the source identity does not release a pool the role
// still uses. On an error or a panic (of the named load options the STS
// client is built with) it holds nothing.
func (c *Cache) roleProvider(ctx context.Context, key keys.Config, creds keys.Credentials, sourceKey keys.Config, cfg aws.Config, issued *issuedSecrets) (_ aws.CredentialsProvider, source *transport, err error) {
	handed := false // the source's pool is handed to the caller
	defer func() {
		if !handed {
			source.release()
			source = nil
		}
	}()
	stsCfg := cfg
	if creds.Kind() == keys.KindAssumeRole {
		src, err := held(ctx, func() (*configEntry, error) { return c.configEntry(ctx, sourceKey) },
			func(e *configEntry) *transport { return e.tr })
		if err != nil {
			return nil, nil, err
		}
		source = src.tr // nil if the pool is the caller's
		stsCfg.Credentials = src.cfg.Credentials
		// The role's STS calls are signed with what the source's provider
		// hands out: redaction of this identity's errors knows it too.
		issued.assumedFrom(src.issued)
	}
	if b, ok := stsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		// A BuildableClient of the caller's (the cache's own pool is a
		// plain *http.Client): the STS client would copy it into a pool
		// that neither the caller nor the cache can reach, whose
		// connection would stay open after eviction and Close. Its copy
		// keeps no idle connection, as those of a profile's credential
		// calls do (credentialsFor): a handshake per refresh.
		stsCfg.HTTPClient = b.WithTransportOptions(noKeepAlive)
	}
	stsClient := sts.NewFromConfig(stsCfg, func(o *sts.Options) {
		if r := creds.STSRegion(); r != "" {
			o.Region = r
		}
		if e := creds.STSEndpoint(); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	if creds.Kind() == keys.KindWebIdentity {
		handed = true // none: a web identity has no source identity
		return stscreds.NewWebIdentityRoleProvider(stsClient, creds.RoleARN(), recordingTokenFile{file: stscreds.IdentityTokenFile(creds.TokenFile()), issued: issued},
			func(o *stscreds.WebIdentityRoleOptions) {
				o.RoleSessionName = creds.SessionName()
				if d := creds.Duration(); d != 0 {
					o.Duration = d
				}
			}), source, nil
	}
	m, err := keysecret.Of(creds)
	if err != nil {
		return nil, source, fmt.Errorf("clientcache: credentials of %v: %w", key, err)
	}
	handed = true
	return stscreds.NewAssumeRoleProvider(stsClient, creds.RoleARN(), func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = creds.SessionName()
		o.Duration = creds.Duration()
		if id := m.ExternalID(); id != "" {
			o.ExternalID = aws.String(id)
		}
		if p := creds.Policy(); p != "" {
			o.Policy = aws.String(p)
		}
		if s := creds.SourceIdentity(); s != "" {
			o.SourceIdentity = aws.String(s)
		}
	}), source, nil
}

// sourceIdentity returns the source identity of the assumed role creds of
// key: the same load inputs with the source credentials. Labels are the
// caller's dimensions of this identity and change nothing about loading, so
// they are dropped: tenants assumed from one base share it.
func sourceIdentity(key keys.Config, creds keys.Credentials) (keys.Config, error) {
	in := key.Input()
	in.Credentials = creds.Source()
	in.Labels = nil
	srcKey, err := keys.NewConfig(in)
	if err != nil {
		return keys.Config{}, fmt.Errorf("clientcache: source identity of %v: %w", key, err)
	}
	return srcKey, nil
}

// placeholderCredentials are the credentials a config loads with before
// the cache resolves the identity's (see loadConfig): empty, as
// AnonymousCredentials retrieves them, of a type of the cache's own, so
// that named load options cannot set them and go unseen. cfg.Credentials
// is replaced before any client is built.
type placeholderCredentials struct{ aws.AnonymousCredentials }

// noCredentials is the placeholder provider.
var noCredentials aws.CredentialsProvider = placeholderCredentials{}

// primedProvider hands out credentials fetched beforehand (by the load) on
// its first Retrieve, whatever their expiry, and fetches from p afterwards:
// the aws.CredentialsCache in front of it starts with the load's
// credentials without a second call.
type primedProvider struct {
	p     aws.CredentialsProvider
	first atomic.Pointer[aws.Credentials] // nil once handed out
}

func (p *primedProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if first := p.first.Swap(nil); first != nil {
		return *first, nil
	}
	return p.p.Retrieve(ctx)
}

// countingProvider counts the fetches of the provider it wraps (inside an
// aws.CredentialsCache, so a fetch is a real credential call), and bounds
// each: the cache's Close ends it if it is in flight (see fetchLife), and
// Options.LoadTimeout does. The
// credentials cache calls it under a context that never ends (see
// Options.LoadTimeout), which it runs the fetch under with those bounds
// added.
type countingProvider struct {
	p       aws.CredentialsProvider
	calls   *atomic.Uint64
	issued  *issuedSecrets // records what it hands out
	life    *fetchLife     // the cache's: Close ends the fetch
	timeout time.Duration  // Options.LoadTimeout; 0: none
}

// errFetchTimeout is the cause of a fetch's end at Options.LoadTimeout,
// errFetchClosed that of one Close ended; each matches the context's error
// too (see endcause), and errFetchClosed ErrClosed.
var (
	errFetchTimeout = endcause.Timeout("clientcache: a credential fetch took longer than Options.LoadTimeout")
	errFetchClosed  = endcause.Cancel(ErrClosed.Error(), ErrClosed)
	// errFetchClosing is errFetchClosed for a fetch begun while Close ran.
	errFetchClosing = endcause.Cancel(ErrClosed.Error(), ErrClosed)
)

func (p *countingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := p.fetch(ctx)
	if p.life.rerun(err) {
		// The aws.CredentialsCache in front hands this fetch's error to
		// every request that waited for it, those begun after Close
		// returned included, whose refreshes run as they would without
		// the cache. So this one does now.
		creds, err = p.fetch(ctx)
	}
	return creds, err
}

// fetch is one fetch of p's provider, with its bounds.
func (p *countingProvider) fetch(ctx context.Context) (aws.Credentials, error) {
	p.calls.Add(1)
	ctx, end := p.life.bound(ctx, p.timeout)
	defer end()
	creds, err := p.p.Retrieve(ctx)
	if err == nil {
		p.issued.record(creds)
	}
	return creds, withCause(ctx, err)
}

// boundCalls is an API option that bounds each call of the clients the
// SDK builds for the default chain's and a profile's credential calls (STS,
// SSO, IMDS, the container endpoint), whose refreshes run, as every
// aws.CredentialsCache runs them, under a context that never ends: as
// countingProvider bounds the fetches of the cache's own providers, Close
// ends a call in flight, and so does Options.LoadTimeout.
//
// It adds itself once to a stack: the container provider's options list it
// twice (see credentialsFor).
func (c *Cache) boundCalls(stack *middleware.Stack) error {
	if _, ok := stack.Initialize.Get(boundCallsID); ok {
		return nil
	}
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(boundCallsID,
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			ctx, end := c.fetches.bound(ctx, c.loadTimeout)
			defer end()
			out, md, err := next.HandleInitialize(ctx, in)
			return out, md, withCause(ctx, err)
		}), middleware.Before)
}

// boundCallsID is boundCalls' middleware's ID.
const boundCallsID = "clientcache.CredentialCallBounds"

// fetchLife is the life of a cache's credential fetches: those in flight
// at Close end with it (cause errFetchClosed, which matches ErrClosed), and
// Close waits for them to return, as it waits for the loads and builds it
// cancels. A fetch begun
// while Close runs (a build Close waits for may start one) fails at once
// with ErrClosed: unbounded, it would hold Close up for as long as its
// endpoint takes (a refresh that returns once Close has is run again, see
// countingProvider.Retrieve and recordingProvider.Retrieve). A fetch begun
// after Close returned, by a client the caller kept (which goes on
// working, see the package documentation), runs as it would without the
// cache.
type fetchLife struct {
	life     context.Context // done at Close
	end      context.CancelFunc
	mu       sync.RWMutex // guards state, so that no fetch is added once Close waits
	state    fetchState
	inFlight sync.WaitGroup // fetches begun before Close
}

// fetchState is where a fetchLife is: open, closing (Close runs) or closed
// (Close returned).
type fetchState uint8

const (
	fetchesOpen fetchState = iota
	fetchesClosing
	fetchesClosed
)

// begin returns ctx for a fetch, ended at Close if the cache is open now,
// ended already if Close runs, and the function to call when the fetch
// returns.
func (l *fetchLife) begin(ctx context.Context) (_ context.Context, end func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	l.mu.RLock()
	switch l.state {
	case fetchesClosing:
		l.mu.RUnlock()
		cancel(errFetchClosing)
		return ctx, func() { cancel(nil) }
	case fetchesClosed:
		l.mu.RUnlock()
		return ctx, func() { cancel(nil) }
	}
	l.inFlight.Add(1)
	l.mu.RUnlock()
	stop := context.AfterFunc(l.life, func() { cancel(errFetchClosed) })
	return ctx, func() {
		stop()
		cancel(nil)
		l.inFlight.Done()
	}
}

// bound is begin for a fetch bounded by timeout too (Options.LoadTimeout;
// 0: none), whose end is then errFetchTimeout.
func (l *fetchLife) bound(ctx context.Context, timeout time.Duration) (_ context.Context, end func()) {
	ctx, endLife := l.begin(ctx)
	if timeout <= 0 {
		return ctx, endLife
	}
	ctx, cancelTimeout := context.WithTimeoutCause(ctx, timeout, errFetchTimeout)
	return ctx, func() {
		cancelTimeout()
		endLife()
	}
}

// close ends the fetches in flight, and those begun until wait returns.
func (l *fetchLife) close() {
	l.mu.Lock()
	if l.state == fetchesOpen {
		l.state = fetchesClosing
	}
	l.mu.Unlock()
	l.end()
}

// wait waits for the fetches close ended to return; no fetch begun
// afterwards is ended.
func (l *fetchLife) wait() {
	l.inFlight.Wait()
	l.mu.Lock()
	l.state = fetchesClosed
	l.mu.Unlock()
}

// rerun reports whether a fetch that failed with err is to be run again:
// it began while Close ran and so failed at once (its error is wrapped in
// errFetchClosing: see withCause), and Close has returned since. A fetch
// that succeeded all the same (its provider did not look at its context)
// has nothing to be run again for.
func (l *fetchLife) rerun(err error) bool {
	if err == nil || !errors.Is(err, errFetchClosing) {
		return false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.state == fetchesClosed
}

// withCause returns err wrapped in the cause of ctx's end if that is the
// cache's (Close, Options.LoadTimeout), which the SDK's error does not
// name (it reports context.Canceled or DeadlineExceeded): so that
// errors.Is(err, ErrClosed) holds, and the text names the option.
func withCause(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause == errFetchClosed || cause == errFetchClosing || cause == errFetchTimeout {
		if !errors.Is(err, cause) {
			return fmt.Errorf("%w: %w", cause, err)
		}
	}
	return err
}

// recordingTokenFile reads a web identity's token from its file, as the
// SDK's stscreds.IdentityTokenFile does, and records it in issued: the
// token is a secret the key does not hold (only the file's path), which
// errors of the AssumeRoleWithWebIdentity call may print.
type recordingTokenFile struct {
	file   stscreds.IdentityTokenFile
	issued *issuedSecrets
}

func (r recordingTokenFile) GetIdentityToken() ([]byte, error) {
	b, err := r.file.GetIdentityToken()
	if err == nil {
		r.issued.recordSecrets(strings.TrimSpace(string(b)))
	}
	return b, err
}

// recordingProvider records in issued what p, the SDK's provider of the
// default chain or a profile (an aws.CredentialsCache), hands out, for
// redaction, as countingProvider does for the providers the cache builds.
// It stands between p and a cache of the cache's (the config's
// credentials), which calls it only when its own credentials are expired,
// as p's then are, or were invalidated: p is then invalidated too, so that
// the caller's Invalidate still fetches anew. Its type checks
// (aws.IsCredentialsProvider) and sources are p's.
type recordingProvider struct {
	p      aws.CredentialsProvider
	issued *issuedSecrets
	life   *fetchLife      // the cache's: a call begun while Close ran fails
	last   aws.Credentials // handed out last; guarded by the cache's single fetch
}

func (r *recordingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := r.p.Retrieve(ctx)
	if r.life.rerun(err) {
		// A call of p's refresh (bounded by boundCalls) failed that way:
		// run it again, as countingProvider.Retrieve does. p keeps no
		// failed refresh.
		creds, err = r.p.Retrieve(ctx)
	}
	if err == nil && creds == r.last && !creds.Expired() {
		// p still holds what the cache was invalidated of.
		if inv, ok := r.p.(interface{ Invalidate() }); ok {
			inv.Invalidate()
			creds, err = r.p.Retrieve(ctx)
		}
	}
	if err != nil {
		return creds, err
	}
	r.last = creds
	r.issued.record(creds)
	return creds, nil
}

// IsCredentialsProvider reports whether p is target's type (aws.IsCredentialsProvider).
func (r *recordingProvider) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(r.p, target)
}

// ProviderSources returns p's sources, if it has them.
func (r *recordingProvider) ProviderSources() []aws.CredentialSource {
	if s, ok := r.p.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

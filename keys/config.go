package keys

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unique"
)

// Config is the identity of a loaded aws.Config: the inputs the AWS layer
// passes to config.LoadDefaultConfig, never an aws.Config value (whose
// ConfigSources and function fields cannot be compared). Build it with
// [NewConfig]; the zero Config is the identity of LoadDefaultConfig with no
// options at all.
//
// Config is a small comparable value, safe as a map key and for concurrent
// use: two values are == exactly when they were built from the same inputs
// after the normalisation documented on [ConfigInput]. Every input can be read
// back, so the AWS layer can load the config from the key alone.
type Config struct {
	h unique.Handle[configValue] // the zero handle is the zero configValue
}

type configValue struct {
	region           string
	profile          string
	configFiles      string // encodeList form: "" for nil
	credentialsFiles string // encodeList form: "" for nil
	endpoint         string // normalised
	fips             Tristate
	dualStack        Tristate
	defaultsMode     DefaultsMode
	retryMode        RetryMode
	retryMaxAttempts int
	appID            string
	requestChecksum  ChecksumMode
	responseChecksum ChecksumMode
	caBundle         unique.Handle[string] // zero without a bundle
	caBundleSHA256   digest                // derived from caBundle, kept to spare rehashing
	name             string
	labels           string // sorted pairs, see encodeLabels
	credentials      Credentials
}

func (k Config) val() configValue {
	if k.h == (unique.Handle[configValue]{}) {
		return configValue{}
	}
	return k.h.Value()
}

// Label is one caller-defined dimension of a [Config] identity, such as
// {"tenant", "acme"}.
type Label struct {
	Key, Value string
}

// ConfigInput is the input of [NewConfig]. Every field is optional; its zero
// value leaves the setting to the SDK (environment variables, shared config
// files, SDK default), which is why an explicit default is a different
// identity from an unset field unless the field says otherwise.
type ConfigInput struct {
	// Region, such as "us-east-1". Without Endpoint it must have the shape
	// of an AWS region: two to four lowercase letters, one to three
	// lowercase words of 2-10 letters and a number of one or two digits,
	// joined by "-", at most 32 bytes, no word "fips" (a pseudo-region such
	// as fips-us-east-1): us-east-1, us-gov-west-1, eusc-de-east-1. With
	// Endpoint, any signing region of 1-63 characters of [a-z0-9-] starting
	// and ending with a letter or digit ("auto", "nyc3"). Either way, no
	// "fips-" or "-fips" anywhere (the SDK strips those and turns FIPS on,
	// which fails with a custom endpoint: set FIPS instead), and not
	// aws-global (S3 signs it as us-east-1). Regions are case-sensitive and
	// not rewritten.
	Region string
	// Profile is the shared config profile (config.WithSharedConfigProfile):
	// 1-256 bytes of text without control characters, surrounding white space,
	// "#" or ";" (no shared file could name the profile).
	Profile string
	// SharedConfigFiles and SharedCredentialsFiles are the shared files to
	// read, in order (later files win). As in the SDK, nil keeps the SDK's
	// default files while a non-nil empty slice reads none: they are
	// different identities. At most 16 paths, each 1-4096 bytes without NUL;
	// paths are not cleaned.
	SharedConfigFiles      []string
	SharedCredentialsFiles []string
	// Endpoint is the base endpoint of every client (aws.Config.BaseEndpoint):
	// an absolute http or https URL with a host (an ASCII name without "%",
	// '"', '<', '>' or "]" once decoded, a non-ASCII name written in
	// Punycode, or an IPv6 address in brackets without a zone: the SDK would
	// sign what net/http does not send, or net/http could not dial it) and no
	// user information, query or fragment. Normalised: scheme
	// and host lowercased, the scheme's default port dropped, a path of "/"
	// alone dropped (any other path is kept as given: "https://h/p/" is not
	// "https://h/p" to the SDK). At most 2048 bytes, as given and once
	// normalised (escaping can lengthen the path).
	Endpoint string
	// FIPS and DualStack select FIPS and dual-stack endpoints. Neither may
	// be Enabled with a custom endpoint (Endpoint, or an STSEndpoint of
	// Credentials or of any role it is assumed from): the SDK's endpoint
	// rules, of every service, fail each request that asks for both ("FIPS
	// and custom endpoint are not supported"). Disabled is allowed.
	FIPS      Tristate
	DualStack Tristate
	// DefaultsMode is the SDK defaults mode.
	DefaultsMode DefaultsMode
	// RetryMode is the retry mode; RetryMaxAttempts the maximum attempts per
	// operation, 0 for the SDK's choice (not the same identity as 3, since
	// AWS_MAX_ATTEMPTS may apply). Negative is an error.
	RetryMode        RetryMode
	RetryMaxAttempts int
	// AppID is the application ID in the user agent: 1-50 characters of
	// [A-Za-z0-9!#$%&'*+.^_`|~-].
	AppID string
	// RequestChecksumCalculation and ResponseChecksumValidation are the
	// checksum settings.
	RequestChecksumCalculation ChecksumMode
	ResponseChecksumValidation ChecksumMode
	// CABundle is a PEM bundle of CA certificates for the HTTP client
	// (config.WithCustomCABundle). The identity keeps its SHA-256; the bytes
	// ride along for the AWS layer. An empty bundle (nil or not) means none.
	// It must hold at least one PEM block, every block well formed (its END
	// line, a base64 body) and a CERTIFICATE block, without headers, holding
	// an X.509 certificate (the SDK would skip any other), no private key,
	// and at most 8 MiB. Text between the blocks (comments) is allowed if
	// it does not mention "-----BEGIN" or "-----END": a block the SDK
	// would skip could hide there. NewConfig parses the
	// certificates the first time it sees a bundle.
	CABundle []byte
	// Name stands for whatever cannot be compared (a custom HTTP client, API
	// options, a logger): the caller names it and the name enters the
	// identity. At most 256 bytes of text without control characters.
	Name string
	// Labels are the caller's own dimensions (tenant, environment). Order
	// does not matter: labels are sorted by key. Keys are 1-63 characters of
	// [A-Za-z0-9_.:/-] and must be distinct; values are at most 256 bytes of
	// text without control characters (an empty value is a label of its own,
	// not the absence of one). At most 32 labels.
	Labels []Label
	// Credentials is the credentials source; the zero value is the SDK's
	// default chain.
	Credentials Credentials
}

const (
	maxFiles        = 16
	maxLabels       = 32
	maxCABundleSize = 8 << 20
)

// NewConfig validates in and returns its identity. A bad input is an error
// matching [ErrInvalid], of type [*FieldError], naming the field.
func NewConfig(in ConfigInput) (Config, error) {
	const f = "Config."
	var v configValue
	if in.Endpoint != "" {
		var r string
		if v.endpoint, r = normalizeEndpoint(in.Endpoint); r != "" {
			return Config{}, fieldErr(f+"Endpoint", r)
		}
	}
	if in.Region != "" {
		if r := checkRegion(in.Region, v.endpoint != ""); r != "" {
			return Config{}, fieldErr(f+"Region", r)
		}
		v.region = in.Region
	}
	if in.Profile != "" {
		if r := checkProfile(in.Profile); r != "" {
			return Config{}, fieldErr(f+"Profile", r)
		}
		v.profile = in.Profile
	}
	var err error
	if v.configFiles, err = checkFiles(f+"SharedConfigFiles", in.SharedConfigFiles); err != nil {
		return Config{}, err
	}
	if v.credentialsFiles, err = checkFiles(f+"SharedCredentialsFiles", in.SharedCredentialsFiles); err != nil {
		return Config{}, err
	}
	if !in.FIPS.valid() {
		return Config{}, fieldErr(f+"FIPS", "unknown Tristate value")
	}
	if !in.DualStack.valid() {
		return Config{}, fieldErr(f+"DualStack", "unknown Tristate value")
	}
	v.fips, v.dualStack = in.FIPS, in.DualStack
	if !in.DefaultsMode.valid() {
		return Config{}, fieldErr(f+"DefaultsMode", "unknown defaults mode")
	}
	v.defaultsMode = in.DefaultsMode
	if !in.RetryMode.valid() {
		return Config{}, fieldErr(f+"RetryMode", "unknown retry mode")
	}
	v.retryMode = in.RetryMode
	if in.RetryMaxAttempts < 0 {
		return Config{}, fieldErr(f+"RetryMaxAttempts", "negative")
	}
	v.retryMaxAttempts = in.RetryMaxAttempts
	if in.AppID != "" {
		if r := checkAppID(in.AppID); r != "" {
			return Config{}, fieldErr(f+"AppID", r)
		}
		v.appID = in.AppID
	}
	if !in.RequestChecksumCalculation.valid() {
		return Config{}, fieldErr(f+"RequestChecksumCalculation", "unknown ChecksumMode value")
	}
	if !in.ResponseChecksumValidation.valid() {
		return Config{}, fieldErr(f+"ResponseChecksumValidation", "unknown ChecksumMode value")
	}
	v.requestChecksum, v.responseChecksum = in.RequestChecksumCalculation, in.ResponseChecksumValidation
	if len(in.CABundle) > 0 {
		if len(in.CABundle) > maxCABundleSize {
			return Config{}, fieldErr(f+"CABundle", "larger than 8 MiB")
		}
		v.caBundleSHA256 = sha256.Sum256(in.CABundle)
		if !checkedBundles.has(v.caBundleSHA256) {
			if r := checkCABundle(in.CABundle); r != "" {
				return Config{}, fieldErr(f+"CABundle", r)
			}
			checkedBundles.add(v.caBundleSHA256)
		}
		v.caBundle = unique.Make(string(in.CABundle))
	}
	if r := checkText(in.Name, 256); r != "" {
		return Config{}, fieldErr(f+"Name", r)
	}
	v.name = in.Name
	if v.labels, err = encodeLabels(f+"Labels", in.Labels); err != nil {
		return Config{}, err
	}
	v.credentials = in.Credentials
	if err := checkEndpointVariants(f, v); err != nil {
		return Config{}, err
	}
	if v == (configValue{}) {
		return Config{}, nil
	}
	return Config{h: unique.Make(v)}, nil
}

// checkEndpointVariants refuses FIPS or dual-stack endpoints Enabled with a
// custom endpoint: the config's, or the STS endpoint of its credentials or
// of a role they are assumed from (the cache builds each STS client of the
// chain from this config, FIPS and dual-stack settings included). Every
// service's endpoint rules fail such a request ("Invalid Configuration: FIPS
// and custom endpoint are not supported"; S3: "A custom endpoint cannot be
// combined with FIPS"), so the key could never build a working client.
func checkEndpointVariants(f string, v configValue) error {
	if v.fips != Enabled && v.dualStack != Enabled {
		return nil
	}
	which := ""
	if v.endpoint != "" {
		which = "Endpoint"
	} else {
		for c := v.credentials; c != (Credentials{}); c = c.Source() {
			if c.STSEndpoint() != "" {
				which = "an STSEndpoint of Credentials"
				break
			}
		}
	}
	if which == "" {
		return nil
	}
	if v.fips == Enabled {
		return fieldErr(f+"FIPS", "enabled with a custom endpoint ("+which+"): the SDK's endpoint rules refuse FIPS with a custom endpoint, so every request would fail")
	}
	return fieldErr(f+"DualStack", "enabled with a custom endpoint ("+which+"): the SDK's endpoint rules refuse dual-stack with a custom endpoint, so every request would fail")
}

func checkFiles(field string, files []string) (string, error) {
	if len(files) > maxFiles {
		return "", fieldErr(field, "more than "+strconv.Itoa(maxFiles)+" files")
	}
	for i, p := range files {
		if r := checkPath(p); r != "" {
			return "", fieldErr(field+"["+strconv.Itoa(i)+"]", r)
		}
	}
	return encodeList(files), nil
}

// checkCABundle returns why b cannot be a CA bundle, or "". Every PEM block
// must be well formed and a CERTIFICATE block without headers holding an
// X.509 certificate: the SDK's pool (x509.CertPool.AppendCertsFromPEM)
// silently skips any other block, so a bundle of which no block is a
// certificate would fail only when the config loads, naming no parameter,
// and one of which some blocks are would lose the others without a word.
// Text around the blocks (the comments of a system bundle) is allowed, as
// the SDK skips it, unless it mentions a PEM marker (see below). It reads
// the bundle a few times over, in time linear in its size.
func checkCABundle(b []byte) string {
	// A combined certificate-and-key file passed by mistake: the SDK would
	// ignore the key, and the identity would hold it (see CABundle).
	if bytes.Contains(b, []byte("PRIVATE KEY-----")) {
		return "holds a private key (a CA bundle holds certificates only)"
	}
	// pem.Decode, and the SDK's pool with it, passes over a block it cannot
	// decode (no END line, a body that is not base64, a BEGIN or END line
	// it does not read as one: after a byte-order mark or a lone CR, with a
	// tab or a sixth dash) to the next. What such a block looks like has no
	// end, so the check is on what is left: in the text pem.Decode consumed
	// for each block it decoded, "-----BEGIN" and "-----END" each appear
	// once (that block's own lines), and after the last block neither
	// appears at all. Text around the blocks may be anything else: a
	// comment that mentions either marker is refused too.
	begin, endMark := []byte("-----BEGIN"), []byte("-----END")
	n, pos := 0, 0
	for ; ; n++ {
		block, rest := pem.Decode(b[pos:])
		end := len(b) - len(rest)
		if block == nil {
			end = len(b)
		}
		begun, ended := bytes.Count(b[pos:end], begin), bytes.Count(b[pos:end], endMark)
		switch {
		case block == nil && (begun > 0 || ended > 0) || block != nil && (begun != 1 || ended != 1):
			return "PEM block " + strconv.Itoa(n) + " is malformed, or the text before it mentions -----BEGIN or -----END (a comment may not): the SDK would skip any block there"
		case block == nil && n == 0:
			return "holds no PEM CERTIFICATE block"
		case block == nil:
			return ""
		case block.Type != "CERTIFICATE":
			// Not its type: the text between the dashes is the caller's,
			// and no reason quotes the input.
			return "PEM block " + strconv.Itoa(n) + " is not of type CERTIFICATE (the SDK would skip it)"
		case len(block.Headers) != 0:
			return "PEM block " + strconv.Itoa(n) + " has headers (the SDK would skip it)"
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			// Not err's text either: the parser's errors can quote the
			// certificate's content (names, URIs).
			return "PEM block " + strconv.Itoa(n) + " is not an X.509 certificate (the SDK would skip it)"
		}
		pos = end
	}
}

// checkedBundles remembers the SHA-256 of CA bundles that passed
// checkCABundle, so that a key built again for the same bundle (on every
// request, say) does not parse its certificates again: up to
// maxCheckedBundles of them, forgotten all at once when that many are
// remembered. It holds digests, not the bundles (up to 8 MiB each), which
// live only as long as keys do.
var checkedBundles bundleSet

const maxCheckedBundles = 64

type bundleSet struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]struct{}
}

func (s *bundleSet) has(sum [sha256.Size]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[sum]
	return ok
}

func (s *bundleSet) add(sum [sha256.Size]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= maxCheckedBundles {
		s.m = make(map[[sha256.Size]byte]struct{})
	}
	s.m[sum] = struct{}{}
}

// encodeLabels validates labels and returns them sorted by key, in the
// representation kept inside a key and in its encoding: the length-prefixed
// key and value of each label, in key order ("" for no labels).
func encodeLabels(field string, labels []Label) (string, error) {
	if len(labels) == 0 {
		return "", nil
	}
	if len(labels) > maxLabels {
		return "", fieldErr(field, "more than "+strconv.Itoa(maxLabels)+" labels")
	}
	seen := make(map[string]bool, len(labels))
	for i, l := range labels {
		at := field + "[" + strconv.Itoa(i) + "]"
		if r := checkLabelKey(l.Key); r != "" {
			return "", fieldErr(at+".Key", r)
		}
		if seen[l.Key] {
			return "", fieldErr(at+".Key", "repeats an earlier label key")
		}
		seen[l.Key] = true
		if r := checkText(l.Value, 256); r != "" {
			return "", fieldErr(at+".Value", r)
		}
	}
	sorted := slices.Clone(labels)
	slices.SortFunc(sorted, func(a, b Label) int { return strings.Compare(a.Key, b.Key) })
	var b []byte
	for _, l := range sorted {
		b = appendString(b, l.Key)
		b = appendString(b, l.Value)
	}
	return string(b), nil
}

// labelPairs iterates over the representation built by encodeLabels.
func labelPairs(s string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		// A local cursor: the sequence walks every label each time it is
		// called, and concurrent ranges over it share nothing.
		for p := s; p != ""; {
			k, rest, _ := readString(p)
			v, rest, _ := readString(rest)
			p = rest
			if !yield(k, v) {
				return
			}
		}
	}
}

// Region returns the region, or "" when unset.
func (k Config) Region() string { return k.val().region }

// Profile returns the shared config profile, or "" when unset.
func (k Config) Profile() string { return k.val().profile }

// SharedConfigFiles returns a new slice of the shared config files: nil when
// unset (the SDK's default files), non-nil and empty for "no file".
func (k Config) SharedConfigFiles() []string { return decodeList(k.val().configFiles) }

// SharedCredentialsFiles returns a new slice of the shared credentials files:
// nil when unset, non-nil and empty for "no file".
func (k Config) SharedCredentialsFiles() []string { return decodeList(k.val().credentialsFiles) }

// Endpoint returns the normalised base endpoint, or "" when unset.
func (k Config) Endpoint() string { return k.val().endpoint }

// FIPS returns the FIPS endpoint setting.
func (k Config) FIPS() Tristate { return k.val().fips }

// DualStack returns the dual-stack endpoint setting.
func (k Config) DualStack() Tristate { return k.val().dualStack }

// DefaultsMode returns the defaults mode, or "" when unset.
func (k Config) DefaultsMode() DefaultsMode { return k.val().defaultsMode }

// RetryMode returns the retry mode, or "" when unset.
func (k Config) RetryMode() RetryMode { return k.val().retryMode }

// RetryMaxAttempts returns the maximum attempts, or 0 when unset.
func (k Config) RetryMaxAttempts() int { return k.val().retryMaxAttempts }

// AppID returns the application ID, or "" when unset.
func (k Config) AppID() string { return k.val().appID }

// RequestChecksumCalculation returns the request checksum setting.
func (k Config) RequestChecksumCalculation() ChecksumMode { return k.val().requestChecksum }

// ResponseChecksumValidation returns the response checksum setting.
func (k Config) ResponseChecksumValidation() ChecksumMode { return k.val().responseChecksum }

// CABundle returns a new copy of the CA bundle, or nil without one. The copy
// costs the size of the bundle: call it when loading a config, not per
// request.
func (k Config) CABundle() []byte {
	v := k.val()
	if v.caBundle == (unique.Handle[string]{}) {
		return nil
	}
	return []byte(v.caBundle.Value())
}

// CABundleSHA256 returns the SHA-256 of the CA bundle and true, or false
// without one.
func (k Config) CABundleSHA256() (sum [sha256.Size]byte, ok bool) {
	v := k.val()
	return v.caBundleSHA256, v.caBundle != (unique.Handle[string]{})
}

// Name returns the caller's name for the non-comparable options, or "".
func (k Config) Name() string { return k.val().name }

// Labels returns the labels in key order. The sequence is a snapshot: keys
// are immutable.
func (k Config) Labels() iter.Seq2[string, string] { return labelPairs(k.val().labels) }

// Label returns the value of the label key and whether it is present.
func (k Config) Label(key string) (string, bool) {
	for lk, lv := range k.Labels() {
		if lk == key {
			return lv, true
		}
	}
	return "", false
}

// Credentials returns the credentials identity (the zero value for the
// default chain).
func (k Config) Credentials() Credentials { return k.val().credentials }

// Input returns the inputs of k after normalisation: NewConfig(k.Input())
// returns k. Use it to derive a key that differs in one field.
func (k Config) Input() ConfigInput {
	v := k.val()
	in := ConfigInput{
		Region:                     v.region,
		Profile:                    v.profile,
		SharedConfigFiles:          decodeList(v.configFiles),
		SharedCredentialsFiles:     decodeList(v.credentialsFiles),
		Endpoint:                   v.endpoint,
		FIPS:                       v.fips,
		DualStack:                  v.dualStack,
		DefaultsMode:               v.defaultsMode,
		RetryMode:                  v.retryMode,
		RetryMaxAttempts:           v.retryMaxAttempts,
		AppID:                      v.appID,
		RequestChecksumCalculation: v.requestChecksum,
		ResponseChecksumValidation: v.responseChecksum,
		CABundle:                   k.CABundle(),
		Name:                       v.name,
		Credentials:                v.credentials,
	}
	for lk, lv := range labelPairs(v.labels) {
		in.Labels = append(in.Labels, Label{Key: lk, Value: lv})
	}
	return in
}

// Bytes returns the canonical encoding of k (see the package documentation).
// Config fields, by tag:
//
//	1 region                      7 dual-stack (one byte)   13 response checksum (one byte)
//	2 profile                     8 defaults mode           14 CA bundle SHA-256
//	3 shared config files         9 retry mode              15 name
//	4 shared credentials files   10 retry max attempts      16 labels
//	5 endpoint                   11 app ID                  17 credentials (nested)
//	6 FIPS (one byte)            12 request checksum (one byte)
//
// A list is its uvarint count followed by its length-prefixed items (a
// non-nil empty list is the single byte 0); labels are the length-prefixed
// key and value of each label, in key order.
func (k Config) Bytes() []byte { return encodeKey(typeConfig, k.encodeFields) }

// Fingerprint returns the first 8 bytes of the SHA-256 of [Config.Bytes] in
// hex: a short name for logs, not an identity (use the key itself).
func (k Config) Fingerprint() string { return fingerprint(k.Bytes()) }

func (k Config) encodeFields(e *encoder) {
	v := k.val()
	e.str(1, v.region)
	e.str(2, v.profile)
	e.str(3, v.configFiles)
	e.str(4, v.credentialsFiles)
	e.str(5, v.endpoint)
	e.uint(6, uint64(v.fips))
	e.uint(7, uint64(v.dualStack))
	e.str(8, string(v.defaultsMode))
	e.str(9, string(v.retryMode))
	e.uint(10, uint64(v.retryMaxAttempts))
	e.str(11, v.appID)
	e.uint(12, uint64(v.requestChecksum))
	e.uint(13, uint64(v.responseChecksum))
	if v.caBundle != (unique.Handle[string]{}) {
		e.digest(14, v.caBundleSHA256)
	}
	e.str(15, v.name)
	e.str(16, v.labels)
	if v.credentials != (Credentials{}) {
		e.nested(17, func(sub *encoder) {
			sub.b = append(sub.b, typeCredentials)
			v.credentials.encodeFields(sub)
		})
	}
}

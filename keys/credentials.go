package keys

import (
	"time"
	"unique"

	"github.com/clientcache/clientcache/internal/keysecret"
)

// Credentials is the identity of a credentials source: where an aws.Config
// gets its credentials, not the credentials of the moment (which rotate).
// Build it with [StaticCredentials], [ProfileCredentials],
// [AssumeRoleCredentials], [WebIdentityCredentials] or
// [AnonymousCredentials]; the zero Credentials is the SDK's default chain
// ([DefaultCredentials]).
//
// Credentials is a small comparable value, safe as a map key and for
// concurrent use: two values are == exactly when they were built from the
// same inputs (after the normalisation documented on each input field).
// It holds no secret: secret inputs are kept as HMAC-SHA256 digests under a
// per-process key, and the material itself travels sealed (see the package
// documentation).
type Credentials struct {
	h unique.Handle[credValue] // the zero handle is the default chain
}

// credValue is the interned content of a Credentials. Only the fields of its
// kind are set.
type credValue struct {
	kind CredentialsKind

	// KindStatic
	accessKeyID string
	secret      digest // HMAC of the secret access key
	token       digest // HMAC of the session token; zero without one

	// KindProfile
	profile string

	// KindAssumeRole and KindWebIdentity
	roleARN        string
	sessionName    string
	duration       time.Duration // whole seconds; for assume-role never 0
	stsRegion      string
	stsEndpoint    string // normalised
	externalID     digest // HMAC of the external ID; zero without one (assume-role)
	policy         string // inline session policy (assume-role)
	sourceIdentity string // (assume-role)
	source         Credentials
	tokenFile      string // (web identity)

	// The secret material of this node, sealed (see package keysecret). It
	// is a function of the same inputs as the digests above, so it never
	// makes two identities differ that the digests would not.
	material keysecret.Sealed
}

func (c Credentials) val() credValue {
	if c.h == (unique.Handle[credValue]{}) {
		return credValue{}
	}
	return c.h.Value()
}

func makeCredentials(v credValue) Credentials {
	return Credentials{h: unique.Make(v)}
}

func init() {
	keysecret.Register(func(x any) (keysecret.Sealed, bool) {
		c, ok := x.(Credentials)
		if !ok {
			return keysecret.Sealed{}, false
		}
		return c.val().material, true
	})
}

// DefaultCredentials returns the identity of the SDK's default credentials
// chain: the zero [Credentials].
func DefaultCredentials() Credentials { return Credentials{} }

// AnonymousCredentials returns the identity of anonymous (unsigned) access.
func AnonymousCredentials() Credentials {
	return makeCredentials(credValue{kind: KindAnonymous})
}

// StaticInput is the input of [StaticCredentials].
type StaticInput struct {
	// AccessKeyID is required: 1-128 printable ASCII characters other than
	// space and "/".
	AccessKeyID string
	// SecretAccessKey is required: at most 1024 printable ASCII characters,
	// without white space.
	SecretAccessKey Secret
	// SessionToken is optional: at most 16384 printable ASCII characters,
	// without white space.
	SessionToken Secret
}

// StaticCredentials returns the identity of a fixed access key. The identity
// keeps the access key ID and HMAC digests of the secret access key and the
// session token; it prints the access key ID as *** too, as boto3-client-cache
// does.
func StaticCredentials(in StaticInput) (Credentials, error) {
	const f = "Credentials.Static."
	switch {
	case in.AccessKeyID == "" && !in.SecretAccessKey.IsZero():
		return Credentials{}, fieldErr(f+"AccessKeyID", "missing: a secret access key needs an access key ID")
	case !in.SessionToken.IsZero() && in.SecretAccessKey.IsZero():
		return Credentials{}, fieldErr(f+"SessionToken", "set without a secret access key")
	case in.AccessKeyID == "":
		return Credentials{}, fieldErr(f+"AccessKeyID", "required")
	case in.SecretAccessKey.IsZero():
		return Credentials{}, fieldErr(f+"SecretAccessKey", "required")
	}
	secret, token := in.SecretAccessKey.reveal(), in.SessionToken.reveal()
	if r := checkAccessKeyID(in.AccessKeyID); r != "" {
		return Credentials{}, fieldErr(f+"AccessKeyID", r)
	}
	if r := checkSecret(secret, 1024); r != "" {
		return Credentials{}, fieldErr(f+"SecretAccessKey", r)
	}
	if r := checkSecret(token, 16384); r != "" {
		return Credentials{}, fieldErr(f+"SessionToken", r)
	}
	v := credValue{
		kind:        KindStatic,
		accessKeyID: in.AccessKeyID,
		secret:      secretDigest(domainSecretKey, secret),
		material:    keysecret.Seal(keysecret.NewMaterial(secret, token, "")),
	}
	if token != "" {
		v.token = secretDigest(domainToken, token)
	}
	return makeCredentials(v), nil
}

// ProfileCredentials returns the identity of the credentials of a named
// profile in the shared config and credentials files (which files: see
// [ConfigInput]). The name must be 1-256 bytes of text without control
// characters, surrounding white space, "#" or ";".
func ProfileCredentials(profile string) (Credentials, error) {
	if r := checkProfile(profile); r != "" {
		return Credentials{}, fieldErr("Credentials.Profile", r)
	}
	return makeCredentials(credValue{kind: KindProfile, profile: profile}), nil
}

// MaxRoleChainDepth is the most role assumptions a chain of
// [AssumeRoleCredentials] may stack on its base credentials.
const MaxRoleChainDepth = 5

// The STS limits on a role session's duration. Role chaining (assuming a role
// with role-session credentials) caps it at one hour.
const (
	minDuration        = 900 * time.Second
	maxDuration        = 43200 * time.Second
	maxChainedDuration = time.Hour
	defaultDuration    = 15 * time.Minute // stscreds.DefaultDuration
)

// AssumeRoleInput is the input of [AssumeRoleCredentials].
type AssumeRoleInput struct {
	// Source is the identity whose credentials call STS AssumeRole. The zero
	// value is the default chain; it may itself be an assumed role, which
	// makes a role chain. Anonymous credentials cannot call STS.
	Source Credentials
	// RoleARN is required: arn:<partition>:iam::<account>:role/[<path>/]<name>.
	RoleARN string
	// SessionName is required: 2-64 characters of [A-Za-z0-9_+=,.@-]. The SDK
	// would otherwise invent a new one ("aws-go-sdk-<nanoseconds>") at every
	// refresh, which no key can name.
	SessionName string
	// ExternalID is optional: 2-1224 characters of [A-Za-z0-9_+=,.@:/-]. The
	// identity keeps its HMAC digest only.
	ExternalID Secret
	// Duration is the session duration, in whole seconds from 15 minutes to
	// 12 hours (at most 1 hour when Source is itself a role session). Zero
	// means the SDK's default, 15 minutes (stscreds.DefaultDuration), which
	// the SDK sends explicitly: 0 and 15m are the same identity.
	Duration time.Duration
	// Policy is an optional inline session policy (JSON, 1-2048 characters of
	// tab, newline, carriage return or U+0020 to U+00FF). It is kept as
	// given: two policies that differ only in white space are different
	// identities. Keys print its SHA-256.
	Policy string
	// SourceIdentity is optional: 2-64 characters of [A-Za-z0-9_+=,.@-].
	SourceIdentity string
	// STSRegion is the region of the STS client; empty uses the config's
	// region. Same rules as [ConfigInput.Region], relative to STSEndpoint.
	STSRegion string
	// STSEndpoint is a base endpoint for the STS client; empty uses the SDK's
	// resolution. Same rules and normalisation as [ConfigInput.Endpoint].
	STSEndpoint string
}

// AssumeRoleCredentials returns the identity of an assumed role. The source
// identity is part of it, so a role chain is one key; the chain may not be
// deeper than [MaxRoleChainDepth] nor name the same role twice (a loop).
func AssumeRoleCredentials(in AssumeRoleInput) (Credentials, error) {
	const f = "Credentials.AssumeRole."
	v := credValue{kind: KindAssumeRole, source: in.Source}
	var err error
	if v.roleARN, v.sessionName, v.stsRegion, v.stsEndpoint, err = checkRoleSession(f,
		in.RoleARN, in.SessionName, in.STSRegion, in.STSEndpoint); err != nil {
		return Credentials{}, err
	}
	if ext := in.ExternalID.reveal(); ext != "" {
		if r := checkExternalID(ext); r != "" {
			return Credentials{}, fieldErr(f+"ExternalID", r)
		}
		v.externalID = secretDigest(domainExternalID, ext)
		v.material = keysecret.Seal(keysecret.NewMaterial("", "", ext))
	}
	if in.Policy != "" {
		if r := checkPolicy(in.Policy); r != "" {
			return Credentials{}, fieldErr(f+"Policy", r)
		}
		v.policy = in.Policy
	}
	if in.SourceIdentity != "" {
		if r := checkSessionName(in.SourceIdentity); r != "" {
			return Credentials{}, fieldErr(f+"SourceIdentity", r)
		}
		v.sourceIdentity = in.SourceIdentity
	}

	src := in.Source.val()
	if src.kind == KindAnonymous {
		return Credentials{}, fieldErr(f+"Source", "anonymous credentials cannot call STS AssumeRole")
	}
	if in.Source.Depth()+1 > MaxRoleChainDepth {
		return Credentials{}, fieldErr(f+"Source", "role chain deeper than MaxRoleChainDepth")
	}
	for c := in.Source; c != (Credentials{}); c = c.Source() {
		if c.RoleARN() == v.roleARN {
			return Credentials{}, fieldErr(f+"Source", "role chain loops: the role is already assumed further down the chain")
		}
	}

	chained := src.kind == KindAssumeRole || src.kind == KindWebIdentity
	switch d := in.Duration; {
	case d == 0:
		v.duration = defaultDuration
	case d%time.Second != 0:
		return Credentials{}, fieldErr(f+"Duration", "not a whole number of seconds")
	case d < minDuration || d > maxDuration:
		return Credentials{}, fieldErr(f+"Duration", "outside 15m to 12h, the range STS accepts")
	case chained && d > maxChainedDuration:
		return Credentials{}, fieldErr(f+"Duration", "longer than 1h, the most STS accepts when chaining roles")
	default:
		v.duration = d
	}
	return makeCredentials(v), nil
}

// WebIdentityInput is the input of [WebIdentityCredentials].
type WebIdentityInput struct {
	// RoleARN is required; same rules as [AssumeRoleInput.RoleARN].
	RoleARN string
	// TokenFile is required: the path of the file holding the OIDC token,
	// 1-4096 bytes without NUL. It is not cleaned: "a/../t" and "t" differ
	// when a is a symbolic link.
	TokenFile string
	// SessionName is required; same rules as [AssumeRoleInput.SessionName].
	SessionName string
	// Duration is optional: whole seconds from 15 minutes to 12 hours. Zero
	// leaves DurationSeconds out of the request (STS then applies its own
	// default), so zero is an identity of its own.
	Duration time.Duration
	// STSRegion and STSEndpoint: as in [AssumeRoleInput].
	STSRegion   string
	STSEndpoint string
}

// WebIdentityCredentials returns the identity of STS
// AssumeRoleWithWebIdentity with a token read from a file.
func WebIdentityCredentials(in WebIdentityInput) (Credentials, error) {
	const f = "Credentials.WebIdentity."
	v := credValue{kind: KindWebIdentity}
	var err error
	if v.roleARN, v.sessionName, v.stsRegion, v.stsEndpoint, err = checkRoleSession(f,
		in.RoleARN, in.SessionName, in.STSRegion, in.STSEndpoint); err != nil {
		return Credentials{}, err
	}
	if in.TokenFile == "" {
		return Credentials{}, fieldErr(f+"TokenFile", "required")
	}
	if r := checkPath(in.TokenFile); r != "" {
		return Credentials{}, fieldErr(f+"TokenFile", r)
	}
	v.tokenFile = in.TokenFile
	switch d := in.Duration; {
	case d == 0:
	case d%time.Second != 0:
		return Credentials{}, fieldErr(f+"Duration", "not a whole number of seconds")
	case d < minDuration || d > maxDuration:
		return Credentials{}, fieldErr(f+"Duration", "outside 15m to 12h, the range STS accepts")
	default:
		v.duration = d
	}
	return makeCredentials(v), nil
}

// checkRoleSession validates the inputs that assume-role and web identity
// share, and returns them normalised.
func checkRoleSession(f, roleARN, session, stsRegion, stsEndpoint string) (string, string, string, string, error) {
	if roleARN == "" {
		return "", "", "", "", fieldErr(f+"RoleARN", "required")
	}
	if r := checkRoleARN(roleARN); r != "" {
		return "", "", "", "", fieldErr(f+"RoleARN", r)
	}
	if session == "" {
		return "", "", "", "", fieldErr(f+"SessionName", "required: without it the SDK invents a new name at every refresh")
	}
	if r := checkSessionName(session); r != "" {
		return "", "", "", "", fieldErr(f+"SessionName", r)
	}
	var endpoint string
	if stsEndpoint != "" {
		var r string
		if endpoint, r = normalizeEndpoint(stsEndpoint); r != "" {
			return "", "", "", "", fieldErr(f+"STSEndpoint", r)
		}
	}
	if stsRegion != "" {
		if r := checkRegion(stsRegion, endpoint != ""); r != "" {
			return "", "", "", "", fieldErr(f+"STSRegion", r)
		}
	}
	return roleARN, session, stsRegion, endpoint, nil
}

// Kind returns the source kind.
func (c Credentials) Kind() CredentialsKind { return c.val().kind }

// AccessKeyID returns the access key ID of static credentials, or "".
func (c Credentials) AccessKeyID() string { return c.val().accessKeyID }

// HasSessionToken reports whether static credentials include a session
// token. The token itself is not in the identity.
func (c Credentials) HasSessionToken() bool { return c.val().token != (digest{}) }

// Profile returns the profile name of profile credentials, or "".
func (c Credentials) Profile() string { return c.val().profile }

// RoleARN returns the role ARN of an assumed role or a web identity, or "".
func (c Credentials) RoleARN() string { return c.val().roleARN }

// SessionName returns the role session name of an assumed role or a web
// identity, or "".
func (c Credentials) SessionName() string { return c.val().sessionName }

// Duration returns the session duration: for an assumed role always set
// (15m when the input left it zero); for a web identity 0 when unset.
func (c Credentials) Duration() time.Duration { return c.val().duration }

// HasExternalID reports whether an assumed role passes an external ID. The ID
// itself is not in the identity.
func (c Credentials) HasExternalID() bool { return c.val().externalID != (digest{}) }

// Policy returns the inline session policy of an assumed role, or "".
func (c Credentials) Policy() string { return c.val().policy }

// SourceIdentity returns the source identity of an assumed role, or "".
func (c Credentials) SourceIdentity() string { return c.val().sourceIdentity }

// STSRegion returns the region of the STS client of an assumed role or web
// identity, or "" for the config's region.
func (c Credentials) STSRegion() string { return c.val().stsRegion }

// STSEndpoint returns the normalised base endpoint of the STS client of an
// assumed role or web identity, or "".
func (c Credentials) STSEndpoint() string { return c.val().stsEndpoint }

// TokenFile returns the token file of a web identity, or "".
func (c Credentials) TokenFile() string { return c.val().tokenFile }

// Source returns the identity whose credentials assume the role (the zero
// value, the default chain, for other kinds and for an assumed role on the
// default chain).
func (c Credentials) Source() Credentials { return c.val().source }

// Depth returns the number of role assumptions in the chain: 0 for every kind
// but assume-role, 1 plus the depth of the source for an assumed role. It is
// at most [MaxRoleChainDepth].
func (c Credentials) Depth() int {
	n := 0
	for c.Kind() == KindAssumeRole {
		n++
		c = c.Source()
	}
	return n
}

// Bytes returns the canonical encoding of c (see the package documentation).
// Credentials fields, by tag:
//
//	1 kind (one byte)          7 session name             13 STS endpoint
//	2 access key ID            8 external ID HMAC         14 source (nested)
//	3 secret access key HMAC   9 duration (uvarint s)     15 token file
//	4 session token HMAC      10 policy SHA-256
//	5 profile                 11 source identity
//	6 role ARN                12 STS region
func (c Credentials) Bytes() []byte { return encodeKey(typeCredentials, c.encodeFields) }

// Fingerprint returns the first 8 bytes of the SHA-256 of [Credentials.Bytes]
// in hex: a short name for logs, not an identity (use the key itself).
func (c Credentials) Fingerprint() string { return fingerprint(c.Bytes()) }

func (c Credentials) encodeFields(e *encoder) {
	v := c.val()
	e.uint(1, uint64(v.kind))
	e.str(2, v.accessKeyID)
	e.digest(3, v.secret)
	e.digest(4, v.token)
	e.str(5, v.profile)
	e.str(6, v.roleARN)
	e.str(7, v.sessionName)
	e.digest(8, v.externalID)
	e.uint(9, uint64(v.duration/time.Second))
	if v.policy != "" {
		e.digest(10, sha256Of(v.policy))
	}
	e.str(11, v.sourceIdentity)
	e.str(12, v.stsRegion)
	e.str(13, v.stsEndpoint)
	if v.source != (Credentials{}) {
		e.nested(14, func(sub *encoder) {
			sub.b = append(sub.b, typeCredentials)
			v.source.encodeFields(sub)
		})
	}
	e.str(15, v.tokenFile)
}

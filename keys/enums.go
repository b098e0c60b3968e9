package keys

import "strconv"

// Tristate is a setting that is either left to the SDK's own resolution
// (environment, shared config files, SDK default) or forced on or off. It
// maps onto the SDK's aws.FIPSEndpointState, aws.DualStackEndpointState and
// on the *bool and bool options that the SDK fills from the shared config
// when the caller leaves them alone.
type Tristate uint8

const (
	// Unset leaves the setting to the SDK. It is the zero value.
	Unset Tristate = iota
	// Enabled forces the setting on.
	Enabled
	// Disabled forces the setting off. It differs from Unset, since the
	// environment or a shared config file may turn an unset setting on.
	Disabled
)

// String returns "unset", "enabled" or "disabled", and "Tristate(n)" for
// any other value n.
func (t Tristate) String() string {
	switch t {
	case Unset:
		return "unset"
	case Enabled:
		return "enabled"
	case Disabled:
		return "disabled"
	}
	return "Tristate(" + strconv.Itoa(int(t)) + ")"
}

// Bool returns the forced value and true, or false, false for [Unset].
func (t Tristate) Bool() (value, ok bool) { return t == Enabled, t == Enabled || t == Disabled }

func (t Tristate) valid() bool { return t <= Disabled }

// DefaultsMode is the SDK's defaults mode (aws.DefaultsMode), with the same
// string values. The empty DefaultsMode leaves it to the SDK, which reads
// AWS_DEFAULTS_MODE and the shared config before falling back to legacy; an
// explicit [DefaultsModeLegacy] is therefore a different identity.
type DefaultsMode string

// The defaults modes the SDK knows.
const (
	DefaultsModeAuto        DefaultsMode = "auto"
	DefaultsModeCrossRegion DefaultsMode = "cross-region"
	DefaultsModeInRegion    DefaultsMode = "in-region"
	DefaultsModeLegacy      DefaultsMode = "legacy"
	DefaultsModeMobile      DefaultsMode = "mobile"
	DefaultsModeStandard    DefaultsMode = "standard"
)

func (m DefaultsMode) valid() bool {
	switch m {
	case "", DefaultsModeAuto, DefaultsModeCrossRegion, DefaultsModeInRegion,
		DefaultsModeLegacy, DefaultsModeMobile, DefaultsModeStandard:
		return true
	}
	return false
}

// RetryMode is the SDK's retry mode (aws.RetryMode), with the same string
// values. The empty RetryMode leaves it to the SDK (AWS_RETRY_MODE, the shared
// config, then standard).
type RetryMode string

// The retry modes the SDK knows.
const (
	RetryModeStandard RetryMode = "standard"
	RetryModeAdaptive RetryMode = "adaptive"
)

func (m RetryMode) valid() bool {
	return m == "" || m == RetryModeStandard || m == RetryModeAdaptive
}

// ChecksumMode is when the SDK computes request checksums
// (aws.RequestChecksumCalculation) or validates response checksums
// (aws.ResponseChecksumValidation); both SDK types take the same two values.
type ChecksumMode uint8

const (
	// ChecksumUnset leaves the setting to the SDK (environment, shared
	// config, then "when supported"). It is the zero value.
	ChecksumUnset ChecksumMode = iota
	// ChecksumWhenSupported computes or validates whenever the operation
	// supports it.
	ChecksumWhenSupported
	// ChecksumWhenRequired computes or validates only when the operation
	// requires it.
	ChecksumWhenRequired
)

// String returns "unset", "when_supported" or "when_required", and
// "ChecksumMode(n)" for any other value n.
func (m ChecksumMode) String() string {
	switch m {
	case ChecksumUnset:
		return "unset"
	case ChecksumWhenSupported:
		return "when_supported"
	case ChecksumWhenRequired:
		return "when_required"
	}
	return "ChecksumMode(" + strconv.Itoa(int(m)) + ")"
}

func (m ChecksumMode) valid() bool { return m <= ChecksumWhenRequired }

// EndpointDiscovery is the SDK's endpoint discovery setting
// (aws.EndpointDiscoveryEnableState), which has four states: unset (resolved
// from the shared config, then auto), auto, enabled and disabled.
type EndpointDiscovery uint8

// The endpoint discovery states. The numbering is not the SDK's (whose
// disabled comes before enabled), and the encoding of a key pins it: the AWS
// layer maps each state by name.
const (
	EndpointDiscoveryUnset EndpointDiscovery = iota
	EndpointDiscoveryAuto
	EndpointDiscoveryEnabled
	EndpointDiscoveryDisabled
)

// String returns "unset", "auto", "enabled" or "disabled", and
// "EndpointDiscovery(n)" for any other value n.
func (d EndpointDiscovery) String() string {
	switch d {
	case EndpointDiscoveryUnset:
		return "unset"
	case EndpointDiscoveryAuto:
		return "auto"
	case EndpointDiscoveryEnabled:
		return "enabled"
	case EndpointDiscoveryDisabled:
		return "disabled"
	}
	return "EndpointDiscovery(" + strconv.Itoa(int(d)) + ")"
}

func (d EndpointDiscovery) valid() bool { return d <= EndpointDiscoveryDisabled }

// CredentialsKind is the source a [Credentials] identity draws from.
type CredentialsKind uint8

const (
	// KindDefault is the SDK's default credentials chain. With no profile
	// in the config (ConfigInput.Profile empty): the environment's keys,
	// then web identity from the environment, then the shared files'
	// profile (AWS_PROFILE, or default: its keys, SSO, role or process),
	// then container and instance roles. With a profile in the config, the
	// SDK resolves that profile's credentials alone and skips the
	// environment's: the same credentials as KindProfile of that profile
	// (two identities that load alike). It is the zero value.
	KindDefault CredentialsKind = iota
	// KindAnonymous signs nothing (aws.AnonymousCredentials).
	KindAnonymous
	// KindStatic is a fixed access key, secret key and optional session
	// token.
	KindStatic
	// KindProfile is the credentials of a named profile in the shared files.
	KindProfile
	// KindAssumeRole is an STS AssumeRole on top of another identity.
	KindAssumeRole
	// KindWebIdentity is an STS AssumeRoleWithWebIdentity with a token read
	// from a file.
	KindWebIdentity
)

// String returns "default", "anonymous", "static", "profile", "assume-role"
// or "web-identity", and "CredentialsKind(n)" for any other value n.
func (k CredentialsKind) String() string {
	switch k {
	case KindDefault:
		return "default"
	case KindAnonymous:
		return "anonymous"
	case KindStatic:
		return "static"
	case KindProfile:
		return "profile"
	case KindAssumeRole:
		return "assume-role"
	case KindWebIdentity:
		return "web-identity"
	}
	return "CredentialsKind(" + strconv.Itoa(int(k)) + ")"
}

package keys

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validation rules. Each returns "" when s is acceptable, or the reason it is
// not; the caller pairs the reason with a field path. No reason ever quotes
// the input.

// Regions. AWS adds regions every year, so the rule is the shape, not a list:
// a 2-4 letter area ("us", "eu", "cn", "eusc"), one to three lowercase words
// ("east", "gov-west", "iso-east", "de-east") and a 1-2 digit number, such as
// us-east-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1. Pseudo-regions
// ("fips-us-east-1", "aws-global") are refused: use the FIPS setting.
//
// With a custom endpoint the region is only the signing region, and
// S3-compatible services use names such as "auto" or "nyc3": there the rule is
// 1-63 characters of [a-z0-9-], starting and ending with a letter or digit.
const (
	reasonRegion      = "not an AWS region name (want the shape of us-east-1, eu-central-2, us-gov-west-1, cn-north-1)"
	reasonRegionLoose = "not a signing region name (want 1-63 characters of [a-z0-9-], starting and ending with a letter or digit)"
)

// Pseudo-regions the SDK rewrites: a service client strips "fips-" and
// "-fips" from its region and turns FIPS on (finalizeClientEndpointResolverOptions
// in each service), which fails with a custom endpoint at the first request;
// S3 signs "aws-global" as us-east-1.
const (
	reasonRegionFIPS      = `holds "fips-" or "-fips", which the SDK strips from a region, turning FIPS on: name the region and set FIPS`
	reasonRegionAWSGlobal = "aws-global, which the SDK's S3 client signs as us-east-1: name us-east-1"
)

func checkRegion(s string, customEndpoint bool) string {
	if strings.Contains(s, "fips-") || strings.Contains(s, "-fips") {
		return reasonRegionFIPS
	}
	if s == "aws-global" {
		return reasonRegionAWSGlobal
	}
	if customEndpoint {
		if checkLooseRegion(s) {
			return ""
		}
		return reasonRegionLoose
	}
	if checkAWSRegion(s) {
		return ""
	}
	return reasonRegion
}

func checkAWSRegion(s string) bool {
	if len(s) > 32 {
		return false
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts) > 5 {
		return false
	}
	if !lowerWord(parts[0], 2, 4) {
		return false
	}
	for _, p := range parts[1 : len(parts)-1] {
		if !lowerWord(p, 2, 10) {
			return false
		}
	}
	last := parts[len(parts)-1]
	if len(last) < 1 || len(last) > 2 {
		return false
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

func lowerWord(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func checkLooseRegion(s string) bool {
	if len(s) < 1 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// IAM and STS character classes, from the IAM and STS API references.
func isWord(c byte) bool { // \w
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isNameChar is [\w+=,.@-]: role names, session names, source identities.
func isNameChar(c byte) bool {
	return isWord(c) || strings.IndexByte("+=,.@-", c) >= 0
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// Session names and source identities: 2-64 characters of [\w+=,.@-]
// (STS AssumeRole RoleSessionName and SourceIdentity).
const reasonSessionName = "want 2-64 characters of [A-Za-z0-9_+=,.@-]"

func checkSessionName(s string) string {
	if len(s) < 2 || len(s) > 64 || !allBytes(s, isNameChar) {
		return reasonSessionName
	}
	return ""
}

// External IDs: 2-1224 characters of [\w+=,.@:/-] (STS AssumeRole ExternalId).
const reasonExternalID = "want 2-1224 characters of [A-Za-z0-9_+=,.@:/-]"

func checkExternalID(s string) string {
	if len(s) < 2 || len(s) > 1224 || !allBytes(s, func(c byte) bool { return isNameChar(c) || c == ':' || c == '/' }) {
		return reasonExternalID
	}
	return ""
}

// Role ARNs: arn:<partition>:iam::<12-digit account>:role/<path><name>, where
// the partition is "aws" or "aws-" followed by lowercase words (aws-cn,
// aws-us-gov, aws-iso-b, aws-eusc), the optional path is "/"-delimited
// printable ASCII (at most 512 characters, IAM's limit) and the name is 1-64
// characters of [\w+=,.@-]. The whole ARN is at most 2048 characters.
const reasonRoleARN = "not an IAM role ARN (want arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>)"

func checkRoleARN(s string) string {
	if len(s) > 2048 {
		return reasonRoleARN
	}
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return reasonRoleARN
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || !checkPartition(partition) {
		return reasonRoleARN
	}
	rest, ok = strings.CutPrefix(rest, "iam::")
	if !ok {
		return reasonRoleARN
	}
	account, resource, ok := strings.Cut(rest, ":")
	if !ok || len(account) != 12 || !allBytes(account, func(c byte) bool { return c >= '0' && c <= '9' }) {
		return reasonRoleARN
	}
	resource, ok = strings.CutPrefix(resource, "role/")
	if !ok {
		return reasonRoleARN
	}
	name := resource
	if i := strings.LastIndexByte(resource, '/'); i >= 0 {
		// The path, with its leading "/" that the ARN leaves out.
		path := resource[:i+1]
		name = resource[i+1:]
		if len(path)+1 > 512 || path[0] == '/' || !allBytes(path, func(c byte) bool { return c >= 0x21 && c <= 0x7e }) {
			return reasonRoleARN
		}
	}
	if len(name) < 1 || len(name) > 64 || !allBytes(name, isNameChar) {
		return reasonRoleARN
	}
	return ""
}

func checkPartition(p string) bool {
	if p == "aws" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "aws-")
	if !ok {
		return false
	}
	words := strings.Split(rest, "-")
	if len(words) > 3 {
		return false
	}
	for _, w := range words {
		if !lowerWord(w, 1, 10) {
			return false
		}
	}
	return true
}

// Inline session policies: 1-2048 characters of tab, newline, carriage return
// and U+0020-U+00FF (STS AssumeRole Policy).
const reasonPolicy = "want 1-2048 characters of tab, newline, carriage return or U+0020 to U+00FF"

func checkPolicy(s string) string {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 2048 {
		return reasonPolicy
	}
	for _, r := range s {
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xff) {
			return reasonPolicy
		}
	}
	return ""
}

// Free text chosen by the caller (names, label values, profile names): valid
// UTF-8 without control characters, at most max bytes.
func checkText(s string, max int) string {
	if len(s) > max {
		return "longer than " + strconv.Itoa(max) + " bytes"
	}
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return "contains a control character"
		}
	}
	return ""
}

// Profile names: 1-256 bytes of text without surrounding white space, "#"
// or ";" (a shared config file could not name the profile: the SDK's ini
// parser ends a section line at a "#" or ";", a comment, and trims the
// name). Square brackets are allowed: the parser reads a section name as
// the text between the line's first "[" and its last "]", so
// "[profile a]b]" names the profile "a]b".
func checkProfile(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if r := checkText(s, 256); r != "" {
		return r
	}
	if strings.TrimSpace(s) != s {
		return "has leading or trailing white space"
	}
	if strings.ContainsAny(s, "#;") {
		return `contains "#" or ";", which start a comment in the shared files`
	}
	return ""
}

// File paths (shared config files, web identity token file): 1-4096 bytes,
// without NUL. Paths are not cleaned: "a/../b" and "b" differ when a is a
// symbolic link.
func checkPath(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > 4096 {
		return "longer than 4096 bytes"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "contains a NUL byte"
	}
	return ""
}

// Label keys: 1-63 characters of [A-Za-z0-9_.:/-].
const reasonLabelKey = "want 1-63 characters of [A-Za-z0-9_.:/-]"

func checkLabelKey(s string) string {
	if len(s) < 1 || len(s) > 63 || !allBytes(s, func(c byte) bool { return isWord(c) || strings.IndexByte(".:/-", c) >= 0 }) {
		return reasonLabelKey
	}
	return ""
}

// App IDs: 1-50 characters (the SDK's limit) of the user-agent token set
// [A-Za-z0-9!#$%&'*+.^_`|~-]; the SDK would rewrite other characters.
const reasonAppID = "want 1-50 characters of [A-Za-z0-9!#$%&'*+.^_`|~-]"

func checkAppID(s string) string {
	if len(s) < 1 || len(s) > 50 || !allBytes(s, func(c byte) bool { return isWord(c) || strings.IndexByte("!#$%&'*+.^`|~-", c) >= 0 }) {
		return reasonAppID
	}
	return ""
}

// Service names: the Go package name of the service client ("s3",
// "dynamodb", "sts", "sqs", "cloudwatchlogs"): 2-64 characters of [a-z0-9],
// starting with a letter.
const reasonService = "want the Go package name of the service client: 2-64 characters of [a-z0-9], starting with a letter"

func checkService(s string) string {
	if len(s) < 2 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' ||
		!allBytes(s, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }) {
		return reasonService
	}
	return ""
}

// Access key IDs: 1-128 printable ASCII characters other than space and "/"
// (a "/" would break the SigV4 credential scope). AWS's own IDs are 16-128
// characters of \w, but S3-compatible services issue shorter ones.
const reasonAccessKeyID = "want 1-128 printable ASCII characters other than space and /"

func checkAccessKeyID(s string) string {
	if len(s) < 1 || len(s) > 128 || !allBytes(s, func(c byte) bool { return c > 0x20 && c < 0x7f && c != '/' }) {
		return reasonAccessKeyID
	}
	return ""
}

// Secrets (secret access key, session token) are opaque: the rules only
// catch the usual accident of a value read from a file with its newline.
func checkSecret(s string, max int) string {
	if len(s) > max {
		return "longer than " + strconv.Itoa(max) + " bytes"
	}
	if !allBytes(s, func(c byte) bool { return c > 0x20 && c < 0x7f }) {
		return "contains white space, a control character or non-ASCII"
	}
	return ""
}

// maxEndpoint is the most bytes of an endpoint, as given and normalised.
const maxEndpoint = 2048

// Endpoints. A base endpoint must be an absolute http or https URL with a
// host (an IPv6 address in brackets, without a zone, or an ASCII name
// without "%", '"', '<', '>' or "]" once its escapes are decoded: a non-ASCII
// name must be written in Punycode; the SDK signs the host as given, while
// net/http sends a name in Punycode, an address without its zone and no Host
// header for a name with '"', '<' or '>', and cannot dial a name with "]"), and
// without user information, query or fragment. It is normalised:
//
//   - the scheme and the host are lowercased;
//   - a port written as the scheme's default ("80" for http, "443" for
//     https) is dropped; any other port is kept as given, leading zeros
//     included (the SDK sends "Host: h:0443" for "https://h:0443");
//   - a path of a single "/" is dropped, so "https://h/" and "https://h"
//     are one endpoint: the SDK joins an operation's path to either as to
//     "/". Any other path is kept as given, a trailing "/" included:
//     "https://h/p/" is another endpoint than "https://h/p", because the
//     SDK sends an operation whose path is "/" (every operation of the JSON
//     and query protocols: STS, SQS, DynamoDB, ...) to "/p/" on the first
//     and to "/p" on the second; and "https://h//" is another endpoint than
//     "https://h".
//
// Nothing else is rewritten: percent-encoding, dot segments and a trailing dot
// in the host stay as given. Normalising is idempotent: a normalised endpoint
// normalises to itself.
//
// An endpoint is at most 2048 bytes, as given and once normalised.
func normalizeEndpoint(raw string) (string, string) {
	if len(raw) > maxEndpoint {
		return "", "longer than 2048 bytes"
	}
	const notURL = "not an absolute http(s) URL with a host"
	// url.Parse errors quote the input; they are dropped, never wrapped.
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "", notURL
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", notURL
	}
	if u.User != nil {
		return "", "carries user information (credentials belong in Credentials)"
	}
	if u.RawQuery != "" || u.ForceQuery {
		return "", "has a query"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", "has a fragment"
	}
	host := u.Hostname()
	if host == "" {
		return "", notURL
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(u.Host, "[") {
		// url.Parse reads "http://::1" as host ":" and port "1": an IPv6
		// address must be written in brackets to be one.
		return "", "has an IPv6 address without brackets (write http://[::1]:port)"
	}
	if strings.Contains(host, ":") {
		// An IPv6 literal. A zone ("[fe80::1%25en0]") cannot be signed: the
		// SDK signs the host with its zone while net/http leaves the zone
		// out of the Host header it sends ("[fe80::1]"), so the service
		// computes another signature and refuses every signed request.
		if strings.Contains(host, "%") {
			return "", "has an IPv6 zone, which net/http leaves out of the Host header while the SDK signs it, so every signed request would fail"
		}
		host = "[" + asciiLower(host) + "]"
	} else {
		// url.Parse has decoded the host's escapes: "%25" gives a "%" that
		// the normalised endpoint could not hold unescaped (it would not
		// parse again), and an escaped byte may not be UTF-8.
		if !utf8.ValidString(host) {
			return "", "has a host name that is not valid UTF-8"
		}
		if strings.Contains(host, "%") {
			return "", "has a percent sign in its host name"
		}
		// url.Parse accepts '"', '<' and '>' in a host name, which the SDK
		// signs while net/http, finding the Host header invalid, sends an
		// empty one: the service computes another signature and refuses
		// every signed request. A ']' outside an IPv6 literal parses too,
		// but net/http's dialer refuses the address at every request.
		if strings.ContainsAny(host, `"<>`) {
			return "", `has '"', '<' or '>' in its host name, which net/http leaves out of the Host header while the SDK signs it, so every signed request would fail`
		}
		if strings.Contains(host, "]") {
			return "", `has a "]" outside an IPv6 address in brackets, an address net/http cannot dial`
		}
		// A non-ASCII name cannot be signed: the SDK signs the host as
		// given ("\u00e9.example") while net/http sends it in Punycode
		// ("Host: xn--9ca.example"), so the service computes another
		// signature and refuses every signed request. In Punycode, the
		// name the wire carries, it works.
		for i := 0; i < len(host); i++ {
			if host[i] >= utf8.RuneSelf {
				return "", "has a non-ASCII host name, which the SDK signs as given while net/http sends it in Punycode, so every signed request would fail: write it in Punycode (xn--...)"
			}
		}
		// Host names are case-insensitive in ASCII.
		host = asciiLower(host)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", "has a port outside 1-65535"
		}
		// Only the default port as written is dropped, as the SDK drops it
		// from the Host header it signs and sends; a port with leading
		// zeros is kept as given: the SDK sends it so ("Host: h:0443").
		if !(scheme == "http" && p == "80" || scheme == "https" && p == "443") {
			host += ":" + p
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", "has an empty port"
	}
	path := u.EscapedPath()
	if path == "/" {
		path = ""
	}
	// The limit holds for the normalised form too, which escaping can make
	// longer than the input (a space is "%20"): it must validate again.
	out := scheme + "://" + host + path
	if len(out) > maxEndpoint {
		return "", "longer than 2048 bytes once normalised"
	}
	return out, ""
}

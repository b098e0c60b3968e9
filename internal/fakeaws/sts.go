package fakeaws

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// STSRegion is the region of the STS endpoint, as of sts.amazonaws.com: an
// AssumeRole must be signed for it (and for the service sts).
const STSRegion = "us-east-1"

// STS is an STS endpoint that answers AssumeRole and
// AssumeRoleWithWebIdentity with fresh temporary credentials (a new access
// key id each call) and counts the calls.
type STS struct {
	*Server
	calls    atomic.Int64
	inFlight atomic.Int64 // calls being answered

	mu       sync.Mutex
	byRole   map[string]int64
	issued   map[string]Assumption // by issued access key id
	users    map[string]string     // secret access key by access key id (AddUser)
	sessions map[string]signingKey // by access key id (AddSession)
	behavior func(r AssumeRoleRequest) Behavior
}

// AssumeRoleRequest is what a client asked for.
type AssumeRoleRequest struct {
	// Action is "AssumeRole" or "AssumeRoleWithWebIdentity".
	Action                                           string
	RoleARN, SessionName, ExternalID, SourceIdentity string
	Policy                                           string // the inline session policy, if any
	DurationSeconds                                  int
	SignedBy                                         string // the caller's access key id; none for a web identity
	WebIdentityToken                                 string // AssumeRoleWithWebIdentity's token
}

// Assumption is a role session the endpoint issued.
type Assumption struct {
	AssumeRoleRequest
	AccessKeyID string
	// tokenDigest is the SHA-256 of the session token issued with the key
	// (the token itself is not kept, so that nothing can print it).
	tokenDigest [32]byte
	secret      string // the secret access key issued, to verify signatures
	expires     time.Time
}

// CarriesItsSessionToken reports whether r carried the session token issued
// with a's access key id (in X-Amz-Security-Token). (An S3 endpoint that
// trusts the issuer refuses a request without it: [S3.TrustIssuer].)
func (a Assumption) CarriesItsSessionToken(r Request) bool {
	return r.TokenDigest != [32]byte{} && r.TokenDigest == a.tokenDigest
}

// Format prints the request with its external ID and web identity token
// as *** (or "" when absent) under every verb: the tests print requests in
// their failure messages, which hold no secret either.
func (r AssumeRoleRequest) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte("fakeaws.AssumeRoleRequest"))
	}
	_, _ = f.Write([]byte(r.redacted()))
}

func (r AssumeRoleRequest) redacted() string {
	mask := func(s string) string {
		if s == "" {
			return `""`
		}
		return "***"
	}
	return fmt.Sprintf("{Action:%s RoleARN:%s SessionName:%s ExternalID:%s SourceIdentity:%s DurationSeconds:%d SignedBy:%s WebIdentityToken:%s}",
		r.Action, r.RoleARN, r.SessionName, mask(r.ExternalID), r.SourceIdentity, r.DurationSeconds, r.SignedBy, mask(r.WebIdentityToken))
}

// Format prints the session as AssumeRoleRequest's Format does its request
// (the method would otherwise be promoted, hiding the access key id).
func (a Assumption) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte("fakeaws.Assumption"))
	}
	_, _ = f.Write([]byte("{AssumeRoleRequest:" + a.AssumeRoleRequest.redacted() + " AccessKeyID:" + a.AccessKeyID + "}"))
}

// Behavior tells the endpoint how to answer one call.
type Behavior struct {
	Delay time.Duration // wait before answering (a slow endpoint)
	// Fail, if set, answers with this error code: "AccessDenied" (403),
	// "Throttling" (400, which the SDK treats as throttling), or any other
	// code (400).
	Fail string
	// Expired, if set, issues credentials that expired an hour ago (as a
	// host whose clock runs ahead of STS's sees them).
	Expired bool
}

// NewSTS starts an STS endpoint.
func NewSTS() *STS { return newSTS(https) }

// NewSTSHTTP2 is NewSTS offering HTTP/2, which the SDK's transport takes.
func NewSTSHTTP2() *STS { return newSTS(https2) }

func newSTS(proto protocol) *STS {
	s := &STS{byRole: map[string]int64{}, issued: map[string]Assumption{}, users: map[string]string{}, sessions: map[string]signingKey{}}
	s.Server = startServer(http.HandlerFunc(s.serve), proto)
	return s
}

// AddUser makes the endpoint verify the signature of AssumeRole calls
// signed with accessKeyID (an IAM user's, or any long-term key's): one
// computed with another secret than secretAccessKey is refused with
// SignatureDoesNotMatch, as STS does. A call signed with a key neither added
// nor issued by the endpoint is refused with InvalidClientTokenId, as STS
// refuses a key it does not know.
func (s *STS) AddUser(accessKeyID, secretAccessKey string) {
	s.mu.Lock()
	s.users[accessKeyID] = secretAccessKey
	s.mu.Unlock()
}

// AddSession makes the endpoint verify AssumeRole calls signed with
// temporary credentials issued elsewhere (or made up by a test), as
// [S3.AddSession] does: accessKeyID and secretAccessKey with sessionToken,
// which never expire. Such a call is role chaining (at most an hour).
func (s *STS) AddSession(accessKeyID, secretAccessKey, sessionToken string) {
	s.mu.Lock()
	s.sessions[accessKeyID] = signingKey{secret: secretAccessKey, temporary: true, tokenDigest: sha256.Sum256([]byte(sessionToken))}
	s.mu.Unlock()
}

// SetBehavior makes every later call answer as f decides (nil: succeed).
func (s *STS) SetBehavior(f func(AssumeRoleRequest) Behavior) {
	s.mu.Lock()
	s.behavior = f
	s.mu.Unlock()
}

// Calls returns the calls received (failed ones included).
func (s *STS) Calls() int64 { return s.calls.Load() }

// InFlight returns the calls being answered: received, and
// neither answered nor given up by their caller (whose going away ends a
// delayed call).
func (s *STS) InFlight() int64 { return s.inFlight.Load() }

// CallsFor returns the calls received for a role.
func (s *STS) CallsFor(roleARN string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byRole[roleARN]
}

// Issued returns the session an access key id was issued for.
func (s *STS) Issued(accessKeyID string) (Assumption, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.issued[accessKeyID]
	return a, ok
}

// HoldsIssuedSecret reports whether text holds a secret access key or a
// session token the endpoint issued (found by their digests: the tokens are
// not kept), for tests that check that no output leaks one. It never says
// which, nor where.
func (s *STS) HoldsIssuedSecret(text string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.issued {
		if a.secret != "" && strings.Contains(text, a.secret) {
			return true
		}
	}
	// Tokens are 64 hex digits: every such window of text is hashed.
	const tokenLen = 64
	for i := 0; i+tokenLen <= len(text); i++ {
		if !isHexRun(text[i : i+tokenLen]) {
			continue
		}
		d := sha256.Sum256([]byte(text[i : i+tokenLen]))
		for _, a := range s.issued {
			if a.tokenDigest == d {
				return true
			}
		}
	}
	return false
}

func isHexRun(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *STS) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body) // kept for the signature
	if err != nil {
		writeSTSError(w, http.StatusBadRequest, "InvalidRequest", "the body does not read")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseForm(); err != nil {
		writeSTSError(w, http.StatusBadRequest, "InvalidRequest", "the form does not parse")
		return
	}
	action := r.PostForm.Get("Action")
	if action != "AssumeRole" && action != "AssumeRoleWithWebIdentity" {
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "only AssumeRole and AssumeRoleWithWebIdentity are supported")
		return
	}
	req := AssumeRoleRequest{
		Action:         action,
		RoleARN:        r.PostForm.Get("RoleArn"),
		SessionName:    r.PostForm.Get("RoleSessionName"),
		ExternalID:     r.PostForm.Get("ExternalId"),
		SourceIdentity: r.PostForm.Get("SourceIdentity"),
		Policy:         r.PostForm.Get("Policy"),
		SignedBy:       SigningKeyID(r),
	}
	if action == "AssumeRoleWithWebIdentity" {
		req.WebIdentityToken = r.PostForm.Get("WebIdentityToken")
	}
	req.DurationSeconds, _ = strconv.Atoi(r.PostForm.Get("DurationSeconds"))
	if req.DurationSeconds == 0 {
		req.DurationSeconds = 3600
	}
	s.calls.Add(1)
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.mu.Lock()
	s.byRole[req.RoleARN]++
	behavior := s.behavior
	source, temporary := s.issued[req.SignedBy]
	secret, known := s.users[req.SignedBy]
	session, isSession := s.sessions[req.SignedBy]
	s.mu.Unlock()
	if temporary {
		secret, known = source.secret, true
	} else if isSession {
		secret, known, temporary = session.secret, true, true
		source = Assumption{tokenDigest: session.tokenDigest} // never expires
	}

	// What real STS checks of the caller: AssumeRole must be signed, for
	// the endpoint's region and for sts; a session it issued must be signed
	// with its own session token and be unexpired; the key must be known
	// (added or issued), and carry a session token only if temporary; the
	// signing time must be within 15 minutes of now; and the signature must
	// be that of the key's secret.
	if action == "AssumeRole" {
		region, service := credentialScope(r)
		switch {
		case req.SignedBy == "":
			writeSTSError(w, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
			return
		case region != STSRegion:
			writeSTSError(w, http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to a valid region. ")
			return
		case service != "sts":
			writeSTSError(w, http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'. ")
			return
		case temporary && sha256.Sum256([]byte(r.Header.Get("X-Amz-Security-Token"))) != source.tokenDigest:
			writeSTSError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		case temporary && !source.expires.IsZero() && !time.Now().Before(source.expires):
			writeSTSError(w, http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
			return
		case !known, !temporary && r.Header.Get("X-Amz-Security-Token") != "":
			// (A session token goes with a temporary key only.)
			writeSTSError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		case signedAtSkewed(r):
			writeSTSError(w, http.StatusForbidden, "SignatureDoesNotMatch", "Signature expired or not yet current: the request time is more than 15 min. away from the current time.")
			return
		case !signatureMatches(r, body, req.SignedBy, secret):
			writeSTSError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
			return
		}
	}

	// What real STS checks of the parameters: a role ARN (20 characters at
	// least), a session name of 2-64 characters of [\w+=,.@-], a web
	// identity token of 4 characters at least that is an unexpired JWT (its
	// signature, issuer and audience are not checked); and a duration of 15
	// minutes to 12 hours, at most an hour when a role session assumes a
	// role (role chaining).
	switch d := req.DurationSeconds; {
	case len(req.RoleARN) < 20:
		writeSTSError(w, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20")
		return
	case !sessionNameRE.MatchString(req.SessionName):
		writeSTSError(w, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64")
		return
	case action == "AssumeRoleWithWebIdentity" && len(req.WebIdentityToken) < 4:
		writeSTSError(w, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4")
		return
	case action == "AssumeRoleWithWebIdentity" && !jwtShaped(req.WebIdentityToken):
		writeSTSError(w, http.StatusBadRequest, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
		return
	case action == "AssumeRoleWithWebIdentity" && jwtExpired(req.WebIdentityToken):
		writeSTSError(w, http.StatusBadRequest, "ExpiredTokenException", "The web identity token that was passed is expired or is not valid. Get a new identity token from the identity provider and then retry the request.")
		return
	case d < 900:
		writeSTSError(w, http.StatusBadRequest, "ValidationError", fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", d))
		return
	case d > 43200:
		writeSTSError(w, http.StatusBadRequest, "ValidationError", fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200", d))
		return
	case action == "AssumeRole" && temporary && d > 3600:
		writeSTSError(w, http.StatusBadRequest, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		return
	}

	var b Behavior
	if behavior != nil {
		b = behavior(req)
	}
	if b.Delay > 0 {
		select {
		case <-time.After(b.Delay):
		case <-r.Context().Done():
			// Abort: a handler that returns answers 200 with an empty
			// body, which the SDK's decoder may still read as a success
			// without credentials.
			panic(http.ErrAbortHandler)
		}
	}
	switch b.Fail {
	case "":
	case "AccessDenied":
		writeSTSError(w, http.StatusForbidden, b.Fail, "not authorized to perform sts:AssumeRole")
		return
	default:
		writeSTSError(w, http.StatusBadRequest, b.Fail, "Rate exceeded")
		return
	}

	expiration := time.Now().Add(time.Duration(req.DurationSeconds) * time.Second)
	if b.Expired {
		expiration = time.Now().Add(-time.Hour)
	}
	token := randomHex(32)
	a := Assumption{AssumeRoleRequest: req, AccessKeyID: "ASIA" + randomHex(8), tokenDigest: sha256.Sum256([]byte(token)), secret: randomHex(20), expires: expiration}
	s.mu.Lock()
	s.issued[a.AccessKeyID] = a
	s.mu.Unlock()
	result := assumeRoleResult{
		Credentials: stsCredentials{
			AccessKeyID:     a.AccessKeyID,
			SecretAccessKey: a.secret,
			SessionToken:    token,
			Expiration:      expiration.UTC().Format(time.RFC3339),
		},
		User: assumedRoleUser{
			Arn:           assumedRoleARN(req.RoleARN, req.SessionName),
			AssumedRoleID: "AROA" + randomHex(8) + ":" + req.SessionName,
		},
	}
	var resp any = assumeRoleResponse{Result: result, RequestID: randomHex(8)}
	if action == "AssumeRoleWithWebIdentity" {
		resp = webIdentityResponse{Result: result, RequestID: randomHex(8)}
	}
	w.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(w).Encode(resp)
}

type assumeRoleResponse struct {
	XMLName   xml.Name         `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result    assumeRoleResult `xml:"AssumeRoleResult"`
	RequestID string           `xml:"ResponseMetadata>RequestId"`
}

type webIdentityResponse struct {
	XMLName   xml.Name         `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result    assumeRoleResult `xml:"AssumeRoleWithWebIdentityResult"`
	RequestID string           `xml:"ResponseMetadata>RequestId"`
}

type assumeRoleResult struct {
	Credentials stsCredentials  `xml:"Credentials"`
	User        assumedRoleUser `xml:"AssumedRoleUser"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// assumedRoleARN returns the ARN of a session of a role, as STS answers it
// in AssumedRoleUser: arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION,
// NAME being the role's name without its path (a role ARN of another shape
// is returned with the session appended).
func assumedRoleARN(roleARN, session string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return roleARN + "/" + session
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", parts[1], parts[4], name, session)
}

// WebIdentityToken returns a web identity token the endpoint accepts: a JWT
// (not signed by any identity provider: the endpoint checks only its shape
// and its expiry) for subject, expiring in an hour.
func WebIdentityToken(subject string) string { return newJWT(subject, time.Now().Add(time.Hour)) }

func newJWT(subject string, expires time.Time) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." +
		enc(map[string]any{"iss": "https://oidc.fakeaws.test", "aud": "sts.amazonaws.com", "sub": subject,
			"iat": time.Now().Unix(), "exp": expires.Unix()}) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(randomHex(16)))
}

// jwtShaped reports whether token is a JWS in compact form, as STS requires
// of a web identity token: three base64url parts without padding, the first
// two JSON objects.
func jwtShaped(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return false
		}
		var obj map[string]any
		if i < 2 && json.Unmarshal(b, &obj) != nil {
			return false
		}
	}
	return true
}

// jwtExpired reports whether a JWT's exp claim (seconds since the epoch)
// is past; a token without one does not expire here.
func jwtExpired(token string) bool {
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp == nil {
		return false
	}
	return !time.Now().Before(time.Unix(int64(*claims.Exp), 0))
}

// signedAtSkewed reports whether r's X-Amz-Date is more than 15 minutes
// from now, which real STS refuses ("Signature expired", "Signature not yet
// current"). A missing or bad date is left to the signature check.
func signedAtSkewed(r *http.Request) bool {
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return false
	}
	skew := time.Since(at)
	return skew > 15*time.Minute || skew < -15*time.Minute
}

func writeSTSError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		code, message, randomHex(8))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package fakeaws

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

var discardLog = log.New(io.Discard, "", 0)

// S3 is an in-memory S3 endpoint that, as real S3, serves only requests
// signed (SigV4, in the Authorization header or a presigned URL's query)
// with a key it knows: a long-term key given by [S3.AddUser], or temporary
// credentials given by [S3.AddSession] or issued by an STS endpoint it
// trusts ([S3.TrustIssuer]), presented with their own session token and
// unexpired. Anything else is
// refused with the error real S3 answers (see [S3.authenticate]).
type S3 struct {
	*Server
	backend *s3mem.Backend

	mu       sync.Mutex
	regions  map[string]string     // region by bucket
	users    map[string]string     // secret access key by access key id (AddUser)
	sessions map[string]signingKey // by access key id (AddSession)
	issuers  []*STS                // whose issued credentials are valid here
}

// S3Region is the region of the buckets NewS3 makes and of
// [S3.CreateBucket]'s: a request for one must be signed for it.
const S3Region = "us-east-1"

// NewS3 starts an S3 endpoint with the given buckets, in [S3Region].
// Clients must use path-style addressing.
func NewS3(buckets ...string) (*S3, error) { return newS3(https, buckets) }

// NewS3HTTP2 is NewS3 offering HTTP/2, which the SDK's transport takes.
func NewS3HTTP2(buckets ...string) (*S3, error) { return newS3(https2, buckets) }

// NewPlainS3 is NewS3 over plain HTTP, for identities without a custom CA
// bundle (which trust the system's roots, not httptest's certificate).
func NewPlainS3(buckets ...string) (*S3, error) { return newS3(plainHTTP, buckets) }

func newS3(proto protocol, buckets []string) (*S3, error) {
	s := &S3{backend: s3mem.New(), regions: map[string]string{}, users: map[string]string{}, sessions: map[string]signingKey{}}
	for _, b := range buckets {
		if err := s.CreateBucket(b); err != nil {
			return nil, err
		}
	}
	fake := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	s.Server = startServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authenticate(w, r) {
			fake.ServeHTTP(w, r)
		}
	}), proto)
	return s, nil
}

// CreateBucket adds a bucket in [S3Region].
func (s *S3) CreateBucket(name string) error { return s.CreateBucketIn(S3Region, name) }

// CreateBucketIn adds a bucket in region: requests for it must be signed
// for region, as real S3 requires (whichever endpoint serves them).
func (s *S3) CreateBucketIn(region, name string) error {
	if region == "" {
		return errors.New("fakeaws: a bucket needs a region")
	}
	if err := s.backend.CreateBucket(name); err != nil {
		return err
	}
	s.mu.Lock()
	s.regions[name] = region
	s.mu.Unlock()
	return nil
}

// bucketRegion returns the region of the bucket r addresses (path-style),
// "" if r addresses none or one created by a client (whose region the
// endpoint does not check).
func (s *S3) bucketRegion(r *http.Request) string {
	bucket, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.regions[bucket]
}

// AddUser makes the endpoint accept requests signed with accessKeyID and
// secretAccessKey (an IAM user's, or any long-term key's), without a
// session token.
func (s *S3) AddUser(accessKeyID, secretAccessKey string) {
	s.mu.Lock()
	s.users[accessKeyID] = secretAccessKey
	s.mu.Unlock()
}

// AddSession makes the endpoint accept requests signed with temporary
// credentials issued elsewhere than by a trusted STS endpoint (or made up
// by a test): accessKeyID and secretAccessKey with sessionToken, which
// never expire. The token itself is not kept (only its SHA-256), so that
// nothing can print it.
func (s *S3) AddSession(accessKeyID, secretAccessKey, sessionToken string) {
	s.mu.Lock()
	s.sessions[accessKeyID] = signingKey{secret: secretAccessKey, temporary: true, tokenDigest: sha256.Sum256([]byte(sessionToken))}
	s.mu.Unlock()
}

// TrustIssuer makes the endpoint accept requests signed with temporary
// credentials sts issued (before or after this call), as real S3 accepts
// those of real STS: with the session token issued with the key, until
// they expire.
func (s *S3) TrustIssuer(sts *STS) {
	s.mu.Lock()
	s.issuers = append(s.issuers, sts)
	s.mu.Unlock()
}

// signingKey is what the endpoint knows of an access key id.
type signingKey struct {
	secret      string
	temporary   bool
	tokenDigest [32]byte  // temporary only
	expires     time.Time // temporary only; zero: never
}

func (s *S3) lookup(accessKeyID string) (signingKey, bool) {
	s.mu.Lock()
	secret, ok := s.users[accessKeyID]
	session, isSession := s.sessions[accessKeyID]
	issuers := append([]*STS(nil), s.issuers...)
	s.mu.Unlock()
	if ok {
		return signingKey{secret: secret}, true
	}
	if isSession {
		return session, true
	}
	for _, sts := range issuers {
		if a, ok := sts.Issued(accessKeyID); ok {
			return signingKey{secret: a.secret, temporary: true, tokenDigest: a.tokenDigest, expires: a.expires}, true
		}
	}
	return signingKey{}, false
}

// The payload hashes real S3 accepts in X-Amz-Content-Sha256 besides a hex
// SHA-256 of the body, and whether this endpoint verifies a request that
// declares each: the streaming forms with signed chunks are refused, since
// the endpoint does not verify the chunks' signatures.
var payloadHashes = map[string]bool{
	"UNSIGNED-PAYLOAD":                                 true,
	"STREAMING-UNSIGNED-PAYLOAD-TRAILER":               true,
	"STREAMING-AWS4-HMAC-SHA256-PAYLOAD":               false,
	"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER":       false,
	"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD":         false,
	"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER": false,
}

var hexSHA256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// sigV4 is the SigV4 authentication a request carries.
type sigV4 struct {
	presigned           bool
	accessKeyID         string
	scopeDate           string // yyyymmdd
	region, service     string
	signedHeaders       []string
	signature           string
	signedAt            time.Time
	token               string // X-Amz-Security-Token
	payloadHash         string
	expires             time.Duration // presigned only
	malformed, badQuery string        // why the header or query does not parse
}

// parseSigV4 reads r's SigV4 authentication, from its Authorization
// header or (presigned) its query. ok is false if r carries neither.
func parseSigV4(r *http.Request) (a sigV4, ok bool) {
	q := r.URL.Query()
	auth := r.Header.Get("Authorization")
	if auth == "" && !q.Has("X-Amz-Algorithm") && !q.Has("X-Amz-Signature") && !q.Has("X-Amz-Credential") {
		return a, false
	}
	var credential, signedHeaders, date string
	if auth != "" {
		rest, found := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
		if !found {
			a.malformed = "unsupported"
			return a, true
		}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				a.signature = v
			}
		}
		date = r.Header.Get("X-Amz-Date")
		a.token = r.Header.Get("X-Amz-Security-Token")
		a.payloadHash = r.Header.Get("X-Amz-Content-Sha256")
		if credential == "" || signedHeaders == "" || a.signature == "" {
			a.malformed = "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
			return a, true
		}
	} else {
		a.presigned = true
		if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
			a.badQuery = "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
			return a, true
		}
		credential, signedHeaders, a.signature = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature")
		date = q.Get("X-Amz-Date")
		a.token = q.Get("X-Amz-Security-Token")
		a.payloadHash = "UNSIGNED-PAYLOAD" // the payload of a presigned URL is never signed
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		switch {
		case credential == "" || signedHeaders == "" || a.signature == "" || date == "" || err != nil:
			a.badQuery = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
			return a, true
		case secs < 0:
			a.badQuery = "X-Amz-Expires must be non-negative"
			return a, true
		case secs > 604800:
			a.badQuery = "X-Amz-Expires must be less than a week (in seconds) that is 604800"
			return a, true
		}
		a.expires = time.Duration(secs) * time.Second
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[2] == "" {
		a.malformed = "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
		return a, true
	}
	a.accessKeyID, a.scopeDate, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(signedHeaders, ";")
	a.signedAt, _ = time.Parse("20060102T150405Z", date) // zero if absent or bad: refused below
	return a, true
}

// authenticate answers r with the error real S3 answers and returns false,
// unless r is signed with SigV4 by a key the endpoint knows:
//
//   - unsigned (anonymous): 403 AccessDenied, as a bucket not made public
//     answers it;
//   - another scheme than AWS4-HMAC-SHA256 (SigV2, SigV4a): 400
//     InvalidArgument; a malformed header: 400 AuthorizationHeaderMalformed
//     (scoped to another service than s3 included); a malformed presigned
//     query: 400 AuthorizationQueryParametersError;
//   - a request for a bucket scoped to another region than the bucket's:
//     400 AuthorizationHeaderMalformed (AuthorizationQueryParametersError
//     if presigned), naming the bucket's region;
//   - no valid X-Amz-Date: 403 AccessDenied;
//   - a key neither added nor issued by a trusted STS, or an issued key
//     without a session token: 403 InvalidAccessKeyId;
//   - a session token that is not the one issued with the key (or any token
//     with a long-term key): 400 InvalidToken; an expired session: 400
//     ExpiredToken;
//   - no or an unknown X-Amz-Content-Sha256: 400 InvalidRequest or
//     InvalidArgument;
//   - an x-amz-* header (but x-amz-content-sha256) that the signature does
//     not cover: 403 AccessDenied;
//   - a signature that is not the SDK signer's of the request with the
//     key's secret: 403 SignatureDoesNotMatch;
//   - a hex payload hash that is not the body's: 400
//     XAmzContentSHA256Mismatch;
//   - a presigned URL past its X-Amz-Expires, or dated more than 15
//     minutes ahead: 403 AccessDenied.
//
// The signature is computed over the request's method, path, query, signed
// headers, declared payload hash and credential scope. The endpoint stands
// for every regional endpoint at once: a request for a bucket must be
// scoped to the bucket's region, a service-level one (ListBuckets) may be
// scoped to any.
func (s *S3) authenticate(w http.ResponseWriter, r *http.Request) bool {
	a, signed := parseSigV4(r)
	var region string // named in a wrong-region refusal
	fail := func(status int, code, message string) bool {
		writeS3Error(w, r, status, code, message, a.accessKeyID, region)
		return false
	}
	if !signed {
		return fail(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	switch {
	case a.malformed == "unsupported":
		return fail(http.StatusBadRequest, "InvalidArgument", "Unsupported Authorization Type")
	case a.malformed != "":
		return fail(http.StatusBadRequest, "AuthorizationHeaderMalformed", a.malformed)
	case a.badQuery != "":
		return fail(http.StatusBadRequest, "AuthorizationQueryParametersError", a.badQuery)
	case !a.presigned && r.URL.Query().Has("X-Amz-Signature"):
		return fail(http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case a.service != "s3":
		return fail(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; incorrect service \""+a.service+"\". This endpoint belongs to \"s3\".")
	case s.bucketRegion(r) != "" && a.region != s.bucketRegion(r):
		region = s.bucketRegion(r)
		if a.presigned {
			return fail(http.StatusBadRequest, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; the region '"+a.region+"' is wrong; expecting '"+region+"'")
		}
		return fail(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region '"+a.region+"' is wrong; expecting '"+region+"'")
	case a.signedAt.IsZero():
		return fail(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	case a.scopeDate != a.signedAt.Format("20060102"):
		return fail(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	key, known := s.lookup(a.accessKeyID)
	switch {
	case !known, key.temporary && a.token == "":
		return fail(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	case !key.temporary && a.token != "",
		key.temporary && sha256.Sum256([]byte(a.token)) != key.tokenDigest:
		return fail(http.StatusBadRequest, "InvalidToken", "The provided token is malformed or otherwise invalid.")
	case key.temporary && !key.expires.IsZero() && !time.Now().Before(key.expires):
		return fail(http.StatusBadRequest, "ExpiredToken", "The provided token has expired.")
	}
	verified, known := payloadHashes[a.payloadHash]
	switch {
	case a.payloadHash == "":
		return fail(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	case known && !verified:
		return fail(http.StatusNotImplemented, "NotImplemented", "The fake S3 does not verify chunk signatures: "+a.payloadHash+" is not supported.")
	case !known && !hexSHA256RE.MatchString(a.payloadHash):
		return fail(http.StatusBadRequest, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
	case unsignedAmzHeader(r, a.signedHeaders) != "":
		return fail(http.StatusForbidden, "AccessDenied", "There were headers present in the request which were not signed")
	case !s3SignatureMatches(r, a, key.secret):
		return fail(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	case a.presigned && !time.Now().Before(a.signedAt.Add(a.expires)):
		return fail(http.StatusForbidden, "AccessDenied", "Request has expired")
	case a.presigned && a.signedAt.After(time.Now().Add(15*time.Minute)):
		return fail(http.StatusForbidden, "AccessDenied", "Request is not yet valid")
	}
	if !known { // a hex SHA-256 of the body: check it
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return fail(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		}
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != a.payloadHash {
			return fail(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return true
}

// unsignedAmzHeader returns the first x-amz-* header of r (lower case)
// that signed does not list, "" if none: real S3 refuses a request carrying
// one (x-amz-content-sha256 alone may go unsigned).
func unsignedAmzHeader(r *http.Request, signed []string) string {
	for k := range r.Header {
		h := strings.ToLower(k)
		if strings.HasPrefix(h, "x-amz-") && h != "x-amz-content-sha256" && !slices.Contains(signed, h) {
			return h
		}
	}
	return ""
}

// s3SignatureMatches reports whether a's signature of r is the one the
// SDK's signer computes, as it signs for S3 (no second escaping of the
// path), of r's method, path, query and signed headers with secret.
func s3SignatureMatches(r *http.Request, a sigV4, secret string) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	again, err := http.NewRequest(r.Method, scheme+"://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return false
	}
	if a.presigned {
		q := again.URL.Query()
		q.Del("X-Amz-Signature")
		again.URL.RawQuery = q.Encode()
	}
	for _, h := range a.signedHeaders {
		switch h {
		case "host": // the signer's own, from the URL
		case "content-length":
			again.ContentLength = r.ContentLength
		default:
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: a.accessKeyID, SecretAccessKey: secret, SessionToken: a.token}
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = true // as the SDK signs for S3
		o.DisableHeaderHoisting = true  // the signed headers are headers still
	})
	var want string
	if a.presigned {
		signedURL, _, err := signer.PresignHTTP(context.Background(), creds, again, a.payloadHash, a.service, a.region, a.signedAt)
		if err != nil {
			return false
		}
		i := strings.LastIndex(signedURL, "X-Amz-Signature=")
		if i < 0 {
			return false
		}
		want = signedURL[i+len("X-Amz-Signature="):]
	} else {
		if err := signer.SignHTTP(context.Background(), creds, again, a.payloadHash, a.service, a.region, a.signedAt); err != nil {
			return false
		}
		auth := again.Header.Get("Authorization")
		i := strings.LastIndex(auth, "Signature=")
		if i < 0 {
			return false
		}
		want = auth[i+len("Signature="):]
	}
	return hmac.Equal([]byte(want), []byte(a.signature))
}

// writeS3Error answers as S3 does: an XML Error document (none for HEAD),
// naming region if not "" (the region a request should have been signed
// for).
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, message, accessKeyID, region string) {
	requestID := strings.ToUpper(randomHex(8))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	type s3Error struct {
		XMLName        xml.Name `xml:"Error"`
		Code           string   `xml:"Code"`
		Message        string   `xml:"Message"`
		AWSAccessKeyID string   `xml:"AWSAccessKeyId,omitempty"`
		Region         string   `xml:"Region,omitempty"`
		RequestID      string   `xml:"RequestId"`
		HostID         string   `xml:"HostId"`
	}
	e := s3Error{Code: code, Message: message, Region: region, RequestID: requestID, HostID: randomHex(16)}
	if code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" {
		e.AWSAccessKeyID = accessKeyID
	}
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(e)
}

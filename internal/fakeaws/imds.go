package fakeaws

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NewIMDS starts an EC2 instance metadata endpoint (IMDSv2, the part the
// SDK's default chain calls for an instance role's credentials) on loopback
// over plain HTTP. Point the SDK at it with
// AWS_EC2_METADATA_SERVICE_ENDPOINT. It serves the instance identity
// document (region us-east-1, which the SDK asks for in DefaultsMode auto)
// and role's
// credentials, valid for an hour, to requests that carry the session token
// it issued (to a PUT with a TTL of 1 to 21600 seconds, as IMDS requires).
func NewIMDS(role, accessKeyID, secretAccessKey, sessionToken string) *Server {
	const token = "imds-session-token"
	const credsPath = "/latest/meta-data/iam/security-credentials/"
	return startServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			// IMDS requires the token's TTL, 1 second to 6 hours.
			ttl, err := strconv.Atoi(r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
			if err != nil || ttl < 1 || ttl > 21600 {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", strconv.Itoa(ttl))
			_, _ = w.Write([]byte(token))
			return
		}
		if r.Method != http.MethodGet || r.Header.Get("X-Aws-Ec2-Metadata-Token") != token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/latest/dynamic/instance-identity/document" { // where the SDK's GetRegion looks
			_ = json.NewEncoder(w).Encode(map[string]string{"region": "us-east-1", "instanceId": "i-0fake", "accountId": "123456789012"})
			return
		}
		switch strings.TrimPrefix(r.URL.Path, credsPath) {
		case "":
			_, _ = w.Write([]byte(role))
		case role:
			_ = json.NewEncoder(w).Encode(map[string]string{
				"Code":            "Success",
				"Type":            "AWS-HMAC",
				"LastUpdated":     time.Now().UTC().Format(time.RFC3339),
				"AccessKeyId":     accessKeyID,
				"SecretAccessKey": secretAccessKey,
				"Token":           sessionToken,
				"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			})
		default:
			http.NotFound(w, r)
		}
	}), plainHTTP)
}

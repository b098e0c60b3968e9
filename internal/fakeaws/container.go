package fakeaws

import (
	"encoding/json"
	"net/http"
	"time"
)

// NewContainerCredentials starts a container credentials endpoint (the one
// ECS and EKS Pod Identity provide, which the SDK's default chain calls when
// AWS_CONTAINER_CREDENTIALS_FULL_URI names it) on loopback over plain HTTP,
// as the SDK requires of a loopback URI. Every GET returns the given
// credentials, valid for an hour.
func NewContainerCredentials(accessKeyID, secretAccessKey, sessionToken string) *Server {
	return startServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "only GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId":     accessKeyID,
			"SecretAccessKey": secretAccessKey,
			"Token":           sessionToken,
			"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}), plainHTTP)
}

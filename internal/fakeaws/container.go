package fakeaws

import (
	"crypto/subtle"
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
	return newContainerCredentials("", accessKeyID, secretAccessKey, sessionToken)
}

// NewPodIdentityCredentials is NewContainerCredentials as the EKS Pod
// Identity agent serves them: only to a GET whose Authorization header is
// the pod's service account token (which the SDK sends from
// AWS_CONTAINER_AUTHORIZATION_TOKEN or _FILE); 400 Bad Request otherwise.
func NewPodIdentityCredentials(serviceAccountToken, accessKeyID, secretAccessKey, sessionToken string) *Server {
	return newContainerCredentials(serviceAccountToken, accessKeyID, secretAccessKey, sessionToken)
}

func newContainerCredentials(authorization, accessKeyID, secretAccessKey, sessionToken string) *Server {
	return startServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "only GET", http.StatusMethodNotAllowed)
			return
		}
		if authorization != "" {
			switch got := r.Header.Get("Authorization"); {
			case got == "":
				http.Error(w, "Service account token cannot be empty", http.StatusBadRequest)
				return
			case subtle.ConstantTimeCompare([]byte(got), []byte(authorization)) != 1:
				http.Error(w, "Service account token cannot be validated", http.StatusBadRequest)
				return
			}
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

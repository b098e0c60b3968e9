package fakeaws

import (
	"os"
	"strings"
)

// IsolateEnv keeps the process from the AWS settings of the machine it runs
// on, for the tests and the demo, which talk only to the endpoints this
// package starts: it unsets every AWS_ variable (profiles, credentials,
// region, endpoint URLs, CA bundles), points the shared config and
// credentials files at an empty file, and turns the EC2 instance metadata
// service off, so that no default chain reaches for a real one. With
// AWS_PROFILE naming a profile of the caller's, the demo failed in every
// strategy ("failed to get shared config profile"). It changes the
// process's environment: call it before anything reads it, from one
// goroutine.
func IsolateEnv() error {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			if err := os.Unsetenv(name); err != nil {
				return err
			}
		}
	}
	for name, value := range map[string]string{
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		if err := os.Setenv(name, value); err != nil {
			return err
		}
	}
	return nil
}

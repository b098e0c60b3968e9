//go:build unix

package clientcache_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// TestCredentialProcessEndsAtLoadTimeout: a profile's credential_process
// runs under the SDK's credentials cache's context, which never ends; it
// ran for as long as its own Timeout (a minute) allowed, whatever
// Options.LoadTimeout said. The process is killed at LoadTimeout.
func TestCredentialProcessEndsAtLoadTimeout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	script := filepath.Join(dir, "creds.sh")
	// exec: the pid written is the sleep's, which the SDK's kill reaches.
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho $$ > "+pidFile+"\nexec sleep 30\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config")
	// exec again: the SDK runs the process through sh -c, whose child
	// would outlive the kill of sh and keep its output open.
	if err := os.WriteFile(cfgFile, []byte("[profile p]\ncredential_process = exec "+script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prof, err := keys.ProfileCredentials("p")
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", SharedConfigFiles: []string{cfgFile}, SharedCredentialsFiles: []string{}, Credentials: prof})
	if err != nil {
		t.Fatal(err)
	}
	c := newClientCache(t, clientcache.Options{LoadTimeout: loadBound})
	cfg, err := c.Config(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Hang)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err == nil {
		t.Fatal("a credential_process that never answers gave credentials")
	}
	if b, err := os.ReadFile(pidFile); err == nil { // (killed before it wrote it, it is gone)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			defer func() { _ = syscall.Kill(pid, syscall.SIGKILL) }() // the defect's process, which would sleep on
			testwait.Until(t, "the credential_process to end", func() bool { return syscall.Kill(pid, 0) != nil })
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the fetch waited for the credential_process past Options.LoadTimeout, until the caller's context ended")
	}
}

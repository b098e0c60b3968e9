package clientcache_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// panickingPresignBuild is a Derived build that panics in a frame of its
// own, which the LoaderPanicError's stack must show.
//
//go:noinline
func panickingPresignBuild(*s3.Client) (*s3.PresignClient, error) {
	panic("build failed in panickingPresignBuild")
}

// TestDerivedBuildPanicStackShowsTheBuild: a Derived build's panic reaches
// the callers as the engine's *LoaderPanicError, whose Stack is "the loader
// goroutine's stack at the panic". Since builds run on a goroutine of the
// cache's (buildBounded), the panic was recovered there and raised again on
// the load's goroutine, so the Stack showed buildBounded's settle, not the
// build that panicked.
func TestDerivedBuildPanicStackShowsTheBuild(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "panics", panickingPresignBuild)
	var lpe *concurrent.LoaderPanicError
	if !errors.As(err, &lpe) {
		t.Fatalf("Derived with a build that panics: %v, want a *concurrent.LoaderPanicError", err)
	}
	if lpe.Value != "build failed in panickingPresignBuild" {
		t.Errorf("LoaderPanicError.Value %v, want the build's panic value", lpe.Value)
	}
	if !bytes.Contains(lpe.Stack, []byte("panickingPresignBuild")) {
		t.Errorf("LoaderPanicError.Stack does not show the build that panicked:\n%s", lpe.Stack)
	}
	closeReleasingOnePool(t, c, "")
}

// TestDerivedBuildGoexitIsReportedAsGoexit: a build that calls
// runtime.Goexit (t.FailNow in a test's build) ends the load as the engine
// reports a loader's Goexit: a *LoaderPanicError whose Value is nil
// ("concurrent: loader called runtime.Goexit"). buildBounded made up a
// panic value the build never passed ("Derived build called
// runtime.Goexit"), so the error claimed a panic.
func TestDerivedBuildGoexitIsReportedAsGoexit(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "goexit", func(*s3.Client) (*s3.PresignClient, error) {
		runtime.Goexit()
		return nil, nil
	})
	var lpe *concurrent.LoaderPanicError
	if !errors.As(err, &lpe) {
		t.Fatalf("Derived with a build that calls runtime.Goexit: %v, want a *concurrent.LoaderPanicError", err)
	}
	if lpe.Value != nil {
		t.Errorf("LoaderPanicError.Value %q after runtime.Goexit, want nil (the build panicked with nothing)", lpe.Value)
	}
	closeReleasingOnePool(t, c, "")
}

// localClientType returns a client type named "client" declared in this
// function; otherLocalClientType one of the same name declared in another.
func localClientType() reflect.Type {
	type client struct{ *s3.Client }
	return reflect.TypeFor[*client]()
}

func otherLocalClientType() reflect.Type {
	type client struct{ *s3.Client }
	return reflect.TypeFor[*client]()
}

// TestClientKeysOfTypesOfOneNameMarshalToDistinctText: ClientKey.MarshalText
// names the client type by its package path and name, which two different
// types can share: types declared inside two functions of one package, and
// unnamed types (an array, a map, a func, a struct) of types of packages of
// one name (s3/types and dynamodb/types), which reflect prints with the
// package's name only. Two different keys then marshalled to one text, and
// a JSON object of per-key values held one name twice.
func TestClientKeysOfTypesOfOneNameMarshalToDistinctText(t *testing.T) {
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	for _, pair := range [][2]reflect.Type{
		{localClientType(), otherLocalClientType()},
		{reflect.TypeFor[[1]s3types.Tag](), reflect.TypeFor[[1]ddbtypes.Tag]()},
		{reflect.TypeFor[map[string]*s3types.Tag](), reflect.TypeFor[map[string]*ddbtypes.Tag]()},
		{reflect.TypeFor[func() s3types.Tag](), reflect.TypeFor[func() ddbtypes.Tag]()},
		{reflect.TypeFor[struct{ T s3types.Tag }](), reflect.TypeFor[struct{ T ddbtypes.Tag }]()},
	} {
		if pair[0] == pair[1] {
			t.Fatalf("the test needs two different types: %v", pair[0])
		}
		k1 := clientcache.ClientKey{Type: pair[0], Key: key}
		k2 := clientcache.ClientKey{Type: pair[1], Key: key}
		t1, err1 := k1.MarshalText()
		t2, err2 := k2.MarshalText()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if bytes.Equal(t1, t2) {
			t.Errorf("the keys of two client types (%v, %v) marshal to one text: %s", pair[0], pair[1], t1)
		}
		// Stable: a key marshals to the same text every time.
		if again, _ := k1.MarshalText(); !bytes.Equal(again, t1) {
			t.Errorf("a key marshals to %s, then %s", t1, again)
		}
	}
}

// TestLoadTimeoutBoundsAClientConstruction: Options.LoadTimeout "bounds
// each load (config loading with its credential call, client construction,
// a Derived build)", but a constructor is given no context, as a Derived
// build is not, and one that hung (a constructor of the caller's that
// calls a service or reads a file) kept every caller with no deadline of
// its own waiting for ever, as a Derived build did before buildBounded.
func TestLoadTimeoutBoundsAClientConstruction(t *testing.T) {
	c, err := clientcache.New(clientcache.Options{LoadTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	// The config first, so that LoadTimeout bounds the construction alone
	// (see TestLoadTimeoutBoundsADerivedBuild).
	warmUnderLoadTimeout(t, func() error {
		_, err := c.Config(context.Background(), key.Config())
		return err
	})
	release := make(chan struct{})
	var builds, returned atomic.Int32
	hang := func(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
		if builds.Add(1) == 1 {
			<-release
			defer returned.Add(1)
		}
		return s3.NewFromConfig(cfg, optFns...)
	}
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
		_ = c.Close()
	})
	err = returnsInTime(t, "Client to return after LoadTimeout, its constructor still running", func() error {
		_, err := clientcache.Client(context.Background(), c, key, hang)
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Client with a constructor that hangs past LoadTimeout: %v, want context.DeadlineExceeded", err)
	}
	cl, err := clientcache.Client(context.Background(), c, key, hang)
	if err != nil || cl == nil || builds.Load() != 2 {
		t.Fatalf("the next Client call: %v, %v after %d constructions, want a second construction's client", cl, err, builds.Load())
	}
	close(release)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if returned.Load() != 1 {
		t.Fatal("Close returned before the constructor given up on had")
	}
	if n := c.Stats().PoolsReleased; n != 1 {
		t.Fatalf("one pool, %d released", n)
	}
}

// panickingConstructor is a client constructor that panics in a frame of
// its own.
//
//go:noinline
func panickingConstructor(aws.Config, ...func(*s3.Options)) *s3.Client {
	panic("constructor failed in panickingConstructor")
}

// TestClientConstructorPanicAndGoexitReachTheCallers guards the
// constructor's running on a goroutine of the cache's (buildBounded): its
// panic still reaches the callers as the engine's *LoaderPanicError, with
// its value and a stack showing it, and its runtime.Goexit as the engine
// reports a loader's (a nil Value); neither keeps a hold on the pool.
func TestClientConstructorPanicAndGoexitReachTheCallers(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	_, err := clientcache.Client(context.Background(), c, key, panickingConstructor)
	var lpe *concurrent.LoaderPanicError
	if !errors.As(err, &lpe) || lpe.Value != "constructor failed in panickingConstructor" || !bytes.Contains(lpe.Stack, []byte("panickingConstructor")) {
		t.Fatalf("Client with a constructor that panics: %v, want a *concurrent.LoaderPanicError with its value and stack", err)
	}
	_, err = clientcache.Client(context.Background(), c, key, func(aws.Config, ...func(*s3.Options)) *s3.Client {
		runtime.Goexit()
		return nil
	})
	if lpe = nil; !errors.As(err, &lpe) || lpe.Value != nil {
		t.Fatalf("Client with a constructor that calls runtime.Goexit: %v, want a *concurrent.LoaderPanicError with a nil Value", err)
	}
	if _, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	closeReleasingOnePool(t, c, "")
}

// returnsInTime runs f on a goroutine and returns its error, failing the
// test (after testwait.Hang) if f does not return: a call that hangs fails
// with what was awaited instead of hanging the test binary.
func returnsInTime(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	var err error
	testwait.Until(t, what, func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	return err
}

// panicNilBuild is a Derived build that panics with nil.
//
//go:noinline
func panicNilBuild(*s3.Client) (*s3.PresignClient, error) {
	panic(nil)
}

// TestDerivedBuildPanicNilUnderGODEBUGPanicnilIsAPanic: under
// GODEBUG=panicnil=1, recover gives nil for panic(nil), as for a
// runtime.Goexit, and stops the panic. buildBounded took it for a Goexit
// and ended the load's goroutine with one: the error claimed a Goexit (a
// nil Value) and its stack showed no build.
func TestDerivedBuildPanicNilUnderGODEBUGPanicnilIsAPanic(t *testing.T) {
	t.Setenv("GODEBUG", "panicnil=1")
	c := newClientCache(t, clientcache.Options{})
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	_, err := clientcache.Derived(context.Background(), c, key, s3.NewFromConfig, "panicnil", panicNilBuild)
	var lpe *concurrent.LoaderPanicError
	if !errors.As(err, &lpe) {
		t.Fatalf("Derived with a build that panics with nil: %v, want a *concurrent.LoaderPanicError", err)
	}
	if _, ok := lpe.Value.(*runtime.PanicNilError); !ok {
		t.Errorf("LoaderPanicError.Value %v (%T), want a *runtime.PanicNilError", lpe.Value, lpe.Value)
	}
	if !bytes.Contains(lpe.Stack, []byte("panicNilBuild")) {
		t.Errorf("LoaderPanicError.Stack does not show the build that panicked:\n%s", lpe.Stack)
	}
	closeReleasingOnePool(t, c, "")
}

// TestLoadTimeoutBoundsAConfigLoadWhoseNamedOptionHangs: Options.LoadTimeout
// bounds config loading too, and a named load option is the caller's code,
// given no context, as a constructor or a Derived build is: one that hangs
// (it reads a file or asks a secret store) kept the config load, and every
// caller without a deadline of its own, waiting for ever, LoadTimeout or
// not (review finding). The config the abandoned load makes once the option
// returns is released: two pools made, two released.
func TestLoadTimeoutBoundsAConfigLoadWhoseNamedOptionHangs(t *testing.T) {
	release := make(chan struct{})
	var runs atomic.Int32
	c, err := clientcache.New(clientcache.Options{
		LoadTimeout: 50 * time.Millisecond,
		LoadOptions: map[string][]func(*config.LoadOptions) error{"slow": {func(*config.LoadOptions) error {
			if runs.Add(1) == 1 {
				<-release
			}
			return nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
		_ = c.Close()
	})
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSLOW", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: creds, Name: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	err = returnsInTime(t, "Config, whose named load option hangs, returning at LoadTimeout", func() error {
		_, err := c.Config(context.Background(), key)
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Config with a named option that hangs past LoadTimeout: %v, want context.DeadlineExceeded", err)
	}
	if _, err := c.Config(context.Background(), key); err != nil {
		t.Fatalf("the next Config call: %v, want a second load's config", err)
	}
	close(release)
	released = true
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().PoolsReleased; n != 2 {
		t.Fatalf("two pools made, %d released", n)
	}
}

// warmUnderLoadTimeout calls load until it succeeds: a cache with a short
// LoadTimeout, in a CI run beside other busy processes, can give up on a
// load (an AssumeRole over TLS, a config's construction) before it is done.
// Tests of what LoadTimeout bounds warm what they do not test this way.
func warmUnderLoadTimeout(t *testing.T, load func() error) {
	t.Helper()
	for deadline := time.Now().Add(testwait.Hang); ; {
		err := load()
		if err == nil {
			return
		}
		if !errors.Is(err, context.DeadlineExceeded) || time.Now().After(deadline) {
			t.Fatalf("warming up: %v", err)
		}
	}
}

// TestClientBuildsCountsOnlyBuildsThatLoaded: Stats.ClientBuilds said it
// "counts service clients constructed", but it counts the builds that loaded
// a client: a constructor that runs to its end after Options.LoadTimeout
// ended its load (Close waits for it) has constructed a client that is
// dropped and not counted.
func TestClientBuildsCountsOnlyBuildsThatLoaded(t *testing.T) {
	ck, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.NewClient(keys.ClientInput{Config: ck, Service: "s3"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := clientcache.New(clientcache.Options{LoadTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var constructed atomic.Int64
	release := make(chan struct{})
	_, err = clientcache.Client(context.Background(), c, k, func(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
		<-release // outlives the load
		constructed.Add(1)
		return s3.NewFromConfig(cfg, optFns...)
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Client: %v, want the load's deadline", err)
	}
	close(release)
	if err := c.Close(); err != nil { // waits for the constructor
		t.Fatal(err)
	}
	st := c.Stats()
	t.Logf("constructor calls that returned a client: %d; Stats.ClientBuilds: %d", constructed.Load(), st.ClientBuilds)
	if constructed.Load() != 1 || st.ClientBuilds != 0 {
		t.Fatalf("constructed %d, ClientBuilds %d: want 1 and 0 (ClientBuilds counts the builds that loaded a client)", constructed.Load(), st.ClientBuilds)
	}
}

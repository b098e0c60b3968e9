package keys_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/clientcache/clientcache/keys"
)

func ExampleNewConfig() {
	k, err := keys.NewConfig(keys.ConfigInput{
		Region:   "eu-west-1",
		Profile:  "prod",
		Endpoint: "HTTPS://S3.Example.com:443/", // normalised
		FIPS:     keys.Disabled,                 // Enabled is refused with a custom endpoint, as the SDK refuses it
		Labels:   []keys.Label{{Key: "tenant", Value: "acme"}, {Key: "env", Value: "prod"}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(k)
	fmt.Println(k.Endpoint(), k.FIPS())
	fmt.Println(k.Fingerprint()) // stable across processes: this key has no secret
	// Output:
	// Config{region=eu-west-1 profile=prod endpoint=https://s3.example.com fips=disabled labels={env=prod tenant=acme} credentials={kind=default}}
	// https://s3.example.com disabled
	// 4a3bdab30426c9e4
}

func ExampleStaticCredentials() {
	build := func() keys.Config {
		creds, err := keys.StaticCredentials(keys.StaticInput{
			AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
			SecretAccessKey: keys.NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
		})
		if err != nil {
			panic(err)
		}
		k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: creds})
		if err != nil {
			panic(err)
		}
		return k
	}
	a, b := build(), build()
	fmt.Println(a)
	fmt.Println(a == b) // built separately from equal inputs
	cache := map[keys.Config]string{a: "config for a"}
	fmt.Println(cache[b])
	// Output:
	// Config{region=us-east-1 credentials={kind=static access-key-id=*** secret-access-key=***}}
	// true
	// config for a
}

func ExampleAssumeRoleCredentials() {
	base, err := keys.ProfileCredentials("ci")
	if err != nil {
		panic(err)
	}
	hub, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source:      base,
		RoleARN:     "arn:aws:iam::111111111111:role/hub",
		SessionName: "inventory",
	})
	if err != nil {
		panic(err)
	}
	tenant, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source:      hub, // a role chain
		RoleARN:     "arn:aws:iam::222222222222:role/reader",
		SessionName: "inventory",
		ExternalID:  keys.NewSecret("tenant-42"),
		Duration:    time.Hour,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(tenant)
	fmt.Println(tenant.Depth(), tenant.Source() == hub, tenant.HasExternalID())

	// Assuming the hub role again further up the chain is a loop.
	_, err = keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source: tenant, RoleARN: "arn:aws:iam::111111111111:role/hub", SessionName: "inventory",
	})
	fmt.Println(err)
	// Output:
	// Credentials{kind=assume-role role-arn=arn:aws:iam::222222222222:role/reader session-name=inventory external-id=*** duration=1h0m0s source={kind=assume-role role-arn=arn:aws:iam::111111111111:role/hub session-name=inventory duration=15m0s source={kind=profile profile=ci}}}
	// 2 true true
	// keys: Credentials.AssumeRole.Source: role chain loops: the role is already assumed further down the chain
}

func ExampleNewClient() {
	cfg, err := keys.NewConfig(keys.ConfigInput{Region: "auto", Endpoint: "https://r2.example.com"})
	if err != nil {
		panic(err)
	}
	c, err := keys.NewClient(keys.ClientInput{
		Config:  cfg,
		Service: "s3",
		Name:    "retry-middleware-v2", // stands for options that cannot be compared
		S3:      keys.S3Options{UsePathStyle: true, UseARNRegion: keys.Disabled},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c)
	fmt.Println(c.Service(), c.S3().UsePathStyle, c.Config() == cfg)
	// Output:
	// Client{service=s3 name=retry-middleware-v2 s3-use-path-style=true s3-use-arn-region=disabled config={region=auto endpoint=https://r2.example.com credentials={kind=default}}}
	// s3 true true
}

func ExampleFieldError() {
	_, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		RoleARN:     "arn:aws:iam::123456789012:role/app",
		SessionName: "app",
		Duration:    24 * time.Hour,
	})
	var fe *keys.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field)
	}
	fmt.Println(errors.Is(err, keys.ErrInvalid))
	fmt.Println(err)
	// Output:
	// Credentials.AssumeRole.Duration
	// true
	// keys: Credentials.AssumeRole.Duration: outside 15m to 12h, the range STS accepts
}

func ExampleConfig_Input() {
	prod, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Profile: "prod"})
	if err != nil {
		panic(err)
	}
	in := prod.Input()
	in.Region = "eu-west-1"
	eu, err := keys.NewConfig(in)
	if err != nil {
		panic(err)
	}
	fmt.Println(eu)
	// Output:
	// Config{region=eu-west-1 profile=prod credentials={kind=default}}
}

package keys

import "unique"

// Client is the identity of a service client: a [Config] identity, the
// service, and the client's own value options. Build it with [NewClient].
// The zero Client names no service and is never returned by NewClient.
//
// Client is a small comparable value, safe as a map key and for concurrent
// use, with the same equality as [Config]. It does not include the Go client
// type: the AWS layer pairs a Client with the reflect.Type of the client it
// builds, so that a key for S3 can never return a DynamoDB client.
type Client struct {
	h unique.Handle[clientValue] // the zero handle is the zero Client
}

type clientValue struct {
	config   Config
	service  string
	region   string
	endpoint string // normalised
	name     string
	s3       S3Options
	dynamodb DynamoDBOptions
}

func (k Client) val() clientValue {
	if k.h == (unique.Handle[clientValue]{}) {
		return clientValue{}
	}
	return k.h.Value()
}

// S3Options are the value options of an S3 client (s3.Options). They are
// allowed only for the service "s3".
type S3Options struct {
	// UsePathStyle and UseAccelerate: nothing but the caller sets these, so
	// false is the SDK's default. UseAccelerate is refused with UsePathStyle,
	// with a custom endpoint (the client's or the config's) and with FIPS
	// Enabled in the config: S3's endpoint rules fail every request of such
	// a client (with UsePathStyle, every request that names a bucket: only
	// those that name none, ListBuckets, resolve an endpoint).
	UsePathStyle  bool
	UseAccelerate bool
	// UseARNRegion, DisableS3Express (s3.Options.DisableS3ExpressSessionAuth)
	// and DisableMultiRegionAccessPoints may come from the environment or the
	// shared config when unset.
	UseARNRegion                   Tristate
	DisableS3Express               Tristate
	DisableMultiRegionAccessPoints Tristate
}

// DynamoDBOptions are the value options of a DynamoDB client
// (dynamodb.Options). They are allowed only for the service "dynamodb".
type DynamoDBOptions struct {
	// EndpointDiscovery is dynamodb.Options.EndpointDiscovery.EnableEndpointDiscovery.
	EndpointDiscovery EndpointDiscovery
}

// ClientInput is the input of [NewClient].
type ClientInput struct {
	// Config is the identity of the config the client is built from.
	Config Config
	// Service is required: the Go package name of the client ("s3",
	// "dynamodb", "sts", "sqs"), 2-64 characters of [a-z0-9] starting with a
	// letter. ASCII upper case is lowered first: "S3" and "s3" are one
	// service.
	Service string
	// Region overrides the config's region for this client. Same rules as
	// [ConfigInput.Region], relative to this client's or the config's
	// endpoint.
	Region string
	// Endpoint overrides the config's base endpoint for this client. Same
	// rules and normalisation as [ConfigInput.Endpoint], and refused when the
	// config's FIPS or DualStack is Enabled (the SDK's endpoint rules refuse
	// both with a custom endpoint).
	Endpoint string
	// Name stands for the client options that cannot be compared (API
	// options, middleware, a custom retryer): the AWS layer requires those
	// options with a name, and refuses them without one. Same rules as
	// [ConfigInput.Name].
	Name string
	// S3 and DynamoDB are the per-service value options; the zero value
	// leaves every option to the SDK. Each is an error for another service.
	S3       S3Options
	DynamoDB DynamoDBOptions
}

// NewClient validates in and returns its identity. A bad input is an error
// matching [ErrInvalid], of type [*FieldError], naming the field.
func NewClient(in ClientInput) (Client, error) {
	const f = "Client."
	v := clientValue{config: in.Config}
	if in.Service == "" {
		return Client{}, fieldErr(f+"Service", "required")
	}
	v.service = asciiLower(in.Service)
	if r := checkService(v.service); r != "" {
		return Client{}, fieldErr(f+"Service", r)
	}
	if in.Endpoint != "" {
		var r string
		if v.endpoint, r = normalizeEndpoint(in.Endpoint); r != "" {
			return Client{}, fieldErr(f+"Endpoint", r)
		}
	}
	if v.endpoint != "" {
		switch {
		case in.Config.FIPS() == Enabled:
			return Client{}, fieldErr(f+"Endpoint", "set on a Config whose FIPS is enabled: the SDK's endpoint rules refuse FIPS with a custom endpoint, so every request would fail")
		case in.Config.DualStack() == Enabled:
			return Client{}, fieldErr(f+"Endpoint", "set on a Config whose DualStack is enabled: the SDK's endpoint rules refuse dual-stack with a custom endpoint, so every request would fail")
		}
	}
	if in.Region != "" {
		if r := checkRegion(in.Region, v.endpoint != "" || in.Config.Endpoint() != ""); r != "" {
			return Client{}, fieldErr(f+"Region", r)
		}
		v.region = in.Region
	}
	if r := checkText(in.Name, 256); r != "" {
		return Client{}, fieldErr(f+"Name", r)
	}
	v.name = in.Name
	if in.S3 != (S3Options{}) {
		if v.service != "s3" {
			return Client{}, fieldErr(f+"S3", "S3 options on a client of another service")
		}
		for _, t := range []struct {
			name string
			t    Tristate
		}{
			{"UseARNRegion", in.S3.UseARNRegion},
			{"DisableS3Express", in.S3.DisableS3Express},
			{"DisableMultiRegionAccessPoints", in.S3.DisableMultiRegionAccessPoints},
		} {
			if !t.t.valid() {
				return Client{}, fieldErr(f+"S3."+t.name, "unknown Tristate value")
			}
		}
		if in.S3.UseAccelerate {
			// S3's endpoint rules fail every request of such a client.
			switch {
			case in.S3.UsePathStyle:
				return Client{}, fieldErr(f+"S3.UseAccelerate", "with UsePathStyle: S3's endpoint rules refuse path-style addressing with Accelerate")
			case v.endpoint != "" || in.Config.Endpoint() != "":
				return Client{}, fieldErr(f+"S3.UseAccelerate", "with a custom endpoint (Endpoint, or the Config's): S3's endpoint rules refuse Accelerate with a custom endpoint")
			case in.Config.FIPS() == Enabled:
				return Client{}, fieldErr(f+"S3.UseAccelerate", "on a Config whose FIPS is enabled: S3's endpoint rules refuse Accelerate with FIPS")
			}
		}
		v.s3 = in.S3
	}
	if in.DynamoDB != (DynamoDBOptions{}) {
		if v.service != "dynamodb" {
			return Client{}, fieldErr(f+"DynamoDB", "DynamoDB options on a client of another service")
		}
		if !in.DynamoDB.EndpointDiscovery.valid() {
			return Client{}, fieldErr(f+"DynamoDB.EndpointDiscovery", "unknown EndpointDiscovery value")
		}
		v.dynamodb = in.DynamoDB
	}
	return Client{h: unique.Make(v)}, nil
}

// asciiLower lowers ASCII letters only: strings.ToLower would also map
// non-ASCII letters such as the Kelvin sign onto ASCII ones.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Config returns the config identity.
func (k Client) Config() Config { return k.val().config }

// Service returns the service name, lowercase.
func (k Client) Service() string { return k.val().service }

// Region returns the client's region override, or "" to use the config's.
func (k Client) Region() string { return k.val().region }

// Endpoint returns the client's normalised base endpoint override, or "".
func (k Client) Endpoint() string { return k.val().endpoint }

// Name returns the caller's name for the non-comparable client options, or "".
func (k Client) Name() string { return k.val().name }

// S3 returns the S3 options (the zero value for other services).
func (k Client) S3() S3Options { return k.val().s3 }

// DynamoDB returns the DynamoDB options (the zero value for other services).
func (k Client) DynamoDB() DynamoDBOptions { return k.val().dynamodb }

// Input returns the inputs of k after normalisation: NewClient(k.Input())
// returns k.
func (k Client) Input() ClientInput {
	v := k.val()
	return ClientInput{
		Config:   v.config,
		Service:  v.service,
		Region:   v.region,
		Endpoint: v.endpoint,
		Name:     v.name,
		S3:       v.s3,
		DynamoDB: v.dynamodb,
	}
}

// Bytes returns the canonical encoding of k (see the package documentation).
// Client fields, by tag:
//
//	1 config (nested)   5 name                    9 S3 DisableS3Express (one byte)
//	2 service           6 S3 UsePathStyle (1)    10 S3 DisableMultiRegionAccessPoints (one byte)
//	3 region            7 S3 UseAccelerate (1)   11 DynamoDB EndpointDiscovery (one byte)
//	4 endpoint          8 S3 UseARNRegion (one byte)
func (k Client) Bytes() []byte { return encodeKey(typeClient, k.encodeFields) }

// Fingerprint returns the first 8 bytes of the SHA-256 of [Client.Bytes] in
// hex: a short name for logs, not an identity (use the key itself).
func (k Client) Fingerprint() string { return fingerprint(k.Bytes()) }

func (k Client) encodeFields(e *encoder) {
	v := k.val()
	if v.config != (Config{}) {
		e.nested(1, func(sub *encoder) {
			sub.b = append(sub.b, typeConfig)
			v.config.encodeFields(sub)
		})
	}
	e.str(2, v.service)
	e.str(3, v.region)
	e.str(4, v.endpoint)
	e.str(5, v.name)
	e.uint(6, b2u(v.s3.UsePathStyle))
	e.uint(7, b2u(v.s3.UseAccelerate))
	e.uint(8, uint64(v.s3.UseARNRegion))
	e.uint(9, uint64(v.s3.DisableS3Express))
	e.uint(10, uint64(v.s3.DisableMultiRegionAccessPoints))
	e.uint(11, uint64(v.dynamodb.EndpointDiscovery))
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

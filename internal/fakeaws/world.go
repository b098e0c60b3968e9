package fakeaws

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/clientcache/clientcache/keys"
)

// World is S3 and STS side by side, with multi-tenant identities on top: each
// tenant assumes its own role from the service's base credentials.
type World struct {
	S3  *S3
	STS *STS
}

// Base credentials of the service, and the external ID prefix of tenants'
// roles. They are secrets: nothing may print them.
const (
	BaseAccessKeyID  = "AKIDSERVICEBASE"
	BaseSecret       = "base-secret-9f3c1a77"
	ExternalIDPrefix = "ext-id-"
	SessionName      = "clientcache-demo"
)

// NewWorld starts both endpoints with the given S3 buckets.
func NewWorld(buckets ...string) (*World, error) {
	s, err := NewS3(buckets...)
	if err != nil {
		return nil, err
	}
	w := &World{S3: s, STS: NewSTS()}
	w.STS.AddUser(BaseAccessKeyID, BaseSecret)
	// S3 serves the tenants' sessions, which STS issues.
	w.S3.TrustIssuer(w.STS)
	return w, nil
}

// Close shuts both endpoints down.
func (w *World) Close() {
	w.S3.Close()
	w.STS.Close()
}

// RoleARN is the role a tenant assumes.
func RoleARN(tenant int) string {
	return fmt.Sprintf("arn:aws:iam::123456789012:role/tenant-%d", tenant)
}

// TenantConfig builds a tenant's aws.Config directly with the SDK, as code
// without clientcache does: a fresh config (its own transport), and an
// assume-role provider in an aws.CredentialsCache.
func (w *World) TenantConfig(ctx context.Context, tenant int) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion("us-east-1"),
		config.WithCustomCABundle(bytes.NewReader(w.S3.CABundle())),
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(BaseAccessKeyID, BaseSecret, "")),
	)
	if err != nil {
		return aws.Config{}, err
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(w.STS.URL()) })
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, RoleARN(tenant), func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName
		o.ExternalID = aws.String(fmt.Sprint(ExternalIDPrefix, tenant))
	}))
	return cfg, nil
}

// TenantKeys are a tenant's identities for clientcache.
type TenantKeys struct {
	Config            keys.Config
	S3, DynamoDB, SQS keys.Client
}

// TenantKeys builds the identities of a tenant: the same inputs as
// TenantConfig, as keys.
func (w *World) TenantKeys(tenant int) (TenantKeys, error) {
	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: BaseAccessKeyID, SecretAccessKey: keys.NewSecret(BaseSecret)})
	if err != nil {
		return TenantKeys{}, err
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{
		Source:      base,
		RoleARN:     RoleARN(tenant),
		SessionName: SessionName,
		ExternalID:  keys.NewSecret(fmt.Sprint(ExternalIDPrefix, tenant)),
		STSEndpoint: w.STS.URL(),
	})
	if err != nil {
		return TenantKeys{}, err
	}
	var tk TenantKeys
	if tk.Config, err = keys.NewConfig(keys.ConfigInput{
		Region:                     "us-east-1",
		CABundle:                   w.S3.CABundle(),
		RequestChecksumCalculation: keys.ChecksumWhenRequired,
		ResponseChecksumValidation: keys.ChecksumWhenRequired,
		Credentials:                role,
		Labels:                     []keys.Label{{Key: "tenant", Value: fmt.Sprint(tenant)}},
	}); err != nil {
		return TenantKeys{}, err
	}
	if tk.S3, err = keys.NewClient(keys.ClientInput{Config: tk.Config, Service: "s3", Endpoint: w.S3.URL(), S3: keys.S3Options{UsePathStyle: true}}); err != nil {
		return TenantKeys{}, err
	}
	if tk.DynamoDB, err = keys.NewClient(keys.ClientInput{Config: tk.Config, Service: "dynamodb"}); err != nil {
		return TenantKeys{}, err
	}
	if tk.SQS, err = keys.NewClient(keys.ClientInput{Config: tk.Config, Service: "sqs"}); err != nil {
		return TenantKeys{}, err
	}
	return tk, nil
}

// Package integration runs clientcache's flows against
// github.com/sivchari/kumo, an in-process emulator of S3, STS and DynamoDB
// (among others), with real SDK clients. It is a module of its own because
// kumo is heavy (its cold build takes about a minute) and needs Go 1.26:
// the library's users never download it.
//
//	cd integration && go test -race ./...
package integration

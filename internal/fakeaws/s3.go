package fakeaws

import (
	"io"
	"log"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

var discardLog = log.New(io.Discard, "", 0)

// S3 is an in-memory S3 endpoint.
type S3 struct {
	*Server
	backend *s3mem.Backend
}

// NewS3 starts an S3 endpoint with the given buckets. Clients must use
// path-style addressing.
func NewS3(buckets ...string) (*S3, error) { return newS3(https, buckets) }

// NewS3HTTP2 is NewS3 offering HTTP/2, which the SDK's transport takes.
func NewS3HTTP2(buckets ...string) (*S3, error) { return newS3(https2, buckets) }

// NewPlainS3 is NewS3 over plain HTTP, for identities without a custom CA
// bundle (which trust the system's roots, not httptest's certificate).
func NewPlainS3(buckets ...string) (*S3, error) { return newS3(plainHTTP, buckets) }

func newS3(proto protocol, buckets []string) (*S3, error) {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, err
		}
	}
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	return &S3{Server: startServer(fake.Server(), proto), backend: backend}, nil
}

// CreateBucket adds a bucket.
func (s *S3) CreateBucket(name string) error { return s.backend.CreateBucket(name) }

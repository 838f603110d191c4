package awssts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	u2User   = "AKIAUSER2REVIEW00001"
	u2Secret = "user2-secret"
	u2Role   = "arn:aws:iam::123456789012:role/user2"
)

// u2Provider assumes u2Role at a loopback ststest server.
func u2Provider(t *testing.T, optFns ...func(*awssts.Options)) (*awssts.Provider, *ststest.Server) {
	t.Helper()
	srv := ststest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddUser(u2User, u2Secret)
	srv.AddRole(u2Role, 0)
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(u2User, u2Secret, "")})
	p, err := awssts.New(c, u2Role, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, srv
}

// s3Request is what the fake S3 saw.
type s3Request struct {
	method, path, key, body, payloadHash string
}

// fakeS3 answers PutObject and GetObject on loopback, path-style; requests signed with a
// revoked key get S3's ExpiredToken error.
type fakeS3 struct {
	*httptest.Server
	mu      sync.Mutex
	revoked map[string]bool
	seen    []s3Request
}

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{revoked: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := accessKeyOf(r.Header.Get("Authorization"))
		f.mu.Lock()
		f.seen = append(f.seen, s3Request{r.Method, r.URL.Path, key, string(body), r.Header.Get("X-Amz-Content-Sha256")})
		revoked := f.revoked[key]
		f.mu.Unlock()
		switch {
		case revoked:
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>R1</RequestId><HostId>H1</HostId></Error>`)
		case r.URL.Path != "/bucket/key":
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no object at %s</Message><RequestId>R2</RequestId><HostId>H2</HostId></Error>`, r.URL.Path)
		default:
			w.Header().Set("ETag", `"etag"`)
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeS3) revoke(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[key] = true
}

func (f *fakeS3) requests() []s3Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]s3Request(nil), f.seen...)
}

// The README recipe with an S3 client whose held key is revoked: PutObject with a seekable
// body is retried once with the renewed key, to the same object, with the same body and a
// payload hash that matches it; the caller sees no error. Path-style addressing (what every
// S3-compatible endpoint, a BaseEndpoint, or a bucket name with dots gets) included.
//
// Expected: the retry goes to /bucket/key, as the first attempt did.
func TestUser2_RenewOnAuthFailure_S3PutObjectRetryKeepsThePath(t *testing.T) {
	body := "hello, renewed world"
	for _, tc := range []struct {
		name  string
		setup func(cfg *aws.Config, p *awssts.Provider) []func(*s3.Options)
	}{
		{"cfg.APIOptions, standard retryer", func(cfg *aws.Config, p *awssts.Provider) []func(*s3.Options) {
			cfg.APIOptions = append(cfg.APIOptions, p.RenewOnAuthFailure) // the README recipe, as written
			return nil
		}},
		{"client APIOptions, adaptive retryer", func(cfg *aws.Config, p *awssts.Provider) []func(*s3.Options) {
			return []func(*s3.Options){func(o *s3.Options) {
				o.APIOptions = append(o.APIOptions, p.RenewOnAuthFailure)
				o.Retryer = retry.NewAdaptiveMode()
			}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := u2Provider(t)
			held, err := p.Retrieve(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			f := newFakeS3(t)
			cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(f.URL), Retryer: func() aws.Retryer { return retry.NewStandard() }}
			cfg.Credentials = p // not config.WithCredentialsProvider(p)
			fns := append(tc.setup(&cfg, p), func(o *s3.Options) { o.UsePathStyle = true })
			s3Client := s3.NewFromConfig(cfg, fns...)

			f.revoke(held.AccessKeyID)
			_, err = s3Client.PutObject(t.Context(), &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("key"), Body: strings.NewReader(body),
			})
			if err != nil {
				t.Errorf("PutObject after the held key was revoked: %v; want no error", err)
			}
			seen := f.requests()
			if len(seen) != 2 {
				t.Fatalf("S3 saw %d requests, want 2 (the rejected one and one retry): %+v", len(seen), seen)
			}
			retried := seen[1]
			if retried.path != "/bucket/key" {
				t.Errorf("the retry went to %q, the first attempt to %q; want /bucket/key both times", retried.path, seen[0].path)
			}
			if retried.key == held.AccessKeyID {
				t.Errorf("the retry was signed with the revoked key %s", retried.key)
			}
			sum := sha256.Sum256([]byte(body))
			if retried.body != body || (retried.payloadHash != hex.EncodeToString(sum[:]) && retried.payloadHash != "UNSIGNED-PAYLOAD") {
				t.Errorf("the retry sent body %q with payload hash %s; want %q and its hash", retried.body, retried.payloadHash, body)
			}
		})
	}
}

// A second retrying middleware of the user's own, also at the front of Finalize (added after
// p.RenewOnAuthFailure, so outside it), that retries any error once: the two compose, the
// caller sees no error, and p renews once.
//
// Expected: no error and one renewal, whatever the order of the two in APIOptions.
func TestUser2_RenewOnAuthFailure_WithAnotherRetryingMiddleware(t *testing.T) {
	p, srv := u2Provider(t)
	held, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeS3(t)
	retryOnce := func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("user.RetryOnce", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			if err == nil {
				return out, md, err
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.Before)
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(f.URL), Credentials: p}
	cfg.APIOptions = append(cfg.APIOptions, p.RenewOnAuthFailure, retryOnce)
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	f.revoke(held.AccessKeyID)
	if _, err := s3Client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("key")}); err != nil {
		t.Errorf("GetObject after the held key was revoked: %v; want no error", err)
	}
	if n := len(calls(srv, "AssumeRole")); n != 2 {
		t.Errorf("%d AssumeRole calls, want 2: the first and one renewal", n)
	}
	for i, r := range f.requests() {
		t.Logf("request %d: %s %s key=%s", i, r.method, r.path, r.key)
	}
}

// Presigning through a client with RenewOnAuthFailure in its APIOptions works as without it.
func TestUser2_RenewOnAuthFailure_Presign(t *testing.T) {
	p, _ := u2Provider(t)
	cfg := aws.Config{Region: "us-east-1", Credentials: p}
	cfg.APIOptions = append(cfg.APIOptions, p.RenewOnAuthFailure)
	ps := s3.NewPresignClient(s3.NewFromConfig(cfg))
	req, err := ps.PresignGetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("key")},
		s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	held := p.Stats().AccessKeyID
	if !strings.Contains(req.URL, "X-Amz-Credential="+held) {
		t.Errorf("presigned URL %s is not signed with the held key %s", req.URL, held)
	}
}

// A service rejects the held key while STS is down. The renewal that the rejection asks for
// cannot happen, and the key may well be good everywhere else (a service's clock trouble, an
// opt-in region that is not enabled answers InvalidClientTokenId for every key). The
// Provider's promise for an STS outage still holds: the held credentials, valid for most of
// an hour, go on being served to every other caller.
//
// Expected: after the failed renewal, Retrieve returns the held key without an error.
func TestUser2_RenewOnAuthFailure_DuringAnSTSOutageKeepsServing(t *testing.T) {
	p, srv := u2Provider(t, func(o *awssts.Options) { o.Duration = time.Hour })
	held, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv.Fail(ststest.ServiceUnavailable, 1<<20)
	f := newFakeS3(t)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(f.URL), Credentials: p}
	cfg.APIOptions = append(cfg.APIOptions, p.RenewOnAuthFailure)
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	f.revoke(held.AccessKeyID)
	if _, err := s3Client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("key")}); err == nil {
		t.Fatal("GetObject with the revoked key and STS down succeeded; the fake S3 is broken")
	}
	got, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("Retrieve after one service rejected the key during an STS outage: %v; want the held credentials (valid until %s)",
			err, held.Expires.Format(time.RFC3339))
	}
	if got.AccessKeyID != held.AccessKeyID {
		t.Errorf("Retrieve = %s, want the held %s", got.AccessKeyID, held.AccessKeyID)
	}
}

// The recipe at config level (cfg.APIOptions) and a client constructor of a shared library
// that adds it again for its own client: RenewOnAuthFailure is an option a user may well
// apply twice, and each is a documented way to install it.
//
// Expected: installing it twice is harmless; the client works and renews as with one.
func TestUser2_RenewOnAuthFailure_InstalledTwice(t *testing.T) {
	p, _ := u2Provider(t)
	f := newFakeS3(t)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(f.URL), Credentials: p}
	cfg.APIOptions = append(cfg.APIOptions, p.RenewOnAuthFailure)
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, p.RenewOnAuthFailure)
	})
	if _, err := s3Client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("key")}); err != nil {
		t.Errorf("GetObject with RenewOnAuthFailure in both cfg.APIOptions and the client's: %v; want no error", err)
	}
}

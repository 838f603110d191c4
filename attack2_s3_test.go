package awssts_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// a2S3 is an in-process S3 that rejects the first request with ExpiredToken, and records
// every request with its body.
type a2S3 struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
}

func (s *a2S3) RoundTrip(r *http.Request) (*http.Response, error) {
	var b []byte
	if r.Body != nil {
		b, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.bodies = append(s.bodies, b)
	first := len(s.reqs) == 1
	s.mu.Unlock()
	status, body := http.StatusOK, ""
	h := http.Header{"Etag": {`"5d41402abc4b2a76b9719d911017c592"`}}
	if first {
		status = http.StatusBadRequest
		body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>R</RequestId><HostId>H</HostId></Error>`
		h.Set("Content-Type", "application/xml")
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

// Expected: an S3 PutObject rejected with ExpiredToken is retried once, signed with the new
// key, with the same body and the same headers apart from the signature's.
func TestAttack2_RenewOnAuthFailure_S3PutObject(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, p := a2STS(t)
		svc := &a2S3{}
		client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("https://s3.invalid"), UsePathStyle: true,
			HTTPClient: &http.Client{Transport: svc}, Credentials: p, Retryer: aws.NopRetryer{},
			APIOptions: []func(*middleware.Stack) error{p.RenewOnAuthFailure}})
		payload := []byte(strings.Repeat("hello awssts ", 100))
		if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"),
			Body: bytes.NewReader(payload)}); err != nil {
			t.Fatalf("PutObject = %v, want the retry to succeed", err)
		}
		if len(svc.reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(svc.reqs))
		}
		a, b := svc.reqs[0], svc.reqs[1]
		if accessKeyOf(a.Header.Get("Authorization")) == accessKeyOf(b.Header.Get("Authorization")) {
			t.Errorf("the retry was signed with the rejected key again")
		}
		if !bytes.Equal(svc.bodies[0], svc.bodies[1]) {
			t.Errorf("the retry's body differs from the first:\n%q\n%q", svc.bodies[0], svc.bodies[1])
		}
		for name := range a.Header {
			switch strings.ToLower(name) {
			case "authorization", "x-amz-date", "x-amz-security-token", "amz-sdk-invocation-id", "amz-sdk-request":
				continue
			}
			if got, want := b.Header.Values(name), a.Header.Values(name); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("header %s: retry %q, first %q", name, got, want)
			}
		}
		for name := range b.Header {
			if _, ok := a.Header[name]; !ok {
				t.Errorf("header %s only on the retry: %q", name, b.Header.Values(name))
			}
		}
		t.Logf("first: %v\nretry: %v", a.Header, b.Header)
	})
}

package bench

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	rejectCallers = 50
	rejectRun     = 5 * time.Minute
	revokeAt      = time.Minute
)

// revoking is a service in front of ststest that answers requests signed with a revoked key
// InvalidClientTokenId, in STS's error shape, and passes the others on.
type revoking struct {
	next    http.RoundTripper
	mu      sync.Mutex
	revoked map[string]bool
}

func (s *revoking) revoke(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[key] = true
}

func (s *revoking) RoundTrip(r *http.Request) (*http.Response, error) {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	key, _, _ := strings.Cut(cred, "/")
	s.mu.Lock()
	revoked := s.revoked[key]
	s.mu.Unlock()
	if !revoked {
		return s.next.RoundTrip(r)
	}
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>` +
		`<Message>The security token included in the request is invalid.</Message></Error><RequestId>4b5e0f5e-7a0c-4d7e-9a55-0d3c5e1f2a10</RequestId></ErrorResponse>`
	return &http.Response{StatusCode: http.StatusForbidden, Status: "403 Forbidden", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/xml"}}, Body: io.NopCloser(bytes.NewBufferString(body)),
		ContentLength: int64(len(body)), Request: r}, nil
}

// Row 14: 50 callers each make one signed request a second (GetCallerIdentity, through an SDK
// client whose Credentials are the contender) for 5 simulated minutes; at 1 minute the
// service revokes the key the contender holds. awssts's client has p.RenewOnAuthFailure in its
// APIOptions and cfg.Credentials = p; the anchor's client has the aws.CredentialsCache.
func TestServiceRejection(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(benchKey, benchSecret)
		srv.AddRole(roleARN, time.Hour)
		svc := &revoking{next: srv.Client().Transport, revoked: map[string]bool{}}
		opts := sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: &http.Client{Transport: svc},
			Credentials: credentials.NewStaticCredentialsProvider(benchKey, benchSecret, "")}
		p := c.open(t, sts.New(opts))
		opts.Credentials = p
		if a, ok := p.(*awssts.Provider); ok {
			opts.APIOptions = []func(*middleware.Stack) error{a.RenewOnAuthFailure}
		}
		client := sts.New(opts)
		held, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(revokeAt)
			svc.revoke(held.AccessKeyID)
		}()

		var mu sync.Mutex
		var sum tally
		var rejected int
		end := time.Now().Add(rejectRun)
		var wg sync.WaitGroup
		for i := range rejectCallers {
			wg.Go(func() {
				var mine tally
				var no int
				time.Sleep(time.Duration(i)*time.Second/rejectCallers + 10*time.Millisecond)
				for ; time.Now().Before(end); time.Sleep(time.Second) {
					start := time.Now()
					_, err := client.GetCallerIdentity(t.Context(), nil)
					mine.observe(time.Since(start), err)
					if apiErr := smithy.APIError(nil); errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidClientTokenId" {
						no++
					}
				}
				mu.Lock()
				sum.merge(mine)
				rejected += no
				mu.Unlock()
			})
		}
		wg.Wait()
		shut(p)
		var assumes int
		for _, call := range srv.Calls() {
			if call.Action == "AssumeRole" {
				assumes++
			}
		}
		report(t, Result{Row: "rejection", Case: c.name, Calls: assumes, Retrieves: sum.retrieves, Errors: sum.errors,
			Expired: rejected, Waited: sum.waited, WorstMS: ms(sum.worst)})

		switch {
		case c.name == sdk.name && sum.errors < rejectCallers*60:
			t.Errorf("anchor: %d errors, expected the revoked key to fail every request until the cache renews", sum.errors)
		case c.name != sdk.name && (sum.errors != 0 || assumes != 2):
			t.Errorf("%d errors and %d AssumeRole calls; want 0, and 2: the first and one renewal", sum.errors, assumes)
		}
	})
}

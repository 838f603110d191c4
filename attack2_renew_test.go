package awssts_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// a2Service is an in-process AWS service (no sockets, so it runs in a synctest bubble) that
// rejects the requests signed with chosen keys, or all of them, in STS's error shape, and
// answers the others with a GetCallerIdentity document.
type a2Service struct {
	code string

	mu      sync.Mutex
	all     bool
	reject  map[string]int // key → rejections left
	seen    []string
	answers int
}

func (s *a2Service) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	key := accessKeyOf(r.Header.Get("Authorization"))
	s.mu.Lock()
	s.seen = append(s.seen, key)
	rejected := s.all || s.reject[key] > 0
	if s.reject[key] > 0 {
		s.reject[key]--
	}
	if !rejected {
		s.answers++
	}
	s.mu.Unlock()
	status, body := http.StatusOK, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/failover/x</Arn><UserId>AROAX:x</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>0c6a3c9e-3f36-4cf7-8a52-3a0d1e5a7f00</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	if rejected {
		status = http.StatusForbidden
		body = fmt.Sprintf(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>0c6a3c9e-3f36-4cf7-8a52-3a0d1e5a7f00</RequestId></ErrorResponse>`, s.code)
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/xml"}}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r}, nil
}

func (s *a2Service) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// client is an SDK client of s that signs with creds, renews p on an auth failure, and does
// not retry on its own.
func (s *a2Service) client(p *awssts.Provider, creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://service.invalid"),
		HTTPClient: &http.Client{Transport: s}, Credentials: creds, Retryer: aws.NopRetryer{},
		APIOptions: []func(*middleware.Stack) error{p.RenewOnAuthFailure}})
}

// a2STS is an in-memory ststest server with the failover test's user and role, and a
// Provider that assumes the role there.
func a2STS(t *testing.T) (*ststest.Server, *awssts.Provider) {
	t.Helper()
	srv := ststest.NewInMemoryServer()
	t.Cleanup(srv.Close)
	srv.AddUser(foUser, foSecret)
	srv.AddRole(foRole, 0)
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(foUser, foSecret, "")})
	p, err := awssts.New(c, foRole, func(o *awssts.Options) { o.Duration, o.ExpiryWindow = time.Hour, 5*time.Minute })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return srv, p
}

func a2Assumes(srv *ststest.Server) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.Action == "AssumeRole" {
			n++
		}
	}
	return n
}

// Expected: a key that a rejection's renewal gave is not renewed again when it too is
// rejected, whether or not the caller whose rejection started the renewal waited for it.
//
// A service that rejects everything, callers whose context (5 s) is shorter than a slow STS
// (10 s): the caller that triggered a renewal gives up before it ends, so renewFor never
// records the key it gave (rejection.to), and the next rejection of that key renews again.
// Every rejected request becomes a renewal: the storm RenewOnAuthFailure promises not to make.
func TestAttack2_RenewOnAuthFailure_StormWhenTheCallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, p := a2STS(t)
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Fatal(err)
		}
		svc := &a2Service{code: "InvalidClientTokenId", all: true}
		client := svc.client(p, p)
		srv.DelayAction("AssumeRole", 10*time.Second, 1000) // STS is slow, not down
		const requests = 5
		for range requests {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := client.GetCallerIdentity(ctx, nil)
			cancel()
			if err == nil {
				t.Fatal("a service that rejects everything answered")
			}
			time.Sleep(time.Minute) // any renewal in flight ends
		}
		if n := a2Assumes(srv); n > 2 {
			t.Errorf("%d AssumeRole calls for %d rejected requests from a service that rejects every key, want at most 2 (the first, and one renewal); keys seen: %v",
				n, requests, svc.requests())
		}
	})
}

// Expected: a request signed with credentials that p never held (another provider, static
// keys) is not p's concern: no retry, and no STS call of p's on its account.
//
// RenewOnAuthFailure treats any key other than the held one as "p has moved on since the
// request was signed": it retrieves from p (here the first AssumeRole, made on behalf of a
// request that p did not sign) and sends the request a second time, signed with the same
// foreign key.
func TestAttack2_RenewOnAuthFailure_ForeignKeyIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, p := a2STS(t)
		svc := &a2Service{code: "ExpiredToken", all: true}
		other := credentials.NewStaticCredentialsProvider("AKIAOTHERPRINCIPAL01", "other-secret", "")
		if _, err := svc.client(p, other).GetCallerIdentity(t.Context(), nil); err == nil {
			t.Fatal("a service that rejects everything answered")
		}
		if seen := svc.requests(); len(seen) != 1 {
			t.Errorf("the service saw %d requests %v for one call signed with a key p never held, want 1 (no retry)", len(seen), seen)
		}
		if n := a2Assumes(srv); n != 0 {
			t.Errorf("p made %d AssumeRole calls for a rejection of a key it never held, want 0", n)
		}
	})
}

// Expected: a rejection's renewal does not leave p with nothing while STS is down: the held
// credentials, which other services still accept, keep being served until a renewal succeeds.
//
// renewFor calls Invalidate before it has new credentials. With STS in an outage, one
// rejected request (one service with a bad clock, a single revoked-looking answer) empties p,
// and every caller of every service gets STS's outage as an error, although p held credentials
// good for another 55 minutes.
func TestAttack2_RenewOnAuthFailure_KeepsHeldCredentialsWhenTheRenewalFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, p := a2STS(t)
		held, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		srv.Fail(ststest.ServiceUnavailable, 1<<20) // STS is down from now on
		svc := &a2Service{code: "ExpiredToken", reject: map[string]int{held.AccessKeyID: 1}}
		if _, err := svc.client(p, p).GetCallerIdentity(t.Context(), nil); err == nil {
			t.Fatal("the rejected request was answered")
		}
		time.Sleep(time.Second)
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Errorf("after one rejected request during an STS outage, Retrieve = %v; want the held credentials (usable for 55 more minutes)", err)
		}
		if _, err := svc.client(p, p).GetCallerIdentity(t.Context(), nil); err != nil {
			t.Errorf("a later request, which the service would accept with the held key, failed: %v", err)
		}
	})
}

package awssts_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	rnUser   = "AKIARENEWUSER0000001"
	rnSecret = "renew-secret"
	rnRole   = "arn:aws:iam::123456789012:role/renew"
)

// rejecting is a service on loopback that rejects requests signed with chosen keys in STS's
// error shape, and passes every other request to an ststest server, which checks its SigV4
// signature, body included, and answers it.
type rejecting struct {
	*httptest.Server
	sts  *ststest.Server
	code string

	mu      sync.Mutex
	revoked map[string]bool
	all     bool // reject every key
	seen    []string
	hold    *sync.WaitGroup // rejections wait here until all of a burst have arrived
}

func newRejecting(t *testing.T, code string) *rejecting {
	t.Helper()
	r := &rejecting{sts: ststest.NewServer(), code: code, revoked: map[string]bool{}}
	t.Cleanup(r.sts.Close)
	r.sts.AddUser(rnUser, rnSecret)
	r.sts.AddRole(rnRole, 0)
	target, _ := url.Parse(r.sts.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		key := accessKeyOf(req.Header.Get("Authorization"))
		r.mu.Lock()
		r.seen = append(r.seen, key)
		reject, hold := r.all || r.revoked[key], r.hold
		r.mu.Unlock()
		if !reject {
			proxy.ServeHTTP(w, req)
			return
		}
		if hold != nil {
			hold.Done()
			hold.Wait()
		}
		status := http.StatusForbidden
		if strings.HasSuffix(r.code, "Exception") || r.code == "TokenRefreshRequired" {
			status = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>0c6a3c9e-3f36-4cf7-8a52-3a0d1e5a7f00</RequestId></ErrorResponse>`, r.code)
	}))
	t.Cleanup(r.Close)
	return r
}

func accessKeyOf(auth string) string {
	_, cred, _ := strings.Cut(auth, "Credential=")
	key, _, _ := strings.Cut(cred, "/")
	return key
}

func (r *rejecting) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func (r *rejecting) revoke(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked[key] = true
}

func (r *rejecting) assumes() int {
	n := 0
	for _, c := range r.sts.Calls() {
		if c.Action == "AssumeRole" {
			n++
		}
	}
	return n
}

// provider assumes rnRole at the ststest server behind r.
func (r *rejecting) provider(t *testing.T) *awssts.Provider {
	t.Helper()
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.sts.URL),
		Credentials: credentials.NewStaticCredentialsProvider(rnUser, rnSecret, "")})
	p, err := awssts.New(c, rnRole)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// service is an SDK client of r that signs with creds and renews p on an auth failure.
func (r *rejecting) service(p *awssts.Provider, creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.URL), Credentials: creds,
		APIOptions: []func(*middleware.Stack) error{p.RenewOnAuthFailure}})
}

// A service that revokes the held key: every caller's request is retried with new credentials
// and succeeds, after one renewal, for each of the four codes.
func TestRenewOnAuthFailure_RevokedKey(t *testing.T) {
	for _, code := range []string{"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "TokenRefreshRequired"} {
		t.Run(code, func(t *testing.T) {
			r := newRejecting(t, code)
			p := r.provider(t)
			held, err := p.Retrieve(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			svc := r.service(p, p)
			r.revoke(held.AccessKeyID)
			const callers = 50
			hold := &sync.WaitGroup{}
			hold.Add(callers) // all 50 are rejected with the held key before any renewal
			r.mu.Lock()
			r.hold = hold
			r.mu.Unlock()
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for range callers {
				wg.Go(func() {
					out, err := svc.GetCallerIdentity(context.Background(), nil)
					if err == nil && !strings.Contains(aws.ToString(out.Arn), "assumed-role/renew/") {
						err = fmt.Errorf("answered as %s", aws.ToString(out.Arn))
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("a caller saw %v", err)
				}
			}
			if n := r.assumes(); n != 2 {
				t.Errorf("%d AssumeRole calls, want 2: the first, and one renewal for %d rejections", n, callers)
			}
			if now := p.Stats().AccessKeyID; now == held.AccessKeyID {
				t.Errorf("p still holds the revoked key %s", now)
			}
		})
	}
}

// A service that rejects every key: each renewed key is rejected again and not renewed again.
func TestRenewOnAuthFailure_NoStormWhenEverythingIsRejected(t *testing.T) {
	r := newRejecting(t, "InvalidClientTokenId")
	p := r.provider(t)
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.all = true
	r.mu.Unlock()
	svc := r.service(p, p)
	for i := range 20 {
		_, err := svc.GetCallerIdentity(t.Context(), nil)
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidClientTokenId" {
			t.Fatalf("call %d: %v, want the service's InvalidClientTokenId", i, err)
		}
	}
	if n := r.assumes(); n != 2 {
		t.Errorf("%d AssumeRole calls for 20 rejected requests, want 2: one renewal, for the first held key only", n)
	}
	if n := len(r.keys()); n != 21 {
		t.Errorf("the service saw %d requests, want 21: the first retried once, the rest not", n)
	}
}

// With an aws.CredentialsCache in front of p, the cache keeps the rejected key: p does not
// renew for a key it no longer holds, and the one retry is signed with the cached key again.
// That is why the recipe is cfg.Credentials = p.
func TestRenewOnAuthFailure_KeyNoLongerHeld(t *testing.T) {
	r := newRejecting(t, "ExpiredToken")
	p := r.provider(t)
	cache := aws.NewCredentialsCache(p)
	old, err := cache.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p.Invalidate()
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.revoke(old.AccessKeyID)
	_, err = r.service(p, cache).GetCallerIdentity(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), "ExpiredToken") {
		t.Fatalf("GetCallerIdentity through a cache holding the revoked key = %v, want ExpiredToken", err)
	}
	if n := r.assumes(); n != 2 {
		t.Errorf("%d AssumeRole calls, want 2: no renewal for a key p no longer holds", n)
	}
	if seen := r.keys(); len(seen) != 2 || seen[1] != old.AccessKeyID {
		t.Errorf("the service saw keys %v, want the old key twice (one retry)", seen)
	}
}

// Other errors are the caller's: no renewal and no retry.
func TestRenewOnAuthFailure_NotOnOtherErrors(t *testing.T) {
	r := newRejecting(t, "AccessDenied")
	p := r.provider(t)
	held, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	r.revoke(held.AccessKeyID)
	if _, err := r.service(p, p).GetCallerIdentity(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("GetCallerIdentity = %v, want AccessDenied", err)
	}
	if n, seen := r.assumes(), len(r.keys()); n != 1 || seen != 1 {
		t.Errorf("%d AssumeRole calls and %d requests, want 1 and 1", n, seen)
	}
}

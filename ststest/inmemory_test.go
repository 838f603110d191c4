package ststest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// Tests on the in-memory server inside synctest bubbles, where hours pass at once.

func newInMemoryServer(t *testing.T) *ststest.Server {
	t.Helper()
	srv := ststest.NewInMemoryServer()
	t.Cleanup(srv.Close)
	srv.AddUser(testKeyID, testSecret)
	srv.AddRole(testRole, time.Hour)
	return srv
}

func TestInMemoryIssuedCredentialsExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		out, err := assumeRole(t.Context(), newClient(srv, userCreds(), pipesOf(srv)), testRole, "short", 900)
		if err != nil {
			t.Fatalf("AssumeRole: %v", err)
		}
		if want := time.Now().Add(15 * time.Minute); !out.Credentials.Expiration.Equal(want) {
			t.Errorf("Expiration = %v, want %v", out.Credentials.Expiration, want)
		}
		c := newClient(srv, sdkCreds(out), pipesOf(srv))
		time.Sleep(15*time.Minute - time.Second)
		if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
			t.Fatalf("GetCallerIdentity a second before expiry: %v", err)
		}
		time.Sleep(time.Second)
		_, err = c.GetCallerIdentity(t.Context(), nil)
		checkAPIError(t, err, http.StatusForbidden, "ExpiredToken")
	})
}

// Stale-on-failure over HTTP: STS fails after the first issue, and every caller is still
// served the held credentials, with one STS call per retry, until a minute before they expire.
func TestProviderStaleOnFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
		first, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatalf("first Retrieve: %v", err)
		}
		expiration := p.Stats().Expiration

		srv.Fail(ststest.ServiceUnavailable, 1<<20)
		time.Sleep(time.Until(first.Expires) + time.Second) // into the ExpiryWindow
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				creds, err := p.Retrieve(context.Background())
				if err != nil || creds.AccessKeyID != first.AccessKeyID {
					t.Errorf("Retrieve while STS fails = %q, %v; want the held %q", creds.AccessKeyID, err, first.AccessKeyID)
				}
			})
		}
		wg.Wait()
		synctest.Wait() // the renewal the callers started in the background
		st := p.Stats()
		if calls := srv.Calls(); len(calls) != 2 || calls[1].ErrorCode != "ServiceUnavailable" {
			t.Fatalf("%d STS calls, want 2: 100 callers during an outage must make one", len(calls))
		}
		if st.Failures != 1 || !strings.Contains(st.LastError, "ServiceUnavailable") || !st.Expiration.Equal(expiration) {
			t.Errorf("Stats = %+v, want 1 failure and the held expiry %v", st, expiration)
		}

		// Callers keep getting the held credentials while the provider backs off and retries.
		for time.Now().Before(expiration.Add(-time.Minute)) {
			creds, err := p.Retrieve(t.Context())
			if err != nil || creds.AccessKeyID != first.AccessKeyID {
				t.Fatalf("Retrieve at %v before expiry = %q, %v", time.Until(expiration), creds.AccessKeyID, err)
			}
			time.Sleep(time.Second)
		}
		if n := len(srv.Calls()); n < 3 || n > 40 {
			t.Errorf("%d STS calls in the last 10 minutes, want a few backed-off retries", n)
		}

		// Within a minute of expiry the error comes through, as the STS error.
		_, err = p.Retrieve(t.Context())
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ServiceUnavailable" {
			t.Fatalf("Retrieve a minute before expiry = %v, want ServiceUnavailable", err)
		}
	})
}

// Recovery: when STS answers again, the next retry replaces the held credentials.
func TestProviderStaleThenRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
		first, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatalf("first Retrieve: %v", err)
		}
		srv.Fail(ststest.Throttling, 1)
		time.Sleep(time.Until(first.Expires) + time.Second)
		if creds, err := p.Retrieve(t.Context()); err != nil || creds.AccessKeyID != first.AccessKeyID {
			t.Fatalf("Retrieve while throttled = %q, %v; want the held credentials", creds.AccessKeyID, err)
		}
		var next aws.Credentials
		for next.AccessKeyID == "" || next.AccessKeyID == first.AccessKeyID {
			time.Sleep(time.Second)
			if next, err = p.Retrieve(t.Context()); err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
		}
		if st := p.Stats(); st.Refreshes != 2 || st.Failures != 1 || st.LastError != "" {
			t.Errorf("Stats = %+v, want 2 refreshes around 1 failure", st)
		}
		if n := len(srv.Calls()); n != 3 {
			t.Errorf("%d STS calls, want 3", n)
		}
	})
}

// A hung STS costs the provider its refresh timeout, and Close of the server ends the wait.
func TestProviderHungSTS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		srv.Delay(24*time.Hour, 1)
		p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
		start := time.Now()
		_, err := p.Retrieve(t.Context())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Retrieve from a hung STS = %v, want a deadline", err)
		}
		if waited := time.Since(start); waited >= 24*time.Hour {
			t.Errorf("Retrieve waited %v, the whole delay", waited)
		}
		time.Sleep(30 * time.Second) // the longest backoff with nothing to serve
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Fatalf("Retrieve once STS answers: %v", err)
		}
		if c := srv.Calls(); len(c) != 2 || c[0].Delay != 24*time.Hour {
			t.Errorf("calls = %+v", c)
		}
	})
}

func TestProviderPrefetchInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole, func(o *awssts.Options) { o.Prefetch = true })
		first, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatalf("Retrieve: %v", err)
		}
		next := p.Stats().NextPrefetch
		if next.IsZero() || !next.Before(first.Expires) {
			t.Fatalf("NextPrefetch = %v, want before the refresh at %v", next, first.Expires)
		}
		time.Sleep(time.Until(first.Expires))
		synctest.Wait()
		if n := len(srv.Calls()); n != 2 {
			t.Fatalf("%d STS calls by the refresh time, want 2: the prefetch ran", n)
		}
		start := time.Now()
		creds, err := p.Retrieve(t.Context())
		if err != nil || creds.AccessKeyID == first.AccessKeyID || time.Since(start) != 0 {
			t.Errorf("Retrieve after prefetch = %q, %v, after %v; want new credentials at once", creds.AccessKeyID, err, time.Since(start))
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

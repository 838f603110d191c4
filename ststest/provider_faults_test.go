package ststest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/awssts/awssts/ststest"
)

// End-to-end tests of a Provider over HTTP while the server injects faults.

func TestProviderRetriesFaults(t *testing.T) {
	for _, kind := range []ststest.FaultKind{ststest.InternalFailure, ststest.ServiceUnavailable, ststest.ConnectionReset} {
		t.Run(kind.String(), func(t *testing.T) {
			srv := newServer(t)
			srv.Fail(kind, 2)
			p := newProvider(t, providerConfig(srv, userSource(), quickRetries), testRole)
			if _, err := p.Retrieve(t.Context()); err != nil {
				t.Fatalf("Retrieve after 2 × %v: %v", kind, err)
			}
			if n, st := len(srv.Calls()), p.Stats(); n != 3 || st.Refreshes != 1 || st.Failures != 0 {
				t.Errorf("%d calls, Stats %+v; want 3 attempts making 1 refresh", n, st)
			}
		})
	}
}

// Throttling is left to the Provider's own backoff, which spreads the next call over a minute,
// not retried by the SDK's default retryer within the call.
func TestProviderThrottlingWithDefaultRetryer(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.Throttling, 1)
	p := newProvider(t, providerConfig(srv, userSource(), nil), testRole)
	if _, err := p.Retrieve(t.Context()); err == nil || !strings.Contains(err.Error(), "Throttling") {
		t.Fatalf("Retrieve after one Throttling = %v, want the Throttling error", err)
	}
	if calls := srv.Calls(); len(calls) != 1 || calls[0].ErrorCode != "Throttling" {
		t.Errorf("calls = %+v, want the one throttled call, not retried", calls)
	}
}

func TestProviderFaultsWithoutRetries(t *testing.T) {
	for _, tc := range []struct {
		kind ststest.FaultKind
		code string // "" when the failure is not an STS error
	}{
		{ststest.Throttling, "Throttling"},
		{ststest.InternalFailure, "InternalFailure"},
		{ststest.ServiceUnavailable, "ServiceUnavailable"},
		{ststest.MalformedResponse, ""},
		{ststest.ConnectionReset, ""},
		{ststest.ExpiredCredentials, ""},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			srv := newServer(t)
			srv.Fail(tc.kind, 1)
			p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
			_, err := p.Retrieve(t.Context())
			if err == nil {
				t.Fatalf("Retrieve succeeded through %v", tc.kind)
			}
			var apiErr smithy.APIError
			if got := errors.As(err, &apiErr); got != (tc.code != "") || got && apiErr.ErrorCode() != tc.code {
				t.Errorf("error = %v, want STS code %q", err, tc.code)
			}
			if _, again := p.Retrieve(t.Context()); again == nil || len(srv.Calls()) != 1 {
				t.Fatalf("Retrieve during the backoff = %v after %d calls, want the error again and no call", again, len(srv.Calls()))
			}
			p.Invalidate() // try now
			creds, err := p.Retrieve(t.Context())
			if err != nil || !asiaKeyID.MatchString(creds.AccessKeyID) {
				t.Fatalf("Retrieve once the fault is gone = %q, %v", creds.AccessKeyID, err)
			}
			if st := p.Stats(); st.Failures != 1 || st.Refreshes != 1 || st.LastError != "" {
				t.Errorf("Stats = %+v, want 1 failure then 1 refresh", st)
			}
		})
	}
}

func TestProviderExpiredCredentialsSaysSo(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.ExpiredCredentials, 1)
	p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
	if _, err := p.Retrieve(t.Context()); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Retrieve of expired credentials: %v, want an error about expiry", err)
	}
}

func TestProviderDelayedSTS(t *testing.T) {
	srv := newServer(t)
	srv.Delay(time.Millisecond, 1)
	p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Fatalf("Retrieve through a slow STS: %v", err)
	}
	if c := srv.Calls(); len(c) != 1 || c[0].Delay != time.Millisecond {
		t.Errorf("calls = %+v, want one delayed call", c)
	}
}

func TestProviderManyGoroutinesOneCall(t *testing.T) {
	srv := newServer(t)
	srv.Delay(time.Millisecond, 1) // so that the goroutines pile up on the first refresh
	p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
	var wg sync.WaitGroup
	keys := make([]string, 200)
	for i := range keys {
		wg.Go(func() {
			creds, err := p.Retrieve(context.Background())
			if err != nil {
				t.Error(err)
			}
			keys[i] = creds.AccessKeyID
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("goroutines got different keys %q and %q", keys[0], k)
		}
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d STS calls for 200 goroutines, want 1", n)
	}
}

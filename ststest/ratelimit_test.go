package ststest_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/awssts/awssts/ststest"
)

// Over the rate, calls are answered 400 Throttling "Rate exceeded" in STS's XML error shape,
// and the bucket refills at the rate: a burst of calls, then one a tick.
func TestRateLimitThrottlesOverTheRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		srv.SetRateLimit(10, 5)
		c := newClient(srv, userCreds(), pipesOf(srv))
		for i := range 5 {
			if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
				t.Fatalf("call %d of the burst: %v", i+1, err)
			}
		}
		_, err := c.GetCallerIdentity(t.Context(), nil)
		apiErr := checkAPIError(t, err, http.StatusBadRequest, "Throttling")
		if apiErr.ErrorMessage() != "Rate exceeded" {
			t.Errorf("message = %q, want %q", apiErr.ErrorMessage(), "Rate exceeded")
		}
		if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
			t.Errorf("the SDK does not see %v as throttling", err)
		}

		time.Sleep(100 * time.Millisecond) // one token at 10 a second
		if _, err := assumeRole(t.Context(), c, testRole, "refilled", 0); err != nil {
			t.Fatalf("AssumeRole after one token came back: %v", err)
		}
		_, err = assumeRole(t.Context(), c, testRole, "again", 0)
		checkAPIError(t, err, http.StatusBadRequest, "Throttling")

		calls := srv.Calls()
		if len(calls) != 8 {
			t.Fatalf("%d calls recorded, want 8", len(calls))
		}
		for i, call := range calls {
			want := ""
			if i == 5 || i == 7 {
				want = "Throttling"
			}
			if call.ErrorCode != want || call.Fault != 0 {
				t.Errorf("call %d: ErrorCode %q, Fault %v; want %q and no injected fault", i, call.ErrorCode, call.Fault, want)
			}
		}
	})
}

// The bucket holds at most burst tokens however long the server idles, and SetRateLimit(0, 0)
// removes the limit.
func TestRateLimitBurstCapAndRemoval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		srv.SetRateLimit(1, 2)
		c := newClient(srv, userCreds(), pipesOf(srv))
		time.Sleep(time.Hour)
		var throttled int
		for range 4 {
			if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
				throttled++
			}
		}
		if throttled != 2 {
			t.Errorf("%d of 4 calls after an idle hour throttled, want 2 (burst 2)", throttled)
		}
		srv.SetRateLimit(0, 0)
		for i := range 20 {
			if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
				t.Fatalf("call %d without a limit: %v", i+1, err)
			}
		}
	})
}

// An injected fault comes first and takes no token.
func TestRateLimitAfterInjectedFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		srv.SetRateLimit(1, 1)
		srv.Fail(ststest.InternalFailure, 1)
		c := newClient(srv, userCreds(), pipesOf(srv))
		_, err := c.GetCallerIdentity(t.Context(), nil)
		checkAPIError(t, err, http.StatusInternalServerError, "InternalFailure")
		if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
			t.Fatalf("the first call past the fault: %v", err)
		}
	})
}

// SetRateLimit rejects a negative rate or a burst below 1 with a limit.
func TestRateLimitRejectsBadArguments(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		rate  float64
		burst int
	}{{-1, 1}, {1, 0}, {0, 3}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetRateLimit(%v, %d) did not panic", tc.rate, tc.burst)
				}
			}()
			srv.SetRateLimit(tc.rate, tc.burst)
		}()
	}
}

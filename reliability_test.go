package awssts

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// With nothing ever issued, 50 callers a second for 10 minutes make a few dozen STS calls,
// each failing Retrieve returns at once, and the Provider recovers within 30 s of STS.
func TestLongOutage_NothingIssued_BacksOff_RecoversWithin30s(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeSTS{latency: 50 * time.Millisecond, err: errUnavailable}
			p := newTestProvider(t, f, func(o *Options) { o.Prefetch = prefetch })
			res := runLoad(p, 50, time.Now().Add(10*time.Minute))
			t.Logf("prefetch=%v: %d retrieves, %d errors, %d waited, %d STS calls", prefetch, res.retrieves, res.errors, res.waited, f.count())
			if calls := f.count(); calls > 40 {
				t.Errorf("prefetch=%v: %d STS calls in a 10-minute outage, want a few dozen at most", prefetch, calls)
			}
			var apiErr smithy.APIError
			if !errors.As(res.lastErr, &apiErr) || apiErr.ErrorCode() != "ServiceUnavailable" {
				t.Errorf("prefetch=%v: last error %v, want the wrapped STS error", prefetch, res.lastErr)
			}

			_, _ = p.Retrieve(context.Background()) // a call now if the backoff just ended
			calls := f.count()
			start := time.Now()
			_, err := p.Retrieve(context.Background())
			if err == nil || !strings.Contains(err.Error(), "not retried until") || time.Since(start) != 0 || f.count() != calls {
				t.Errorf("prefetch=%v: Retrieve during the backoff = %v after %v and %d new calls, want the error at once, saying when it is tried next",
					prefetch, err, time.Since(start), f.count()-calls)
			}

			f.setErr(nil)
			recovered := start
			for {
				if _, err := p.Retrieve(context.Background()); err == nil {
					break
				}
				time.Sleep(time.Second)
				recovered = time.Now()
			}
			if took := recovered.Sub(start); took > maxEmptyBackoff+time.Second {
				t.Errorf("prefetch=%v: recovered %v after STS did, want within %v", prefetch, took, maxEmptyBackoff)
			}
			p.Close()
		})
	}
}

// A permanent error on the first call follows the same backoff, and Invalidate means "try now".
func TestAccessDenied_BacksOff_InvalidateTriesNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}}
		p := newTestProvider(t, f)
		for range 100 {
			if _, err := p.Retrieve(context.Background()); err == nil {
				t.Fatal("Retrieve succeeded while STS denies")
			}
		}
		if n := f.count(); n != 1 {
			t.Errorf("100 Retrieves at once after AccessDenied made %d calls, want 1", n)
		}
		f.setErr(nil)
		p.Invalidate()
		mustRetrieve(t, p)
		if n := f.count(); n != 2 {
			t.Errorf("Retrieve after Invalidate: %d calls, want 2", n)
		}
	})
}

// A TokenProvider that never returns holds neither Close nor a caller without a deadline
// past refreshTimeout.
func TestTokenProviderBlocks_CloseReturnsAtOnce_CallersBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		asked := 0
		p := newTestProvider(t, &fakeSTS{}, func(o *Options) {
			o.SerialNumber = ptr("arn:aws:iam::123456789012:mfa/alice")
			o.TokenProvider = func() (string, error) { asked++; <-release; return "123456", nil }
			o.Prefetch = true
		})
		synctest.Wait() // the prefetch goroutine is blocked in the TokenProvider
		start := time.Now()
		p.Close()
		if d := time.Since(start); d != 0 {
			t.Errorf("Close took %v while the TokenProvider blocked", d)
		}
		_, err := p.Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "did not answer") || time.Since(start) != refreshTimeout {
			t.Errorf("Retrieve = %v after %v, want the TokenProvider's timeout after %v", err, time.Since(start), refreshTimeout)
		}
		if asked != 1 {
			t.Errorf("TokenProvider asked %d times, want 1: a blocked prompt is joined, not repeated", asked)
		}
	})
}

// A Provider with prefetch that the program drops without Close is collected, and its
// goroutine stops calling STS.
func TestPrefetch_DroppedProvider_IsCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{}
		p, err := New(f, testRoleARN, func(o *Options) { o.Prefetch = true })
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		wp := weak.Make(p)
		p = nil
		for i := 0; wp.Value() != nil && i < 10; i++ {
			runtime.GC()
		}
		if wp.Value() != nil {
			t.Fatal("the dropped Provider is still reachable")
		}
		synctest.Wait()
		calls := f.count()
		time.Sleep(6 * time.Hour)
		if n := f.count(); n != calls {
			t.Errorf("%d STS calls after the Provider was dropped", n-calls)
		}
	})
}

// After Close, due credentials are renewed by the caller, and no goroutine is left running.
func TestRetrieveAfterClose_RenewsInline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: time.Second}
		p := newTestProvider(t, f)
		first := mustRetrieve(t, p)
		p.Close()
		time.Sleep(time.Until(first.Expires) + time.Second)
		c := mustRetrieve(t, p)
		p.mu.Lock()
		renewing := p.inflight
		p.mu.Unlock()
		if renewing != nil || f.count() != 2 || c.AccessKeyID == first.AccessKeyID {
			t.Errorf("after Close: goroutine %v, %d calls, key %s; want an inline renewal", renewing != nil, f.count(), c.AccessKeyID)
		}
	})
}

// An error that comes through the SDK's cache in front of the Provider carries its prefix once.
func TestError_ThroughOuterCache_OnePrefix(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newTestProvider(t, &fakeSTS{err: errUnavailable})
		_, err := aws.NewCredentialsCache(p).Retrieve(context.Background())
		if n := strings.Count(err.Error(), "failed to refresh cached credentials"); n != 1 {
			t.Errorf("error %q has the cache's prefix %d times, want 1", err, n)
		}
	})
}

func ptr(s string) *string { return &s }

// An Invalidate that races a refresh just finishing is never lost: the first Retrieve after it
// returns credentials from a call that began after it. 2,000 trials.
func TestInvalidate_RacingRefresh_NeverLost(t *testing.T) {
	f := &fakeSTS{}
	p := newTestProvider(t, f)
	serial := func(c aws.Credentials) int {
		n, err := strconv.Atoi(strings.TrimPrefix(c.AccessKeyID, "ASIAFAKE"))
		if err != nil {
			t.Fatalf("key %q: %v", c.AccessKeyID, err)
		}
		return n
	}
	lost := 0
	for trial := range 2000 {
		p.Invalidate()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = p.Retrieve(context.Background())
		}()
		for range trial % 7 {
			runtime.Gosched()
		}
		before := f.count()
		p.Invalidate()
		if c := mustRetrieve(t, p); serial(c) <= before {
			lost++
		}
		<-done
	}
	if lost > 0 {
		t.Errorf("%d of 2,000 invalidations were lost: the next Retrieve served keys fetched before them", lost)
	}
}

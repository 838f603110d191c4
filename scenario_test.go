package awssts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/smithy-go"
)

// load is what callers saw while goroutines called Retrieve once a simulated second.
type load struct {
	retrieves, errors, waited int
	worstWait                 time.Duration
	lastErr                   error
}

// runLoad has n goroutines call p.Retrieve once a second until the bubble's clock reaches
// end. Inside synctest a call only takes simulated time if it waited on (fake) STS.
func runLoad(p aws.CredentialsProvider, n int, end time.Time) load {
	var (
		mu  sync.Mutex
		res load
		wg  sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for time.Now().Before(end) {
				start := time.Now()
				_, err := p.Retrieve(context.Background())
				wait := time.Since(start)
				mu.Lock()
				res.retrieves++
				if err != nil {
					res.errors++
					res.lastErr = err
				}
				if wait > 0 {
					res.waited++
					res.worstWait = max(res.worstWait, wait)
				}
				mu.Unlock()
				time.Sleep(time.Second)
			}
		})
	}
	wg.Wait()
	return res
}

// anchor is what a user would otherwise write: stscreds in an aws.CredentialsCache with
// the same duration and a 10-minute window.
func anchor(f *fakeSTS) *aws.CredentialsCache {
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(f, testRoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.Duration = DefaultDuration
	}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 10 * time.Minute })
}

func mustRetrieve(t *testing.T, p aws.CredentialsProvider) aws.Credentials {
	t.Helper()
	c, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	return c
}

// 50 goroutines calling every second for 3 hours never wait on a 100 ms STS after the first
// call, with prefetch or renewing in the background on demand; with the SDK's own stscreds,
// every refresh makes callers wait.
func TestRefreshWait_3h50Goroutines_AwsstsWaitsNever(t *testing.T) {
	cases := []struct {
		name       string
		make       func(*testing.T, *fakeSTS) aws.CredentialsProvider
		wantWaited bool
	}{
		{"awssts prefetch", func(t *testing.T, f *fakeSTS) aws.CredentialsProvider {
			return newTestProvider(t, f, func(o *Options) { o.Prefetch = true })
		}, false},
		{"awssts on demand", func(t *testing.T, f *fakeSTS) aws.CredentialsProvider { return newTestProvider(t, f) }, false},
		{"stscreds anchor", func(_ *testing.T, f *fakeSTS) aws.CredentialsProvider { return anchor(f) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSTS{latency: 100 * time.Millisecond}
				p := tc.make(t, f)
				mustRetrieve(t, p)
				res := runLoad(p, 50, time.Now().Add(3*time.Hour))
				t.Logf("%s: %d retrieves, %d waited (worst %v), %d errors, %d STS calls",
					tc.name, res.retrieves, res.waited, res.worstWait, res.errors, f.count())
				if res.errors != 0 {
					t.Errorf("%d errors, last: %v", res.errors, res.lastErr)
				}
				if f.count() < 4 {
					t.Errorf("%d STS calls in 3 h of hour-long sessions, want at least 4", f.count())
				}
				if got := res.waited > 0; got != tc.wantWaited {
					t.Errorf("calls waited on STS: %v (%d, worst %v), want %v", got, res.waited, res.worstWait, tc.wantWaited)
				}
				if tc.wantWaited && res.worstWait != f.latency {
					t.Errorf("worst wait %v, want one STS latency %v", res.worstWait, f.latency)
				}
				if c, ok := p.(*Provider); ok {
					c.Close()
				}
			})
		})
	}
}

// When STS goes down after the first issue, callers get the held credentials without error
// until 1 minute before their real expiry, for at most 40 STS calls; then the wrapped error.
func TestOutage_NoErrorsUntilOneMinuteBeforeExpiry_AtMost40Calls(t *testing.T) {
	for _, prefetch := range []bool{true, false} {
		t.Run(map[bool]string{true: "prefetch", false: "on demand"}[prefetch], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSTS{latency: 100 * time.Millisecond}
				p := newTestProvider(t, f, func(o *Options) { o.Prefetch = prefetch })
				mustRetrieve(t, p)
				f.setErr(errUnavailable)
				expires := p.Stats().Expiration

				res := runLoad(p, 50, expires.Add(-staleMargin))
				t.Logf("%d retrieves, %d errors, %d waited (worst %v), %d STS calls", res.retrieves, res.errors, res.waited, res.worstWait, f.count())
				if res.errors != 0 {
					t.Errorf("%d errors while the credentials were valid, last: %v", res.errors, res.lastErr)
				}
				if calls := f.count(); calls > 40 || calls < 3 {
					t.Errorf("%d STS calls during the outage, want 3..40 (retries, but backed off)", calls)
				}
				if res.waited != 0 {
					t.Errorf("%d calls waited on STS while usable credentials were held", res.waited)
				}
				if s := p.Stats(); s.Failures == 0 || s.LastError == "" {
					t.Errorf("Stats after outage = %+v, want failures and the last error", s)
				}

				time.Sleep(time.Until(expires.Add(-staleMargin)) + time.Second)
				_, err := p.Retrieve(context.Background())
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ServiceUnavailable" {
					t.Fatalf("Retrieve past the margin = %v, want the wrapped STS error", err)
				}

				f.setErr(nil) // the next call comes after the backoff, at most 30 s later
				synctest.Wait()
				time.Sleep(maxEmptyBackoff)
				c := mustRetrieve(t, p)
				if s := p.Stats(); !s.Expiration.After(time.Now().Add(DefaultDuration-3*time.Minute)) || s.LastError != "" || c.Expired() {
					t.Errorf("after STS recovered: Stats %+v, creds expired %v; want fresh credentials", s, c.Expired())
				}
				p.Close()
			})
		})
	}
}

// The anchor in the same outage: every call inside its window is an error.
func TestOutage_StscredsAnchorServesErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: 100 * time.Millisecond}
		p := anchor(f)
		first := mustRetrieve(t, p)
		f.setErr(errUnavailable)
		res := runLoad(p, 50, first.Expires.Add(10*time.Minute-staleMargin))
		t.Logf("anchor: %d retrieves, %d errors, %d STS calls", res.retrieves, res.errors, f.count())
		if res.errors < 20000 || f.count() < 400 {
			t.Errorf("anchor served %d errors with %d STS calls; expected the SDK to fail every call in its window", res.errors, f.count())
		}
	})
}

// 1000 goroutines asking at once share a single AssumeRole call.
func TestFirstRetrieve_1000Goroutines_OneCall(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeSTS{latency: 100 * time.Millisecond}
			p := newTestProvider(t, f, func(o *Options) { o.Prefetch = prefetch })
			var wg sync.WaitGroup
			keys := make([]string, 1000)
			for i := range keys {
				wg.Go(func() { keys[i] = mustRetrieve(t, p).AccessKeyID })
			}
			wg.Wait()
			if f.count() != 1 {
				t.Errorf("prefetch=%v: %d AssumeRole calls, want 1", prefetch, f.count())
			}
			for i, k := range keys {
				if k != keys[0] {
					t.Fatalf("goroutine %d got key %q, goroutine 0 got %q", i, k, keys[0])
				}
			}
			p.Close()
		})
	}
}

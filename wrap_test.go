package awssts

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// rotatingSource is an IMDS-like provider: it issues credentials that live for life, and
// answers with the same ones until rotateBefore their expiry. It can be switched off.
type rotatingSource struct {
	mu           sync.Mutex
	life         time.Duration
	rotateBefore time.Duration
	latency      time.Duration
	down         bool
	static       bool
	calls, keys  int
	cur          aws.Credentials
}

func (s *rotatingSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	s.calls++
	down, latency := s.down, s.latency
	s.mu.Unlock()
	time.Sleep(latency)
	s.mu.Lock()
	defer s.mu.Unlock()
	if down {
		return aws.Credentials{}, errUnavailable
	}
	if !s.cur.HasKeys() || s.cur.CanExpire && !time.Now().Before(s.cur.Expires.Add(-s.rotateBefore)) {
		s.keys++
		s.cur = aws.Credentials{AccessKeyID: fmt.Sprintf("ASIAROT%d", s.keys), SecretAccessKey: "SECRET-rot-must-not-leak",
			SessionToken: "TOKEN-rot-must-not-leak", Source: "rotating", CanExpire: !s.static, Expires: time.Now().Add(s.life)}
	}
	return s.cur, nil
}

func (s *rotatingSource) counts() (calls, keys int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.keys
}

func (s *rotatingSource) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

func mustWrap(t *testing.T, src aws.CredentialsProvider, optFns ...func(*WrapOptions)) *Provider {
	t.Helper()
	p, err := Wrap(src, optFns...)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	t.Cleanup(func() {
		p.Close()
		time.Sleep(time.Second) // a call that Close abandoned goes on behind the SDK's cache, which ignores cancellation
	})
	return p
}

func TestWrap_BadInput_NamesField(t *testing.T) {
	if _, err := Wrap(nil); err == nil || !strings.Contains(err.Error(), "src is nil") {
		t.Errorf("Wrap(nil) = %v, want an error naming src", err)
	}
	for _, w := range []time.Duration{-time.Second, 13 * time.Hour} {
		_, err := Wrap(&rotatingSource{}, func(o *WrapOptions) { o.ExpiryWindow = w })
		if err == nil || !strings.Contains(err.Error(), "ExpiryWindow") || !strings.Contains(err.Error(), "12h") {
			t.Errorf("ExpiryWindow %v: %v, want an error naming the field and its range", w, err)
		}
	}
}

// Behind the SDK's own cache, as config.LoadDefaultConfig returns it, every renewal reaches the
// real source and brings new keys; 50 callers a second for 3 hours never wait.
func TestWrap_ThroughSDKCache_RenewalsReachSource_NoWaits(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			src := &rotatingSource{life: time.Hour, rotateBefore: time.Hour, latency: 100 * time.Millisecond}
			p := mustWrap(t, aws.NewCredentialsCache(src), func(o *WrapOptions) { o.Prefetch = prefetch })
			mustRetrieve(t, p)
			res := runLoad(p, 50, time.Now().Add(3*time.Hour))
			calls, keys := src.counts()
			if res.waited != 0 || res.errors != 0 || keys < 4 || calls != keys {
				t.Errorf("prefetch=%v: %d waited, %d errors, %d source calls for %d keys; want 0, 0 and one call per new key over 3 h",
					prefetch, res.waited, res.errors, calls, keys)
			}
		})
	}
}

// A source that returns the held credentials until 5 minutes before their expiry is asked
// again with backoff: no loop of calls, no waits, and the rotated keys are taken.
func TestWrap_UnchangedAnswers_BackOff_NoWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &rotatingSource{life: time.Hour, rotateBefore: 5 * time.Minute, latency: 100 * time.Millisecond}
		p := mustWrap(t, aws.NewCredentialsCache(src))
		mustRetrieve(t, p)
		res := runLoad(p, 50, time.Now().Add(3*time.Hour))
		calls, keys := src.counts()
		t.Logf("%d retrieves, %d waited, %d source calls, %d keys", res.retrieves, res.waited, calls, keys)
		if res.waited != 0 || res.errors != 0 || keys < 3 || calls > keys*10 {
			t.Errorf("%d waited, %d errors, %d source calls for %d keys; want 0, 0 and a few calls per key", res.waited, res.errors, calls, keys)
		}
	})
}

// Credentials that cannot expire pass through: one source call, and no goroutine even with
// prefetch asked for.
func TestWrap_StaticCredentials_OneCall_NoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &rotatingSource{static: true}
		p := mustWrap(t, src, func(o *WrapOptions) { o.Prefetch = true })
		synctest.Wait()
		for range 100 {
			if c := mustRetrieve(t, p); c.CanExpire || c.AccessKeyID != "ASIAROT1" {
				t.Fatalf("Retrieve = %s (can expire %v), want the static keys", c.AccessKeyID, c.CanExpire)
			}
			time.Sleep(time.Hour)
		}
		p.mu.Lock()
		prefetching := p.prefetch != nil
		p.mu.Unlock()
		if calls, _ := src.counts(); calls != 1 || prefetching {
			t.Errorf("%d source calls, prefetch goroutine %v; want 1 and none", calls, prefetching)
		}
	})
}

// An outage of the source serves the held credentials without error until a minute before
// they expire, with a bounded number of calls.
func TestWrap_Outage_NoErrorsWhileValid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &rotatingSource{life: time.Hour, latency: 100 * time.Millisecond}
		p := mustWrap(t, aws.NewCredentialsCache(src), func(o *WrapOptions) { o.Prefetch = true })
		mustRetrieve(t, p)
		src.setDown(true)
		res := runLoad(p, 50, p.Stats().Expiration.Add(-staleMargin))
		if calls, _ := src.counts(); res.errors != 0 || res.waited != 0 || calls > 40 {
			t.Errorf("%d errors, %d waited, %d source calls; want 0, 0 and at most 40", res.errors, res.waited, calls)
		}
		if s := p.Stats(); s.Failures == 0 || !strings.Contains(s.LastError, "ServiceUnavailable") || !strings.Contains(p.String(), "Wrap *aws.CredentialsCache") {
			t.Errorf("Stats %+v, String %s", s, p)
		}
	})
}

// Credentials that are still fresh but already within a minute of their expiry must not put
// the next retry in the past, which made the prefetch goroutine call the source in a loop.
// Two ways in:
//   - an ExpiryWindow under a minute (WrapOptions and Options both accept one), source down:
//     a loop of failing calls from 60 s to ExpiryWindow before the expiry;
//   - credentials with less than 2 minutes left when fetched (the half-life floor puts refreshAt
//     past usableUntil), source answering the held keys again: a loop of unchanged answers.
func TestWrap_FreshButPastUsable_NoRetryLoop(t *testing.T) {
	t.Run("ExpiryWindow 30s, source down", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := &rotatingSource{life: time.Hour, latency: 100 * time.Millisecond}
			p := mustWrap(t, aws.NewCredentialsCache(src), func(o *WrapOptions) { o.Prefetch, o.ExpiryWindow = true, 30*time.Second })
			mustRetrieve(t, p)
			src.setDown(true)
			time.Sleep(time.Until(p.Stats().Expiration.Add(-25 * time.Second)))
			if calls, _ := src.counts(); calls > 40 {
				t.Errorf("%d source calls in an outage of under an hour; want a backoff (5 s doubling to 2 min), not a loop", calls)
			}
		})
	})
	t.Run("100s credentials, unchanged answers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := &rotatingSource{life: 100 * time.Second, rotateBefore: 20 * time.Second, latency: 100 * time.Millisecond}
			p := mustWrap(t, aws.NewCredentialsCache(src), func(o *WrapOptions) { o.Prefetch = true })
			mustRetrieve(t, p)
			// Fresh until 50 s, usable until 40 s; the source answers the same keys until 80 s.
			time.Sleep(45 * time.Second)
			if calls, _ := src.counts(); calls > 10 {
				t.Errorf("%d source calls in 45 s; want a few, with backoff", calls)
			}
		})
	})
}

package integration

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awssts/awssts"
)

// TestMotoInvalidateRefreshes proves the on-demand refresh path over real HTTP: after
// Invalidate, the next Retrieve makes a second AssumeRole and returns moto's new keys.
func TestMotoInvalidateRefreshes(t *testing.T) {
	isolate(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"])
	ctx := testContext(t)
	rec := &recorder{}
	cfg := sourceConfig(ctx, t, motoAccessKey, motoSecret)
	cfg.APIOptions = append(cfg.APIOptions, rec.apiOption)
	p, err := awssts.NewFromConfig(cfg, motoRole("awssts-invalidate"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	first, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	again, err := p.Retrieve(ctx)
	if err != nil || again.AccessKeyID != first.AccessKeyID {
		t.Fatalf("second Retrieve = %s, %v; want the cached %s", again.AccessKeyID, err, first.AccessKeyID)
	}
	p.Invalidate()
	before := time.Now()
	second, err := p.Retrieve(ctx)
	after := time.Now()
	if err != nil {
		t.Fatalf("Retrieve after Invalidate: %v", err)
	}
	checkASIA(t, second)
	if second.AccessKeyID == first.AccessKeyID {
		t.Fatalf("Retrieve after Invalidate returned the old key %s", first.AccessKeyID)
	}
	if st, calls := p.Stats(), rec.snapshot(); st.Refreshes != 2 || len(calls) != 2 || st.AccessKeyID != second.AccessKeyID {
		t.Errorf("Stats = %+v after %d AssumeRole calls; want 2 refreshes holding %s", st, len(calls), second.AccessKeyID)
	}
	static := credentials.NewStaticCredentialsProvider(second.AccessKeyID, second.SecretAccessKey, second.SessionToken)
	checkSessionARN(t, callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, static))), "awssts-invalidate", before, after)
}

// TestMotoPrefetchRefreshes proves that the prefetch goroutine renews credentials on its own,
// over real HTTP, without a 15-minute wait.
//
// The Provider will not ask for less than 900 s, and it never schedules a prefetch before half
// of the remaining lifetime has passed, so no choice of Duration and ExpiryWindow makes the
// prefetch due in seconds. moto, unlike STS, issues credentials for any DurationSeconds. So
// the STS client gets a middleware (recorder) that, before the request is serialized and
// signed, lowers the DurationSeconds the Provider asked for (900) to promptSeconds. moto then
// really issues credentials that expire promptSeconds later, the Provider schedules its
// prefetch from that real expiry, and the goroutine must call moto again, by itself, within a
// few seconds. The test never calls Retrieve while it waits, so every AssumeRole it sees comes
// from the prefetch goroutine; it polls Stats with a deadline instead of sleeping.
func TestMotoPrefetchRefreshes(t *testing.T) {
	isolate(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"])
	ctx := testContext(t)
	const promptSeconds = 8
	rec := &recorder{shortenTo: promptSeconds}
	cfg := sourceConfig(ctx, t, motoAccessKey, motoSecret)
	cfg.APIOptions = append(cfg.APIOptions, rec.apiOption)
	p, err := awssts.NewFromConfig(cfg, motoRole("awssts-prefetch"), func(o *awssts.Options) {
		o.Duration, o.ExpiryWindow, o.Prefetch = 900*time.Second, 600*time.Second, true
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	first := waitStats(ctx, t, p, "the first prefetch", func(s awssts.Stats) bool { return s.Refreshes >= 1 })
	if first.NextPrefetch.IsZero() || !first.NextPrefetch.Before(first.Expiration) {
		t.Errorf("NextPrefetch = %v, want a time before the expiry %v", first.NextPrefetch, first.Expiration)
	}
	renewed := waitStats(ctx, t, p, "a prefetch with new keys", func(s awssts.Stats) bool {
		return s.Refreshes >= 2 && s.AccessKeyID != first.AccessKeyID
	})
	if renewed.Failures != 0 {
		t.Errorf("Stats = %+v, want no failures", renewed)
	}

	calls := rec.snapshot()
	if len(calls) < 2 {
		t.Fatalf("%d AssumeRole calls recorded, want at least 2", len(calls))
	}
	seen := map[string]bool{}
	for i, c := range calls {
		if c.err != nil || c.asked != 900 || c.sent != promptSeconds || seen[c.accessKeyID] {
			t.Errorf("AssumeRole call %d = %+v; want asked 900 s, sent %d s, a new key, no error", i, c, promptSeconds)
		}
		seen[c.accessKeyID] = true
		if d := c.expiration.Sub(c.at); d < promptSeconds*time.Second-clockSlack || d > promptSeconds*time.Second+clockSlack {
			t.Errorf("AssumeRole call %d: moto's credentials last %v, want about %d s", i, d, promptSeconds)
		}
	}

	// The renewed credentials are what callers get, and moto knows them.
	creds, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	checkASIA(t, creds)
	if creds.AccessKeyID == first.AccessKeyID {
		t.Errorf("Retrieve returned %s, the key the prefetch replaced", creds.AccessKeyID)
	}
	static := credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	checkSessionARN(t, callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, static))), "awssts-prefetch", calls[0].at.Add(-time.Second), time.Now())

	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if st := p.Stats(); !st.NextPrefetch.IsZero() {
		t.Errorf("NextPrefetch = %v after Close, want zero (prefetch off)", st.NextPrefetch)
	}
}

// waitStats polls p.Stats until ok holds or ctx ends. Polling is how a test outside the
// package observes the prefetch goroutine; the deadline keeps it bounded.
func waitStats(ctx context.Context, t *testing.T, p *awssts.Provider, what string, ok func(awssts.Stats) bool) awssts.Stats {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st := p.Stats()
		if ok(st) {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; Stats = %+v", what, ctx.Err(), st)
		case <-tick.C:
		}
	}
}

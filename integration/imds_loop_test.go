package integration

import (
	"context"
	"testing"
	"time"
)

// TestWrapIMDS_UnchangedAnswers_ShortLife_NoLoop: IMDS credentials with less than 2 minutes
// left when fetched stay fresh (the half-life floor) past the minute before their expiry. When
// IMDS answers with them again, the next call comes after a backoff; it once came at once, in a
// loop, until the answer changed.
func TestWrapIMDS_UnchangedAnswers_ShortLife_NoLoop(t *testing.T) {
	ctx := testContext(t)
	e := privateIMDS(t, newIMDSDocument("ASIAIMDSLOOP0000001", time.Now().Add(20*time.Second)))
	g := newGate(t, e.url, imdsKeys)
	cfg := defaultChain(ctx, t, imdsEnv(g.URL()))
	wrapChain(t, &cfg, withPrefetch)
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(ctx, func() bool { return len(g.issued()) >= 2 }); err != nil {
		t.Fatalf("waiting for the prefetch goroutine to ask IMDS again: %v", err)
	}
	// The backoff after an unchanged answer is at least 2.5 s; watch the next 2 s.
	window, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = waitFor(window, func() bool { return len(g.issued()) > 3 })
	if got := g.issued(); len(got) > 3 {
		t.Errorf("IMDS gave %s within 2 s of the first unchanged answer; want at most one more call", answers(got))
	}
}

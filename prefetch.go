package awssts

import (
	"context"
	"math/rand/v2"
	"time"
	"weak"
)

// prefetchLead is how long before ExpiryWindow begins the prefetch goroutine calls the
// source, so a slow or retried call still finishes before any caller would have to wait.
const prefetchLead = 50 * time.Second

// maxPrefetchSleep bounds each sleep of the prefetch goroutine, so that it notices within it
// that its Provider was garbage-collected. (A runtime.AddCleanup cannot wake it instead: a
// cleanup runs outside any testing/synctest bubble, and may not touch the bubble's channels
// or timers.)
const maxPrefetchSleep = time.Minute

// StartPrefetch starts the goroutine that renews the credentials before they enter
// ExpiryWindow, so that Retrieve never waits on the source after the first call. It may be
// called at any time, more than once, and again after Close. Credentials that cannot expire
// need no prefetch: the goroutine ends once it holds them.
//
// The goroutine holds the Provider weakly: a Provider that the program drops without Close
// is still garbage-collected, and its goroutine then ends within a minute, without calling
// the source again.
func (p *Provider) StartPrefetch() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = false
	if p.prefetch != nil || p.current.HasKeys() && !p.current.CanExpire {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &renewal{stop: stop, done: make(chan struct{})}
	p.prefetch = r
	go prefetchLoop(ctx, weak.Make(p), r)
}

// Close stops the prefetch goroutine, abandons the source call in flight, unregisters the
// callbacks of the async gauges, and returns at once: only the goroutine of a source that ignores its context may outlive it, until that
// source returns, and its answer is discarded. Retrieve keeps working on demand afterwards,
// renewing inline. Close is idempotent and always returns nil.
func (p *Provider) Close() error {
	p.mu.Lock()
	r := p.prefetch
	p.prefetch = nil
	p.closed = true
	p.abandon()
	async := p.tel.async
	p.tel.async = nil
	p.mu.Unlock()
	for _, a := range async {
		a.Stop()
	}
	if r != nil {
		r.stop()
		<-r.done
	}
	return nil
}

// renewal is the prefetch goroutine.
type renewal struct {
	stop context.CancelFunc
	done chan struct{}
}

// prefetchLoop renews the credentials at each prefetch time until ctx ends, the Provider
// holds credentials that cannot expire, or the Provider is garbage-collected.
func prefetchLoop(ctx context.Context, wp weak.Pointer[Provider], r *renewal) {
	defer close(r.done)
	for {
		wait, ok := prefetchWait(wp, r)
		if !ok {
			return
		}
		if wait > 0 {
			t := time.NewTimer(min(wait, maxPrefetchSleep))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue // an on-demand refresh may have moved the schedule meanwhile
		}
		if p := wp.Value(); p != nil {
			_, _ = p.refresh(ctx, p.prefetchDue)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// prefetchWait is how long the loop sleeps before its next call, and false once it should end.
// It holds the Provider only while it reads the schedule.
func prefetchWait(wp weak.Pointer[Provider], r *renewal) (time.Duration, bool) {
	p := wp.Value()
	if p == nil {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current.HasKeys() && !p.current.CanExpire {
		if p.prefetch == r {
			p.prefetch = nil
		}
		return 0, false
	}
	now := time.Now()
	return p.nextPrefetch(now).Sub(now), true
}

// prefetchDue says whether the prefetch goroutine should call the source now. p.mu must be held.
func (p *Provider) prefetchDue() bool {
	now := time.Now()
	return !now.Before(p.nextPrefetch(now))
}

// nextPrefetch is when the prefetch goroutine should next call the source: now, when it
// holds nothing. p.mu must be held.
func (p *Provider) nextPrefetch(now time.Time) time.Time {
	switch {
	case p.failing > 0:
		return p.retryAt
	case !p.current.HasKeys():
		return now
	}
	return p.prefetchAt
}

// prefetchTime is prefetchLead before refreshAt, earlier by a random 0-10% of the window so
// that a fleet started together does not refresh together. It is never before half the time
// left until refreshAt.
func prefetchTime(now, refreshAt time.Time, window time.Duration) time.Time {
	jitter := rand.N(window/10 + 1)
	return notBeforeHalfway(now, refreshAt, refreshAt.Add(-prefetchLead-jitter))
}

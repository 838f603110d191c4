package awssts

import (
	"context"
	"math/rand/v2"
	"time"
)

// prefetchLead is how long before ExpiryWindow begins the prefetch goroutine calls STS, so a
// slow or retried call still finishes before any caller would have to wait for it.
const prefetchLead = 50 * time.Second

// StartPrefetch starts the goroutine that renews the credentials before they enter
// ExpiryWindow, so that Retrieve never waits on STS after the first call. It may be called
// at any time, more than once, and again after Close.
func (p *Provider) StartPrefetch() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prefetch != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	p.prefetch = &renewal{stop: stop, done: make(chan struct{})}
	go p.prefetchLoop(ctx, p.prefetch.done)
}

// Close stops the prefetch goroutine and any background renewal, and waits for them to exit.
// Retrieve keeps working on demand afterwards. Close is idempotent and always returns nil.
func (p *Provider) Close() error {
	p.mu.Lock()
	running := []*renewal{p.prefetch, p.renewing}
	p.prefetch = nil
	p.mu.Unlock()
	for _, r := range running {
		if r != nil {
			r.stop()
			<-r.done
		}
	}
	return nil
}

func (p *Provider) prefetchLoop(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		p.mu.Lock()
		now := time.Now()
		wait := p.nextPrefetch(now).Sub(now)
		p.mu.Unlock()
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue // an on-demand refresh may have moved the schedule meanwhile
		}
		if _, err := p.refresh(ctx, p.prefetchDue); err == nil {
			p.CredentialsCache.Invalidate()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// prefetchDue says whether the prefetch goroutine should call STS now. p.mu must be held.
func (p *Provider) prefetchDue() bool {
	now := time.Now()
	return !now.Before(p.nextPrefetch(now))
}

// nextPrefetch is when the prefetch goroutine should next call STS: now, when it holds
// nothing. p.mu must be held.
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

package awssts

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	// staleMargin is how close to their real expiry held credentials may be served while
	// STS is failing. Past it, Retrieve returns the error.
	staleMargin = time.Minute

	// After a failed refresh the next STS call waits a jittered backoff that doubles from
	// minBackoff up to maxBackoff.
	minBackoff = 5 * time.Second
	maxBackoff = 2 * time.Minute

	// dueRecheck is how long caches keep credentials that are due while a renewal runs, so
	// that they, and the SDK's own cache in front of them, take the new ones within it.
	dueRecheck = time.Second

	// refreshTimeout bounds one AssumeRole call, retries included, so that a hung
	// connection cannot hold every caller forever.
	refreshTimeout = time.Minute
)

// source is the Provider as its aws.CredentialsCache sees it: the cache calls Retrieve
// only when it holds nothing, or what it holds has reached its Expires. It is a separate type
// so that it has none of the cache's methods, which would call back into the cache.
type source struct{ p *Provider }

// Retrieve serves the held credentials while they are fresh. Once they are due, it keeps
// serving them while they are usable and renews them in the background, so that no caller
// waits on STS, or sees its failures, while it holds credentials good for another minute.
func (s source) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p := s.p
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	cur, usable := p.current, p.usable(now)
	switch {
	case p.fresh(now):
		return p.until(cur, p.refreshAt), nil
	case usable && p.prefetch != nil: // the prefetch goroutine is renewing them
		return p.until(cur, minTime(now.Add(dueRecheck), usableUntil(cur))), nil
	case usable && now.Before(p.retryAt):
		return p.until(cur, minTime(p.retryAt, usableUntil(cur))), nil
	case usable:
		p.renewInBackground()
		return p.until(cur, minTime(now.Add(dueRecheck), usableUntil(cur))), nil
	}

	p.mu.Unlock()
	creds, err := p.refresh(ctx, p.unusable)
	p.mu.Lock()
	if err != nil {
		return aws.Credentials{}, err
	}
	return p.until(creds, p.refreshAt), nil
}

// renewInBackground starts one goroutine that renews the credentials and then invalidates
// the cache, so the next Retrieve takes the outcome. Close waits for it. p.mu must be held.
func (p *Provider) renewInBackground() {
	if p.renewing != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	p.renewing = &renewal{stop: stop, done: done}
	go func() {
		defer close(done)
		defer stop()
		_, _ = p.refresh(ctx, p.stale)
		p.mu.Lock()
		p.renewing = nil
		p.mu.Unlock()
		p.CredentialsCache.Invalidate()
	}()
}

// renewal is a goroutine in flight: the prefetch loop, or one background renewal.
type renewal struct {
	stop context.CancelFunc
	done chan struct{}
}

// ProviderSources reports AssumeRole as the source, for the SDK's user agent.
func (s source) ProviderSources() []aws.CredentialSource { return s.p.ProviderSources() }

// until sets Expires so that the cache, which subtracts ExpiryWindow, asks again at t.
func (p *Provider) until(c aws.Credentials, t time.Time) aws.Credentials {
	c.Expires = t.Add(p.options.ExpiryWindow)
	return c
}

func usableUntil(c aws.Credentials) time.Time { return c.Expires.Add(-staleMargin) }

// fresh and usable say whether the held credentials are before their refresh time, or still
// fit to serve at all; stale and unusable are the same questions about now, as due checks for
// refresh. p.mu must be held.
func (p *Provider) fresh(now time.Time) bool {
	return p.current.HasKeys() && now.Before(p.refreshAt)
}

func (p *Provider) usable(now time.Time) bool {
	return p.current.HasKeys() && now.Before(usableUntil(p.current))
}

func (p *Provider) stale() bool    { return !p.fresh(time.Now()) }
func (p *Provider) unusable() bool { return !p.usable(time.Now()) }

// call is one AssumeRole in flight, shared by the cache and the prefetch goroutine.
type call struct {
	done      chan struct{}
	creds     aws.Credentials
	err       error
	abandoned bool // its owner's context ended, so its error says nothing about STS
}

// refresh assumes the role, joining the call already in flight if there is one, and
// records the outcome. due is checked under the lock first: another refresh may have just
// made the call unnecessary, and then the held credentials are returned.
func (p *Provider) refresh(ctx context.Context, due func() bool) (aws.Credentials, error) {
	p.mu.Lock()
	if !due() {
		defer p.mu.Unlock()
		return p.current, nil
	}
	if c := p.inflight; c != nil {
		p.mu.Unlock()
		select {
		case <-c.done:
			if c.abandoned && ctx.Err() == nil {
				return p.refresh(ctx, due) // Close ended the prefetch that owned the call, not ours
			}
			return c.creds, c.err
		case <-ctx.Done():
			return aws.Credentials{}, ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	p.inflight = c
	p.mu.Unlock()

	callCtx, cancel := context.WithTimeout(ctx, refreshTimeout)
	c.creds, c.err = p.assumeRole(callCtx)
	cancel()
	c.abandoned = c.err != nil && ctx.Err() != nil

	p.mu.Lock()
	var log func()
	if !c.abandoned {
		log = p.record(c.creds, c.err, time.Now().Round(0))
	}
	p.inflight = nil
	p.mu.Unlock()
	close(c.done)
	if log != nil {
		log()
	}
	return c.creds, c.err
}

// record updates the state after an AssumeRole call, and returns the log line to write once
// p.mu is released, so that a handler which calls back into the Provider cannot deadlock.
// Times are wall-clock only (now has no monotonic reading), as the SDK's cache compares them.
// p.mu must be held.
func (p *Provider) record(creds aws.Credentials, err error, now time.Time) (log func()) {
	logger := p.options.Logger
	if err == nil {
		p.current = creds
		p.refreshAt = refreshTime(now, creds.Expires, p.options.ExpiryWindow)
		p.prefetchAt = prefetchTime(now, p.refreshAt, p.options.ExpiryWindow)
		p.failing, p.retryAt = 0, time.Time{}
		p.stats.Refreshes++
		p.stats.LastError = ""
		args := []any{"role_arn", p.roleARN, "access_key_id", creds.AccessKeyID,
			"expiration", creds.Expires.UTC(), "refresh_at", p.refreshAt.UTC()}
		return func() { logger.Debug("awssts: assumed role", args...) }
	}
	p.failing++
	p.stats.Failures++
	p.stats.LastError = err.Error()
	p.retryAt = now.Add(backoff(p.failing))
	args := []any{"role_arn", p.roleARN, "error", err, "failures_in_row", p.failing}
	if p.usable(now) {
		p.retryAt = minTime(p.retryAt, usableUntil(p.current))
		args = append(args, "retry_at", p.retryAt.UTC(), "usable_until", usableUntil(p.current).UTC())
		return func() { logger.Warn("awssts: refresh failed; serving the held credentials", args...) }
	}
	args = append(args, "retry_at", p.retryAt.UTC())
	return func() { logger.Warn("awssts: refresh failed; no usable credentials", args...) }
}

// refreshTime is when credentials obtained at now stop counting as fresh: ExpiryWindow before
// expiry, but never before half their remaining life, so that short-lived answers or a skewed
// clock cannot make the provider call STS in a loop.
func refreshTime(now, expires time.Time, window time.Duration) time.Time {
	return notBeforeHalfway(now, expires, expires.Add(-window))
}

// notBeforeHalfway is t, or the point halfway from now to end if t comes earlier.
func notBeforeHalfway(now, end, t time.Time) time.Time {
	if half := now.Add(end.Sub(now) / 2); t.Before(half) {
		return half
	}
	return t
}

// backoff is the wait after the n-th failure in a row: 5 s doubling to 2 min, each wait
// between half and all of that so that a fleet hit by the same outage spreads out.
func backoff(n int) time.Duration {
	d := maxBackoff
	if n < 10 {
		d = min(minBackoff<<(n-1), maxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

package awssts

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	// staleMargin is how close to their real expiry held credentials may be served while
	// the source is failing. Past it, Retrieve returns the error.
	staleMargin = time.Minute

	// dueRecheck is how long caches keep credentials that are due while a renewal runs, so
	// that they, and the SDK's own cache in front of them, take the new ones within it.
	dueRecheck = time.Second

	// refreshTimeout bounds one source call, retries and MFA prompt included, so that a
	// hung connection or prompt cannot hold every caller forever.
	refreshTimeout = time.Minute
)

// cacheSource is the Provider as its aws.CredentialsCache sees it: the cache calls Retrieve
// only when it holds nothing, or what it holds has reached its Expires. It is a separate type
// so that it has none of the Provider's methods, which would call back into the cache.
type cacheSource struct{ p *Provider }

// Retrieve serves the held credentials while they are fresh. Once they are due, it keeps
// serving them while they are usable and renews them in the background, so that no caller
// waits on the source, or sees its failures, while it holds credentials good for another
// minute. With nothing usable, a caller waits for the source, or gets the last error at once
// while the backoff after a failure runs.
func (s cacheSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p := s.p
	now := time.Now()
	p.mu.Lock()
	cur, usable := p.current, p.usable(now)
	switch {
	case p.fresh(now), usable && (p.prefetch != nil || now.Before(p.retryAt)):
		defer p.mu.Unlock()
		return p.serve(cur, now), nil
	case usable && !p.closed:
		defer p.mu.Unlock()
		p.renewInBackground()
		return p.serve(cur, now), nil
	case !usable && now.Before(p.retryAt) && p.lastErr != nil:
		defer p.mu.Unlock()
		return aws.Credentials{}, &retryError{err: p.lastErr, at: p.retryAt, now: now}
	case !usable && now.Before(p.retryAt) && now.Before(cur.Expires):
		defer p.mu.Unlock()
		return p.serve(cur, now), nil
	}
	p.mu.Unlock()

	due := p.unusable
	if usable { // after Close: renew inline, as no goroutine may outlive it
		due = p.stale
	}
	creds, err := p.refresh(ctx, due)
	p.mu.Lock()
	defer p.mu.Unlock()
	now = time.Now()
	switch {
	case err != nil && p.usable(now):
		return p.serve(p.current, now), nil
	case err != nil:
		return aws.Credentials{}, err
	}
	return p.serve(creds, now), nil
}

// serve is c with the Expires at which the cache should ask again: its refresh time while
// fresh, the next recheck while usable, else the next retry or its expiry, whichever comes
// first; never a time already past, which would make every call ask. p.mu must be held.
func (p *Provider) serve(c aws.Credentials, now time.Time) aws.Credentials {
	switch {
	case !c.CanExpire:
		return c
	case p.fresh(now):
		return p.until(c, p.refreshAt)
	case p.usable(now):
		return p.until(c, p.recheck(now))
	case p.retryAt.After(now):
		return p.until(c, minTime(p.retryAt, c.Expires))
	}
	return p.until(c, c.Expires)
}

// recheck is when a cache holding due credentials should ask again: within dueRecheck while
// a renewal may be running, else at the next retry, and never past usability. p.mu must be held.
func (p *Provider) recheck(now time.Time) time.Time {
	t := now.Add(dueRecheck)
	if p.prefetch == nil && p.renewing == nil && p.retryAt.After(t) {
		t = p.retryAt
	}
	return minTime(t, usableUntil(p.current))
}

// renewInBackground starts one goroutine that renews the credentials and then drops the
// cache's copy, so the next Retrieve takes the outcome. Close waits for it. p.mu must be held.
func (p *Provider) renewInBackground() {
	if p.renewing != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &renewal{stop: stop, done: make(chan struct{})}
	p.renewing = r
	go func() {
		defer close(r.done)
		defer stop()
		_, _ = p.refresh(ctx, p.stale)
		p.mu.Lock()
		p.renewing = nil
		p.mu.Unlock()
		p.dropCached()
	}()
}

// renewal is a goroutine in flight: the prefetch loop, or one background renewal.
type renewal struct {
	stop context.CancelFunc
	done chan struct{}
}

// ProviderSources reports the source, for the SDK's user agent.
func (s cacheSource) ProviderSources() []aws.CredentialSource { return s.p.ProviderSources() }

// until sets Expires so that the cache, which subtracts ExpiryWindow, asks again at t.
func (p *Provider) until(c aws.Credentials, t time.Time) aws.Credentials {
	c.Expires = t.Add(p.window)
	return c
}

func usableUntil(c aws.Credentials) time.Time { return c.Expires.Add(-staleMargin) }

// fresh and usable say whether the held credentials are before their refresh time, or still
// fit to serve at all; stale and unusable are the same questions about now, as due checks for
// refresh. Credentials that cannot expire are always fresh. p.mu must be held.
func (p *Provider) fresh(now time.Time) bool {
	return p.current.HasKeys() && (!p.current.CanExpire || now.Before(p.refreshAt))
}

func (p *Provider) usable(now time.Time) bool {
	return p.fresh(now) || p.current.HasKeys() && now.Before(usableUntil(p.current))
}

func (p *Provider) stale() bool    { return !p.fresh(time.Now()) }
func (p *Provider) unusable() bool { return !p.usable(time.Now()) }

// call is one source call in flight, shared by the cache and the prefetch goroutine.
type call struct {
	done      chan struct{}
	gen       uint64
	creds     aws.Credentials
	err       error
	abandoned bool // its owner's context ended, so its error says nothing about the source
}

// refresh calls the source, joining the call already in flight if there is one, and
// records the outcome. due is checked under the lock first: another refresh may have just
// made the call unnecessary, and then the held credentials are returned. A call made before
// the latest Invalidate is not joined.
func (p *Provider) refresh(ctx context.Context, due func() bool) (aws.Credentials, error) {
	p.mu.Lock()
	if !due() {
		defer p.mu.Unlock()
		return p.current, nil
	}
	if c := p.inflight; c != nil && c.gen == p.gen {
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
	c := &call{done: make(chan struct{}), gen: p.gen}
	p.inflight = c
	p.mu.Unlock()

	callCtx, cancel := context.WithTimeout(ctx, refreshTimeout)
	a, err := p.src.fetch(callCtx)
	creds, skew := a.creds, a.skew
	cancel()
	c.abandoned = err != nil && ctx.Err() != nil

	p.mu.Lock()
	var log func()
	if !c.abandoned && c.gen == p.gen {
		region := p.stats.Region
		c.creds, log, c.err = p.record(creds, skew, err, time.Now().Round(0))
		if c.err == nil && p.stats.Refreshes > 0 && c.creds.AccessKeyID == creds.AccessKeyID {
			region = a.region
		}
		p.stats.Region = region
	} else {
		c.creds, c.err = creds, err
	}
	if p.inflight == c {
		p.inflight = nil
	}
	p.mu.Unlock()
	close(c.done)
	if log != nil {
		log()
	}
	return c.creds, c.err
}

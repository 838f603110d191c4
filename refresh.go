package awssts

import (
	"context"
	"fmt"
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

// retrieve is Retrieve past its atomic load. It serves the held credentials while they are
// fresh. Once they are due, it keeps serving them while they are usable and renews them in
// the background, so that no caller waits on the source, or sees its failures, while it holds
// credentials good for another minute. With nothing usable, a caller waits for the source,
// or gets the last error at once while the backoff after a failure runs.
func (p *Provider) retrieve(ctx context.Context) (held, error) {
	now := time.Now()
	p.mu.Lock()
	usable := p.usable(now)
	switch {
	case p.fresh(now), usable && (p.prefetch != nil || now.Before(p.retryAt)):
		defer p.mu.Unlock()
		return p.serveHot(now), nil
	case usable && !p.closed:
		defer p.mu.Unlock()
		if p.inflight == nil || p.inflight.gen != p.gen {
			p.startCall(context.WithoutCancel(ctx))
		}
		return p.serveHot(now), nil
	case !usable && now.Before(p.retryAt) && p.lastErr != nil:
		defer p.mu.Unlock()
		return held{}, &retryError{err: p.lastErr, at: p.retryAt, now: now}
	case !usable && now.Before(p.retryAt) && now.Before(p.current.Expires) && !p.refused:
		defer p.mu.Unlock()
		return p.serveHot(now), nil
	}
	p.mu.Unlock()

	due := p.unusable
	if usable { // after Close: renew inline, as no renewal may start behind the caller
		due = p.stale
	}
	return p.refresh(ctx, due)
}

// serveHot is serve, kept for the atomic load of Retrieve. p.mu must be held.
func (p *Provider) serveHot(now time.Time) held {
	h := p.serve(now)
	p.hot.Store(&h)
	return h
}

// serve is the held credentials with the Expires at which a cache should ask again: the
// refresh time while fresh, the next recheck while usable, else the next retry or the real
// expiry, whichever comes first. p.mu must be held.
func (p *Provider) serve(now time.Time) held {
	h := held{creds: p.current, expires: p.current.Expires}
	if !h.creds.CanExpire {
		return h
	}
	switch {
	case p.fresh(now):
		h.creds.Expires = p.refreshAt
	case p.usable(now):
		h.creds.Expires = p.recheck(now)
	case p.retryAt.After(now):
		h.creds.Expires = minTime(p.retryAt, p.current.Expires)
	}
	return h
}

// recheck is when a cache holding due credentials should ask again: within dueRecheck while
// a renewal may be running, else at the next retry, and never past usability. p.mu must be held.
func (p *Provider) recheck(now time.Time) time.Time {
	t := now.Add(dueRecheck)
	if p.prefetch == nil && p.inflight == nil && p.retryAt.After(t) {
		t = p.retryAt
	}
	return minTime(t, usableUntil(p.current))
}

func usableUntil(c aws.Credentials) time.Time { return c.Expires.Add(-staleMargin) }

// fresh and usable say whether the held credentials are before their refresh time, or still
// fit to serve at all: not after a refusal, and not in their last minute. stale and unusable
// are the same questions about now, as refresh checks them. Credentials that cannot expire
// are always fresh. p.mu must be held.
func (p *Provider) fresh(now time.Time) bool {
	return p.current.HasKeys() && (!p.current.CanExpire || now.Before(p.refreshAt))
}

func (p *Provider) usable(now time.Time) bool {
	return p.fresh(now) || !p.refused && p.current.HasKeys() && now.Before(usableUntil(p.current))
}

func (p *Provider) stale() bool    { return !p.fresh(time.Now()) }
func (p *Provider) unusable() bool { return !p.usable(time.Now()) }

// notDue is what a caller gets when another call made its own unnecessary: the held
// credentials if they are usable, else the last failure; never credentials unchecked. p.mu
// must be held.
func (p *Provider) notDue(now time.Time) (held, error) {
	switch {
	case p.usable(now):
		return p.serveHot(now), nil
	case p.lastErr != nil && now.Before(p.retryAt):
		return held{}, &retryError{err: p.lastErr, at: p.retryAt, now: now}
	case p.lastErr != nil:
		return held{}, p.lastErr
	}
	return held{}, fmt.Errorf("awssts: %s: no usable credentials are held", p.src)
}

// refresh waits for a source call, joining the one in flight if there is one. due is checked
// under the lock first: another call may have just made this one unnecessary, and then the
// held credentials are served. A call made before the latest Invalidate is not joined; one
// that Close abandoned is replaced for a caller whose own context is still live.
func (p *Provider) refresh(ctx context.Context, due func() bool) (held, error) {
	for {
		p.mu.Lock()
		if !due() {
			defer p.mu.Unlock()
			return p.notDue(time.Now())
		}
		c := p.inflight
		if c == nil || c.gen != p.gen {
			if err := ctx.Err(); err != nil { // such as the prefetch goroutine's, ended by Close
				p.mu.Unlock()
				return held{}, err
			}
			c = p.startCall(context.WithoutCancel(ctx))
		}
		p.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return held{}, ctx.Err()
		}
		if !c.abandoned {
			return c.held, c.err
		}
	}
}

package awssts

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// After a call that failed, or that returned the credentials already held, the next call
// waits a jittered backoff that doubles from the first value up to the second. While usable
// credentials are held there is no hurry; with nothing to serve, the source is tried again
// soon, so that a process recovers within about 30 s of its source.
const (
	minHeldBackoff  = 5 * time.Second
	maxHeldBackoff  = 2 * time.Minute
	minEmptyBackoff = time.Second
	maxEmptyBackoff = 30 * time.Second
)

// record updates the state after a source call, and returns what the call's waiters get and
// the log line to write once p.mu is released, so that a handler which calls back into the
// Provider cannot deadlock. Times are wall-clock only (now has no monotonic reading), as the
// SDK's cache compares them. p.mu must be held.
func (p *Provider) record(creds aws.Credentials, skew time.Duration, err error, now time.Time) (aws.Credentials, func(), error) {
	var skewLog func()
	if err == nil {
		creds, skewLog = p.toLocalClock(creds, skew, now)
		err = p.check(creds, now)
	}
	log := p.recordCall(creds, err, now)
	if err != nil {
		creds = aws.Credentials{}
	} else {
		creds = p.current
	}
	return creds, func() {
		if skewLog != nil {
			skewLog()
		}
		log()
	}, err
}

// check rejects an answer that holds no keys, or keys that expired before they arrived.
func (p *Provider) check(creds aws.Credentials, now time.Time) error {
	switch {
	case !creds.HasKeys():
		return fmt.Errorf("awssts: %s: the answer has no credentials", p.src)
	case creds.CanExpire && !creds.Expires.After(now):
		return fmt.Errorf("awssts: %s: the credentials expired at %s, before they arrived at %s; check this machine's clock",
			p.src, creds.Expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

func (p *Provider) recordCall(creds aws.Credentials, err error, now time.Time) (log func()) {
	logger, src := p.logger, p.src.String()
	switch {
	case err == nil && p.unchanged(creds):
		p.failing++
		p.lastErr, p.stats.LastError = nil, ""
		p.current.Expires = creds.Expires
		p.retryAt = retryBy(now, backoff(p.failing, minHeldBackoff, maxHeldBackoff), p.retryLimit(now))
		args := []any{"source", src, "access_key_id", creds.AccessKeyID, "retry_at", p.retryAt.UTC()}
		return func() { logger.Debug("awssts: the source returned the held credentials again", args...) }
	case err == nil:
		p.current = creds
		p.refreshAt = refreshTime(now, creds.Expires, p.window)
		p.prefetchAt = prefetchTime(now, p.refreshAt, p.window)
		p.failing, p.retryAt, p.lastErr = 0, time.Time{}, nil
		p.stats.Refreshes++
		p.stats.LastError = ""
		args := []any{"source", src, "access_key_id", creds.AccessKeyID, "expiration", creds.Expires.UTC(), "refresh_at", p.refreshAt.UTC()}
		if !creds.CanExpire {
			args = []any{"source", src, "access_key_id", creds.AccessKeyID, "expiration", "never"}
		}
		return func() { logger.Debug("awssts: refreshed credentials", args...) }
	}
	p.failing++
	p.stats.Failures++
	p.stats.LastError = err.Error()
	p.lastErr = err
	args := []any{"source", src, "error", err, "failures_in_row", p.failing}
	if p.usable(now) {
		p.retryAt = retryBy(now, max(backoff(p.failing, minHeldBackoff, maxHeldBackoff), minBackoff(err)), usableUntil(p.current))
		args = append(args, "retry_at", p.retryAt.UTC(), "usable_until", usableUntil(p.current).UTC())
		return func() { logger.Warn("awssts: refresh failed; serving the held credentials", args...) }
	}
	p.retryAt = now.Add(max(backoff(p.failing, minEmptyBackoff, maxEmptyBackoff), minBackoff(err)))
	args = append(args, "retry_at", p.retryAt.UTC())
	return func() { logger.Warn("awssts: refresh failed; no usable credentials", args...) }
}

// unchanged says whether the source answered with the credentials already held, as IMDS and
// the container endpoints do until close to their own rotation. p.mu must be held.
func (p *Provider) unchanged(creds aws.Credentials) bool {
	return p.current.HasKeys() && creds.CanExpire && creds.AccessKeyID == p.current.AccessKeyID &&
		!creds.Expires.After(p.current.Expires)
}

// retryLimit is the latest time to ask again after an unchanged answer: before the held
// credentials stop being usable, or, when they already have, before they expire.
func (p *Provider) retryLimit(now time.Time) time.Time {
	if u := usableUntil(p.current); u.After(now) {
		return u
	}
	return p.current.Expires
}

// retryBy is now plus wait, or limit if that comes first and is still ahead: fresh credentials
// may already be within a minute of their expiry, and a retry time in the past is a loop.
func retryBy(now time.Time, wait time.Duration, limit time.Time) time.Time {
	if t := now.Add(wait); !limit.After(now) || t.Before(limit) {
		return t
	}
	return limit
}

// refreshTime is when credentials obtained at now stop counting as fresh: ExpiryWindow before
// expiry, but never before half their remaining life, so that short-lived answers or a skewed
// clock cannot make the provider call the source in a loop.
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

// backoff is the wait after the n-th call in a row that did not renew: lo doubling up to hi,
// each wait between half and all of that so that a fleet hit by the same outage spreads out.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := hi
	if n < 20 {
		d = min(lo<<max(n-1, 0), hi)
	}
	return d/2 + rand.N(d/2+1)
}

// retryError is the last failure, returned at once while the backoff after it runs.
type retryError struct {
	err     error
	at, now time.Time
}

func (e *retryError) Error() string {
	return fmt.Sprintf("%v (not retried until %s, in %v)", e.err, e.at.UTC().Format(time.RFC3339), e.at.Sub(e.now).Round(time.Millisecond))
}

func (e *retryError) Unwrap() error { return e.err }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

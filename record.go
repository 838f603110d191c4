package awssts

import (
	"errors"
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

// record checks an answer, converts it to this machine's clock, and, when it comes from the
// current generation, updates the state. It returns what the call's waiters get and the log
// lines to write once they are released and p.mu is not held, so that a handler which calls
// back into the Provider cannot deadlock. Times are wall-clock only (now has no monotonic
// reading), as the SDK's cache compares them. p.mu must be held.
func (p *Provider) record(gen uint64, a answer, err error, now time.Time) (_ held, log func(), outcome string, _ error) {
	var skewLog func()
	creds := a.creds
	if err == nil {
		creds, skewLog = p.toLocalClock(a, now, gen == p.gen)
		err = p.check(creds, now)
	}
	outcome = outcomeRenewed
	switch {
	case err != nil:
		outcome = outcomeFailed
	case gen == p.gen && p.unchanged(creds):
		outcome = outcomeUnchanged
	}
	if gen != p.gen { // from before an Invalidate: its caller gets it checked, and nothing is kept
		if err != nil {
			return held{}, skewLog, outcome, err
		}
		c := creds
		if c.CanExpire {
			c.Expires = refreshTime(now, creds.Expires, p.window)
		}
		return held{creds: c, expires: creds.Expires}, skewLog, outcome, nil
	}
	callLog := p.recordCall(a.region, creds, err, now)
	p.hot.Store(nil)
	logs := func() {
		if skewLog != nil {
			skewLog()
		}
		callLog()
	}
	if err != nil && !p.usable(now) {
		return held{}, logs, outcome, err
	}
	return p.serveHot(now), logs, outcome, nil
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

func (p *Provider) recordCall(region string, creds aws.Credentials, err error, now time.Time) (log func()) {
	logger, src := p.logger, p.src.String()
	if err == nil {
		p.refused = false
		p.stats.Region = region
	}
	switch {
	case err == nil && p.unchanged(creds):
		p.failing++
		p.lastErr, p.stats.LastError = nil, ""
		p.current.Expires = creds.Expires // no later than held: the source may have cut it short
		p.refreshAt = minTime(p.refreshAt, refreshTime(now, creds.Expires, p.window))
		p.prefetchAt = minTime(p.prefetchAt, p.refreshAt)
		p.retryAt = retryBy(now, backoff(p.failing, minHeldBackoff, maxHeldBackoff), p.retryLimit(now))
		args := []any{"source", src, "access_key_id", creds.AccessKeyID, "retry_at", p.retryAt.UTC()}
		return func() { logger.Debug("awssts: the source returned the held credentials again", args...) }
	case err == nil:
		p.current = creds
		p.keys = append(p.keys[max(0, len(p.keys)-maxKeys+1):], heldKey{creds.AccessKeyID, p.stats.Refreshes + 1})
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
	p.refused = isRefusal(err)
	args := []any{"source", src, "error", err, "failures_in_row", p.failing}
	if p.refused {
		args = append(args, "refused", true)
	}
	if p.usable(now) {
		p.retryAt = retryBy(now, max(backoff(p.failing, minHeldBackoff, maxHeldBackoff), waitAsked(err)), usableUntil(p.current))
		args = append(args, "retry_at", p.retryAt.UTC(), "usable_until", usableUntil(p.current).UTC())
		return func() { logger.Warn("awssts: refresh failed; serving the held credentials", args...) }
	}
	p.retryAt = now.Add(max(backoff(p.failing, minEmptyBackoff, maxEmptyBackoff), waitAsked(err)))
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

// After throttling, the next call waits a random minThrottleWait to maxThrottleWait: the
// source's quota is spent, usually by many callers at once, and a fleet that retried in the
// next second, as after other failures, would spend it again.
const (
	minThrottleWait = time.Second
	maxThrottleWait = time.Minute
)

// waitAsked is the least wait that err asks for before the next call: what an error that
// needs a person (a TokenProvider that failed) says with minBackoff, or a random throttling
// wait. 0 for any other error.
func waitAsked(err error) time.Duration {
	var hint interface{ minBackoff() time.Duration }
	switch {
	case errors.As(err, &hint):
		return hint.minBackoff()
	case isThrottle(err):
		return minThrottleWait + rand.N(maxThrottleWait-minThrottleWait+1)
	}
	return 0
}

// retryError is the last failure, returned at once while the backoff after it runs.
type retryError struct {
	err     error
	at, now time.Time
}

func (e *retryError) Error() string {
	var inner *retryError
	if errors.As(e.err, &inner) { // a Provider behind this one already says when it retries
		return e.err.Error()
	}
	return fmt.Sprintf("%v (not retried until %s, in %v)", e.err, e.at.UTC().Format(time.RFC3339), e.at.Sub(e.now).Round(time.Millisecond))
}

func (e *retryError) Unwrap() error { return e.err }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

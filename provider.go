// Package awssts gives an aws-sdk-go-v2 program temporary credentials and keeps them fresh,
// so that no request waits on a refresh and an outage of the source does not become an
// error while the held credentials are still valid.
//
// A Provider is an aws.CredentialsProvider: hand it to config.WithCredentialsProvider and
// share it across goroutines. New assumes an IAM role through STS with fixed session-name
// and duration rules; NewWebIdentity and NewSessionToken serve the other STS actions; Wrap
// puts any other provider (IMDS, the container endpoint, SSO, credential_process) behind the
// same engine. The ststest package runs a local STS for tests.
package awssts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Provider caches credentials from one source and renews them behind its callers. It is
// safe for concurrent use; one renewal is one source call, however many goroutines ask.
//
// Retrieve goes through an aws.CredentialsCache, and keeps the cache's last answer where one
// atomic load finds it, so the cached path costs what the bare cache costs. As with that cache,
// the Expires it returns is when the credentials will be renewed (ExpiryWindow before the real
// expiry); Stats().Expiration is the real expiry.
type Provider struct {
	hot    atomic.Pointer[aws.Credentials]      // the cache's last answer, until it expires
	cache  atomic.Pointer[aws.CredentialsCache] // replaced whole by Invalidate
	src    source
	window time.Duration
	logger *slog.Logger

	mu         sync.Mutex
	current    aws.Credentials // Expires is the real expiry, on this machine's clock
	refreshAt  time.Time       // current counts as expired from here on
	prefetchAt time.Time
	retryAt    time.Time // after a failed or unrenewed call, no source call before this
	failing    int       // calls in a row that failed or returned the held credentials
	lastErr    error     // the latest failure, nil once a call succeeds
	gen        uint64    // counts Invalidate calls; a call from an older generation is discarded
	skewWarned time.Duration
	inflight   *call
	stats      Stats
	closed     bool     // Close was called and StartPrefetch not since
	prefetch   *renewal // the prefetch goroutine, while it runs
	renewing   *renewal // a background renewal, while it runs

	rejected rejection // RenewOnAuthFailure's record of the keys services rejected; under mu
}

// Stats is a snapshot of a Provider's refresh history, for metrics and health checks.
// It holds no secrets.
type Stats struct {
	AccessKeyID  string        // of the credentials held (not a secret); pairs them with Expiration
	Refreshes    int64         // source calls that returned new credentials
	Failures     int64         // source calls that failed
	LastError    string        // the latest failure, "" once a refresh succeeds again
	Expiration   time.Time     // the real expiry of the credentials held, on this machine's clock; zero before the first
	NextPrefetch time.Time     // when prefetch will next call the source; zero when prefetch is off
	ClockSkew    time.Duration // the source's clock minus this machine's, from its last answer; 0 when unknown
	Region       string        // the region whose endpoint issued the held credentials; "" when unknown
}

// source fetches one set of credentials for the engine. Each source is a file of its own
// (assume.go, wrap.go, webidentity.go, sessiontoken.go); the engine knows none of them.
type source interface {
	// fetch makes one call.
	fetch(ctx context.Context) (answer, error)
	credentialSources() []aws.CredentialSource
	fmt.Stringer // what it fetches, without secrets: "AssumeRole arn:…"
}

// answer is what one source call returned.
type answer struct {
	creds  aws.Credentials // Expires is on the source's clock
	skew   time.Duration   // the source's clock minus this machine's; 0 when the answer does not tell
	region string          // the region whose endpoint answered; "" when unknown
}

// newProvider puts src behind the engine. window and logger have their defaults applied.
func newProvider(src source, window time.Duration, logger *slog.Logger, prefetch bool) *Provider {
	p := &Provider{src: src, window: window, logger: logger}
	p.cache.Store(p.newCache())
	if prefetch {
		p.StartPrefetch()
	}
	return p
}

func (p *Provider) newCache() *aws.CredentialsCache {
	return aws.NewCredentialsCache(cacheSource{p}, func(c *aws.CredentialsCacheOptions) {
		c.ExpiryWindow = p.window
	})
}

// Retrieve returns the held credentials, or fetches them when nothing usable is held.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if c := p.hot.Load(); c != nil && !c.Expired() {
		return *c, nil
	}
	return p.retrieve(ctx)
}

// retrieve asks the cache, and keeps its answer for the cached path unless an Invalidate came
// in the meantime.
func (p *Provider) retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	gen := p.gen
	p.mu.Unlock()
	c, err := p.cache.Load().Retrieve(ctx)
	if err != nil {
		return c, unwrapCacheError(err)
	}
	p.mu.Lock()
	if p.gen == gen {
		p.hot.Store(&c)
	}
	p.mu.Unlock()
	return c, nil
}

// dropCached makes the next Retrieve ask the cache, and the cache ask the engine.
func (p *Provider) dropCached() {
	p.hot.Store(nil)
	p.cache.Load().Invalidate()
}

// unwrapCacheError drops the prefix of our own aws.CredentialsCache, so that behind the SDK's
// cache the message says "failed to refresh cached credentials" once, not twice.
func unwrapCacheError(err error) error {
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "failed to refresh cached credentials, ") {
		return inner
	}
	return err
}

// Invalidate drops the held credentials and resets the backoff, so that the next Retrieve
// calls the source at once. A call already in flight is not waited for and its answer is
// discarded. It does not reach a cache in front of the Provider, such as the one that
// config.WithCredentialsProvider adds; set cfg.Credentials = p to have none.
func (p *Provider) Invalidate() {
	p.mu.Lock()
	p.current = aws.Credentials{}
	p.gen++
	p.failing, p.retryAt, p.lastErr = 0, time.Time{}, nil
	p.hot.Store(nil)
	p.cache.Store(p.newCache())
	p.mu.Unlock()
}

// ProviderSources reports the source, for the SDK's user agent.
func (p *Provider) ProviderSources() []aws.CredentialSource { return p.src.credentialSources() }

// IsCredentialsProvider reports whether target is a *Provider, for aws.IsCredentialsProvider,
// which SDK clients call on the credentials they are given.
func (p *Provider) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	_, ok := target.(*Provider)
	return ok
}

// Stats returns a snapshot of the refresh counters and times.
func (p *Provider) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.AccessKeyID, s.Expiration = p.current.AccessKeyID, p.current.Expires
	if p.prefetch != nil {
		s.NextPrefetch = p.nextPrefetch(time.Now())
	}
	return s
}

// String describes the Provider without its credentials, so that %v and %+v are safe to log.
func (p *Provider) String() string {
	return fmt.Sprintf("awssts.Provider{%s, ExpiryWindow: %v}", p.src, p.window)
}

// GoString makes %#v as safe as %v.
func (p *Provider) GoString() string { return p.String() }

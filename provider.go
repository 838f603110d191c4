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
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/tracing"
)

// Provider caches credentials from one source and renews them behind its callers. It is
// safe for concurrent use; one renewal is one source call, however many goroutines ask.
//
// Its own state is the only cache: Retrieve serves the held credentials with one atomic load
// while they are fresh. The Expires that Retrieve returns is when a cache in front of the
// Provider should ask again (its refresh time, ExpiryWindow before the real expiry, or sooner
// while a renewal runs); Env, Get and Stats().Expiration give the real expiry.
type Provider struct {
	hot    atomic.Pointer[held] // what Retrieve serves without the lock, until creds.Expires
	src    source
	window time.Duration
	logger *slog.Logger

	mu         sync.Mutex
	current    aws.Credentials // Expires is the real expiry, on this machine's clock
	refreshAt  time.Time       // current counts as due from here on
	prefetchAt time.Time
	retryAt    time.Time // after a failed or unrenewed call, no source call before this
	failing    int       // calls in a row that failed or returned the held credentials
	lastErr    error     // the latest failure, nil once a call succeeds
	refused    bool      // the latest failure was a refusal: nothing is served past refreshAt on it
	gen        uint64    // counts Invalidate calls; a call from an older generation is not recorded
	skew       skewState
	inflight   *call   // the call of the current generation, while it runs
	running    []*call // every call in flight, of any generation, for Close
	stats      Stats
	closed     bool     // Close was called and StartPrefetch not since
	prefetch   *renewal // the prefetch goroutine, while it runs
	tel        telemetry

	keys     []heldKey // the latest keys held, for RenewOnAuthFailure
	rejected rejection // RenewOnAuthFailure's record of the keys services rejected
}

// heldKey is a key the Provider held, and the refresh that gave it (Stats.Refreshes).
type heldKey struct {
	id string
	n  int64
}

// maxKeys is how many of the latest keys a Provider remembers.
const maxKeys = 8

// keyNumber is the refresh that gave key, and whether the Provider held it lately. p.mu must
// be held.
func (p *Provider) keyNumber(key string) (int64, bool) {
	for _, k := range p.keys {
		if k.id == key {
			return k.n, true
		}
	}
	return 0, false
}

// held is the held credentials as served: creds.Expires is when to ask again, expires the real
// expiry.
type held struct {
	creds   aws.Credentials
	expires time.Time
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
	// Usable says whether Retrieve would now return the held credentials without waiting on
	// the source: they are fresh, or, unless the source refused them, more than a minute
	// from Expiration. It is what a health check should report.
	Usable bool
}

// source fetches one set of credentials for the engine. Each source is a file of its own
// (assume.go, wrap.go, webidentity.go, sessiontoken.go); the engine knows none of them.
type source interface {
	// fetch makes one call.
	fetch(ctx context.Context) (answer, error)
	credentialSources() []aws.CredentialSource
	action() string // the awssts.source of its telemetry: "AssumeRole", "Wrap", …
	fmt.Stringer    // what it fetches, without secrets: "AssumeRole arn:…"
}

// answer is what one source call returned.
type answer struct {
	creds  aws.Credentials // Expires is on the source's clock
	skew   time.Duration   // the source's clock minus this machine's; 0 when the answer does not tell
	region string          // the region whose endpoint answered; "" when unknown
	life   time.Duration   // the longest life the source issues to this call (DurationSeconds); 0 when unknown
}

// engineOptions are what the options of every source give the engine.
type engineOptions struct {
	window   time.Duration // > 0
	logger   *slog.Logger  // not nil
	prefetch bool
	meter    metrics.MeterProvider  // nil: no metrics
	tracer   tracing.TracerProvider // nil: no spans
}

// newProvider puts src behind the engine.
func newProvider(src source, o engineOptions) (*Provider, error) {
	p := &Provider{src: src, window: o.window, logger: o.logger}
	var err error
	if p.tel, err = newTelemetry(p, o.meter, o.tracer); err != nil {
		return nil, err
	}
	if o.prefetch {
		p.StartPrefetch()
	}
	return p, nil
}

// Retrieve returns the held credentials, or fetches them when nothing usable is held. Its
// Expires is when to ask again, not the real expiry: see Env for a child process.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if h := p.hot.Load(); h != nil && !h.creds.Expired() {
		return h.creds, nil
	}
	h, err := p.retrieve(ctx)
	if err != nil {
		p.tel.retrieveError.Add(ctx, 1)
	}
	return h.creds, err
}

// retrieveReal is Retrieve with the real expiry in Expires.
func (p *Provider) retrieveReal(ctx context.Context) (aws.Credentials, error) {
	h := p.hot.Load()
	if h == nil || h.creds.Expired() {
		fetched, err := p.retrieve(ctx)
		if err != nil {
			p.tel.retrieveError.Add(ctx, 1)
			return aws.Credentials{}, err
		}
		h = &fetched
	}
	c := h.creds
	c.Expires = h.expires
	return c, nil
}

// Env retrieves the held credentials and renders them for a child process as Env does, with
// their real expiry in AWS_CREDENTIAL_EXPIRATION, whatever the phase of renewal: boto3 and the
// AWS CLI stop using credentials at that time.
func (p *Provider) Env(ctx context.Context, region string) ([]string, error) {
	c, err := p.retrieveReal(ctx)
	if err != nil {
		return nil, err
	}
	return Env(c, region), nil
}

// Invalidate drops the held credentials and resets the backoff, so that the next Retrieve
// calls the source at once. A call already in flight is not waited for, and its answer is
// not kept. It does not reach a cache in front of the Provider, such as the one that
// config.WithCredentialsProvider adds; set cfg.Credentials = p to have none.
func (p *Provider) Invalidate() {
	p.mu.Lock()
	p.current = aws.Credentials{}
	p.stats.Region = ""
	p.gen++
	p.failing, p.retryAt, p.lastErr, p.refused = 0, time.Time{}, nil, false
	p.hot.Store(nil)
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
	now := time.Now()
	s.AccessKeyID, s.Expiration, s.Usable = p.current.AccessKeyID, p.current.Expires, p.usable(now)
	if p.prefetch != nil {
		s.NextPrefetch = p.nextPrefetch(now)
	}
	return s
}

// String describes the Provider without its credentials, so that %v and %+v are safe to log.
func (p *Provider) String() string {
	return fmt.Sprintf("awssts.Provider{%s, ExpiryWindow: %v}", p.src, p.window)
}

// GoString makes %#v as safe as %v.
func (p *Provider) GoString() string { return p.String() }

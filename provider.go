// Package awssts gives an aws-sdk-go-v2 program temporary credentials by assuming an IAM
// role through STS, and keeps them fresh so that no request waits on STS at a refresh.
//
// A Provider is an aws.CredentialsProvider: hand it to config.WithCredentialsProvider and
// share it across goroutines. Session names and durations follow fixed rules (see Options),
// an STS outage does not become an error while the credentials are still valid, and the
// ststest package runs a local STS for tests.
package awssts

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Provider assumes one role and caches the temporary credentials. It is safe for
// concurrent use; one refresh is one AssumeRole call, however many goroutines ask.
//
// Retrieve is that of the embedded aws.CredentialsCache, so the cached path costs what the
// bare cache costs. As with that cache, the Expires it returns is when the credentials will
// be refreshed (ExpiryWindow before the real expiry); Stats().Expiration is the real expiry.
// The embedded cache must not be replaced.
type Provider struct {
	*aws.CredentialsCache

	roleARN string
	options Options
	client  stscreds.AssumeRoleAPIClient

	mu         sync.Mutex
	current    aws.Credentials // Expires is the real STS expiry
	refreshAt  time.Time       // current counts as expired from here on
	prefetchAt time.Time
	retryAt    time.Time // after a failure, no STS call before this
	failing    int       // failures since the last success
	inflight   *call
	stats      Stats
	prefetch   *renewal // the prefetch goroutine, while it runs
	renewing   *renewal // a background renewal, while it runs
}

// Stats is a snapshot of a Provider's refresh history, for metrics and health checks.
// It holds no secrets.
type Stats struct {
	AccessKeyID  string    // of the credentials held (not a secret); pairs them with Expiration
	Refreshes    int64     // successful AssumeRole calls
	Failures     int64     // failed AssumeRole calls
	LastError    string    // the latest failure, "" once a refresh succeeds again
	Expiration   time.Time // the real STS expiry of the credentials held; zero before the first
	NextPrefetch time.Time // when prefetch will next call STS; zero when prefetch is off
}

// New returns a Provider that assumes roleARN with client, usually an *sts.Client. It checks
// every argument against the rules and STS's limits, and makes no STS call itself.
func New(client stscreds.AssumeRoleAPIClient, roleARN string, optFns ...func(*Options)) (*Provider, error) {
	if client == nil {
		return nil, errors.New("awssts: client is nil: pass an *sts.Client, or use NewFromConfig")
	}
	if _, err := parseRoleARN(roleARN); err != nil {
		return nil, err
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	o = o.clone().withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	p := &Provider{roleARN: roleARN, options: o, client: client}
	p.CredentialsCache = aws.NewCredentialsCache(source{p}, func(c *aws.CredentialsCacheOptions) {
		c.ExpiryWindow = o.ExpiryWindow
	})
	if o.Prefetch {
		p.StartPrefetch()
	}
	return p, nil
}

// NewFromConfig is New with an STS client built from cfg, so cfg.Credentials are the source
// credentials and the SDK's endpoint settings (AWS_ENDPOINT_URL_STS, BaseEndpoint) apply.
func NewFromConfig(cfg aws.Config, roleARN string, optFns ...func(*Options)) (*Provider, error) {
	if cfg.Region == "" {
		return nil, errors.New("awssts: aws.Config.Region is empty: set AWS_REGION or use config.WithRegion")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("awssts: aws.Config.Credentials is nil: the source credentials are missing")
	}
	return New(sts.NewFromConfig(cfg), roleARN, optFns...)
}

// Invalidate drops the cached credentials, so the next Retrieve assumes the role again.
func (p *Provider) Invalidate() {
	p.mu.Lock()
	p.current = aws.Credentials{}
	p.mu.Unlock()
	p.CredentialsCache.Invalidate()
}

// ProviderSources reports AssumeRole as the source, for the SDK's user agent.
func (p *Provider) ProviderSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceSTSAssumeRole}
}

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
	return fmt.Sprintf("awssts.Provider{RoleARN: %s, Duration: %v, ExpiryWindow: %v}", p.roleARN, p.options.Duration, p.options.ExpiryWindow)
}

// GoString makes %#v as safe as %v.
func (p *Provider) GoString() string { return p.String() }

package main

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

// roleCredentials is what export, exec and serve build from the flags: the role's Provider,
// the configuration of its source, and with --mfa-serial the MFA session and its prompt.
type roleCredentials struct {
	*awssts.Provider
	cfg      aws.Config
	src      credcache.Source
	session  *awssts.Provider
	prompt   *mfaPrompt
	failover *failoverSTS     // with --failover-region
	inner    *awssts.Provider // with --certificate: the Roles Anywhere Provider behind the cache
}

// Close ends any MFA prompt, then stops the Providers' goroutines.
func (r *roleCredentials) Close() error {
	if r.prompt != nil {
		r.prompt.Stop()
	}
	for _, p := range []*awssts.Provider{r.Provider, r.session, r.inner} {
		if p != nil {
			p.Close()
		}
	}
	if r.failover != nil {
		r.failover.Close()
	}
	return nil
}

// build turns the flags into the role's Provider. Its STS client goes through the cache
// unless --no-cache; with --mfa-serial it signs with an MFA session, cached the same way.
// Bad flags are usageErrors; nothing here calls STS. long is for exec --serve and serve,
// which run on: prefetch keeps their credentials fresh, each renewal is logged at Info and
// failures at Warn on stderr.
func (c *commonFlags) build(ctx context.Context, s streams, long bool) (*roleCredentials, error) {
	if c.ra.set() {
		return c.buildRolesAnywhere(ctx, s, long)
	}
	opts, mfaDuration, err := c.options()
	if err != nil {
		return nil, err
	}
	opts.Prefetch = long
	if long {
		opts.Logger = slog.New(slog.NewTextHandler(s.errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	src, err := credcache.Identify(ctx, c.profile)
	if err != nil {
		return nil, err
	}
	if err := guard(src); err != nil {
		return nil, err
	}
	cfg, full, err := c.loadConfig(ctx, src)
	if err != nil {
		return nil, err
	}
	endpoint, err := checkEndpoint(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkFailover(c.failoverRegions, cfg.Region, endpoint); err != nil {
		return nil, err
	}
	opts.FailoverRegions = slices.Clone(c.failoverRegions)
	var store *credcache.Cache
	if !c.noCache {
		store = newCache(s)
	}
	key := credcache.Key{Source: src.ID, Endpoint: endpoint, MFASerial: c.mfaSerial}

	r := &roleCredentials{cfg: cfg, src: src}
	var roleClient stscreds.AssumeRoleAPIClient = newLazySTS(full, nil)
	var session *cachedSession
	if c.mfaSerial != "" {
		r.prompt = newMFAPrompt(c.mfaSerial, c.startHint(), s)
		var sessionClient awssts.GetSessionTokenAPIClient = newLazySTS(full, nil)
		if len(opts.FailoverRegions) > 0 {
			sessionClient = regionalClient(cfg, full, nil)
		}
		r.session, err = awssts.NewSessionToken(sessionClient, func(o *awssts.Options) {
			o.Duration, o.ExpiryWindow, o.Logger = mfaDuration, awssts.DefaultExpiryWindow, opts.Logger
			o.SerialNumber, o.TokenProvider = aws.String(c.mfaSerial), r.prompt.code
			o.FailoverRegions = opts.FailoverRegions
		})
		if err != nil {
			return nil, namedFlag(err, sessionFlags)
		}
		// Session tokens are not regional: the key has the endpoint only when it is set.
		sk := key
		sk.Action, sk.Duration = "GetSessionToken", mfaDuration
		if cfg.BaseEndpoint == nil && !endpointVariableSet() {
			sk.Endpoint = ""
		}
		session = &cachedSession{p: r.session, cache: store, key: sk.Hash(), serial: c.mfaSerial, window: awssts.DefaultExpiryWindow}
		roleClient = newLazySTS(full, session)
	}
	if len(opts.FailoverRegions) > 0 {
		var creds aws.CredentialsProvider
		if session != nil {
			creds = session
		}
		if r.failover, err = newFailoverSTS(cfg, full, creds, c.roleARN, opts); err != nil {
			r.Close()
			return nil, err
		}
		roleClient = r.failover
		opts.FailoverRegions = nil // the inner Provider fails over; the outer one's client is the cache
	}
	if store != nil {
		rk := key
		rk.Region = cfg.Region
		rk.Action, rk.RoleARN, rk.Duration, rk.SessionPrefix = "AssumeRole", c.roleARN, opts.Duration, opts.RoleSessionNamePrefix
		rk.ExternalID, rk.Policy, rk.SourceIdentity = aws.ToString(opts.ExternalID), aws.ToString(opts.Policy), aws.ToString(opts.SourceIdentity)
		rk.FailoverRegions = c.failoverRegions
		cached := &cachedAssumeRole{client: roleClient, cache: store, key: rk.Hash(), window: opts.ExpiryWindow}
		if session != nil {
			cached.refused = session.forget
		}
		roleClient = cached
	}
	if long {
		roleClient = renewalLog{client: roleClient, roleARN: c.roleARN,
			logger: slog.New(slog.NewTextHandler(s.errOut, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	}
	if r.Provider, err = awssts.New(roleClient, c.roleARN, func(o *awssts.Options) { *o = opts }); err != nil {
		r.Close()
		return nil, namedFlag(err, roleFlags)
	}
	return r, nil
}

// options checks the flags that need no configuration and turns them into the role's
// Options, and the MFA session's duration. The role ARN and the policy come first: they
// are the inputs that could be large.
func (c *commonFlags) options() (awssts.Options, time.Duration, error) {
	if err := checkRoleARN(c.roleARN); err != nil {
		return awssts.Options{}, 0, err
	}
	opts := awssts.Options{RoleSessionNamePrefix: c.sessionPrefix, Duration: awssts.DefaultDuration}
	if c.policy != "" {
		p, err := readPolicy(c.policy)
		if err != nil {
			return awssts.Options{}, 0, err
		}
		opts.Policy = aws.String(p)
	}
	if err := checkMFASerial(c.mfaSerial); err != nil {
		return awssts.Options{}, 0, err
	}
	if err := checkRegion("--region", c.region); c.region != "" && err != nil {
		return awssts.Options{}, 0, err
	}
	if opts.RoleSessionNamePrefix == "" {
		opts.RoleSessionNamePrefix = awssts.DefaultRoleSessionNamePrefix
	}
	var err error
	if c.duration != "" {
		if opts.Duration, err = parseDuration("--duration", c.duration, "from 900s to 12h"); err != nil {
			return awssts.Options{}, 0, err
		}
	}
	opts.ExpiryWindow = refreshWindow(opts.Duration)
	opts.ExternalID = optional(c.externalID)
	opts.SourceIdentity = optional(c.sourceIdentity)
	mfaDuration := awssts.DefaultSessionTokenDuration
	switch {
	case c.mfaDuration != "" && c.mfaSerial == "":
		return awssts.Options{}, 0, usagef("--mfa-duration needs --mfa-serial")
	case c.mfaDuration != "":
		if mfaDuration, err = parseDuration("--mfa-duration", c.mfaDuration, "from 900s to 36h"); err != nil {
			return awssts.Options{}, 0, err
		}
	}
	return opts, mfaDuration, nil
}

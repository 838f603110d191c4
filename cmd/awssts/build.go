package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
)

// roleCredentials is what export, exec and serve build from the flags: the role's Provider,
// the configuration of its source, and with --mfa-serial the MFA session and its prompt.
type roleCredentials struct {
	*awssts.Provider
	cfg     aws.Config
	session *awssts.Provider
	prompt  *mfaPrompt
}

// Started says that a child or the server now owns stdin: MFA codes come from the terminal
// only.
func (r *roleCredentials) Started() {
	if r.prompt != nil {
		r.prompt.Started()
	}
}

// Close ends any MFA prompt, then stops the Providers' goroutines.
func (r *roleCredentials) Close() error {
	if r.prompt != nil {
		r.prompt.Stop()
	}
	r.Provider.Close()
	if r.session != nil {
		r.session.Close()
	}
	return nil
}

// build turns the flags into the role's Provider. Its STS client goes through the cache
// unless --no-cache; with --mfa-serial it signs with an MFA session, cached the same way.
// Bad flags are usageErrors; nothing here calls STS. long is for exec --serve and serve,
// which run on: prefetch keeps their credentials fresh, and failures are logged on stderr.
func (c *commonFlags) build(ctx context.Context, s streams, long bool) (*roleCredentials, error) {
	opts, mfaDuration, err := c.options()
	if err != nil {
		return nil, err
	}
	opts.Prefetch = long
	if long {
		opts.Logger = slog.New(slog.NewTextHandler(s.errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	src, err := findSource(c.profile)
	if err != nil {
		return nil, err
	}
	if err := guard(src); err != nil {
		return nil, err
	}
	cfg, full, err := c.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	var store *cache
	if !c.noCache {
		store = newCache(func(format string, args ...any) { fmt.Fprintf(s.errOut, "awssts: cache: "+format+"\n", args...) })
	}
	endpoint := aws.ToString(sts.NewFromConfig(cfg).Options().BaseEndpoint)
	key := cacheKey{Source: src.id, Region: cfg.Region, Endpoint: endpoint, MFASerial: c.mfaSerial}

	r := &roleCredentials{cfg: cfg}
	var roleClient stscreds.AssumeRoleAPIClient = newLazySTS(full, nil)
	if c.mfaSerial != "" {
		r.prompt = newMFAPrompt(c.mfaSerial, s)
		r.session, err = awssts.NewSessionToken(newLazySTS(full, nil), func(o *awssts.Options) {
			o.Duration, o.ExpiryWindow, o.Logger = mfaDuration, awssts.DefaultExpiryWindow, opts.Logger
			o.SerialNumber, o.TokenProvider = aws.String(c.mfaSerial), r.prompt.code
		})
		if err != nil {
			return nil, namedFlag(err, sessionFlags)
		}
		sk := key
		sk.Action, sk.Duration = "GetSessionToken", mfaDuration
		roleClient = newLazySTS(full, &cachedSession{p: r.session, cache: store, key: sk.hash(), serial: c.mfaSerial, window: awssts.DefaultExpiryWindow})
	}
	if store != nil {
		rk := key
		rk.Action, rk.RoleARN, rk.Duration, rk.SessionPrefix = "AssumeRole", c.roleARN, opts.Duration, opts.RoleSessionNamePrefix
		rk.ExternalID, rk.Policy, rk.SourceIdentity = aws.ToString(opts.ExternalID), aws.ToString(opts.Policy), aws.ToString(opts.SourceIdentity)
		roleClient = &cachedAssumeRole{client: roleClient, cache: store, key: rk.hash(), window: opts.ExpiryWindow}
	}
	if r.Provider, err = awssts.New(roleClient, c.roleARN, func(o *awssts.Options) { *o = opts }); err != nil {
		if r.session != nil {
			r.session.Close()
		}
		return nil, namedFlag(err, roleFlags)
	}
	return r, nil
}

// options checks the flags that need no configuration and turns them into the role's
// Options, and the MFA session's duration.
func (c *commonFlags) options() (awssts.Options, time.Duration, error) {
	if c.roleARN == "" {
		return awssts.Options{}, 0, usagef("--role-arn is required")
	}
	opts := awssts.Options{RoleSessionNamePrefix: c.sessionPrefix, Duration: awssts.DefaultDuration}
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
	if c.policy != "" {
		p, err := readPolicy(c.policy)
		if err != nil {
			return awssts.Options{}, 0, err
		}
		opts.Policy = aws.String(p)
	}
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

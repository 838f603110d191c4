package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

// staleMargin is how close to their real expiry cached credentials may still be served when
// STS fails, as the library serves its own.
const staleMargin = time.Minute

// cachedAssumeRole is the Provider's STS client when the cache is on. It answers AssumeRole
// from the cache while the entry is fresh, so that a hit makes no network call and never
// reads the source credentials; otherwise it makes the call under the entry's lock and
// stores the answer. Every process that shares the cache, prefetch included, then shares
// one call per renewal.
type cachedAssumeRole struct {
	client stscreds.AssumeRoleAPIClient
	cache  *credcache.Cache
	key    string
	window time.Duration // the entry is fresh while more than this before its real expiry
	// refused runs after STS refused the call, with its error: the MFA session that signed
	// it is then dropped too.
	refused func(error)

	mu     sync.Mutex
	served string // the access key ID last handed to the Provider
}

var errIncomplete = errors.New("the AssumeRole answer has no credentials")

func (c *cachedAssumeRole) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	c.mu.Lock()
	held := c.served
	c.mu.Unlock()
	var out *sts.AssumeRoleOutput
	roleARN := aws.ToString(in.RoleArn)
	e, hit, err := c.cache.Through(ctx, credcache.Lookup{
		Key: c.key,
		// The Provider calls again only when it wants credentials other than those it holds.
		Fresh:  func(e credcache.Entry) bool { return e.AccessKeyID != held && e.Remaining(time.Now()) > c.window },
		Usable: func(e credcache.Entry) bool { return held == "" && e.Remaining(time.Now()) > staleMargin },
		About:  credcache.Entry{Action: "AssumeRole", RoleARN: roleARN},
	}, func() (credcache.Entry, error) {
		var err error
		if out, err = c.client.AssumeRole(ctx, in, optFns...); err != nil {
			return credcache.Entry{}, err
		}
		return assumeRoleEntry(out, roleARN)
	})
	switch {
	case errors.Is(err, errIncomplete):
		return out, nil // the Provider explains what is missing
	case err != nil:
		if c.refused != nil && credcache.IsRefusal(err) {
			c.refused(err)
		}
		return nil, err
	}
	c.mu.Lock()
	c.served = e.AccessKeyID
	c.mu.Unlock()
	if !hit {
		return out, nil
	}
	return &sts.AssumeRoleOutput{
		Credentials: &types.Credentials{AccessKeyId: aws.String(e.AccessKeyID), SecretAccessKey: aws.String(e.SecretAccessKey),
			SessionToken: aws.String(e.SessionToken), Expiration: aws.Time(e.Expiration)},
		AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String(e.AssumedRoleUser)},
	}, nil
}

func assumeRoleEntry(out *sts.AssumeRoleOutput, roleARN string) (credcache.Entry, error) {
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.Expiration == nil {
		return credcache.Entry{}, errIncomplete
	}
	e := credcache.Entry{Action: "AssumeRole", RoleARN: roleARN, AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey,
		SessionToken: aws.ToString(c.SessionToken), Expiration: onThisClock(*c.Expiration, out.ResultMetadata)}
	if u := out.AssumedRoleUser; u != nil {
		e.AssumedRoleUser = aws.ToString(u.Arn)
	}
	return e, nil
}

// onThisClock converts an expiry from STS's clock to this machine's by the skew of the answer,
// the correction the library applies to Stats().Expiration, so that the cache and the Provider
// agree on when credentials expire. The library ignores a skew over 12 h as implausible.
func onThisClock(exp time.Time, md middleware.Metadata) time.Time {
	if skew := awssts.ResponseClockSkew(md); skew.Abs() <= 12*time.Hour {
		return exp.Add(-skew)
	}
	return exp
}

package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

// cachedSource puts the cache in front of a source that is a Provider of its own (Roles
// Anywhere): awssts.Wrap(cachedSource) is what export, exec and serve hold. It answers from
// the entry while it is fresh, with no call and no use of the key; otherwise the inner
// Provider makes one call, under the entry's lock, and the entry keeps its answer. The inner
// Provider is invalidated before each call, so that a renewal is a call, not the credentials
// it holds.
type cachedSource struct {
	inner  *awssts.Provider
	cache  *credcache.Cache // nil: each Retrieve is a call
	key    string
	about  credcache.Entry // Action and RoleARN
	window time.Duration   // the entry is fresh while more than this before its real expiry
	logger *slog.Logger    // nil: renewals are not logged

	mu     sync.Mutex
	served string // the access key ID last handed to the outer Provider
}

func (c *cachedSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c.mu.Lock()
	held := c.served
	c.mu.Unlock()
	var e credcache.Entry
	var err error
	if c.cache == nil {
		e, err = c.call(ctx)
	} else {
		e, _, err = c.cache.Through(ctx, credcache.Lookup{
			Key:    c.key,
			Fresh:  func(e credcache.Entry) bool { return e.AccessKeyID != held && e.Remaining(time.Now()) > c.window },
			Usable: func(e credcache.Entry) bool { return held == "" && e.Remaining(time.Now()) > staleMargin },
			About:  c.about,
		}, func() (credcache.Entry, error) { return c.call(ctx) })
	}
	if err != nil {
		return aws.Credentials{}, err
	}
	c.mu.Lock()
	c.served = e.AccessKeyID
	c.mu.Unlock()
	if c.logger != nil {
		c.logger.Info("awssts: renewed credentials", "role", c.about.RoleARN, "expires", e.Expiration.UTC().Format(time.RFC3339),
			"remaining", time.Until(e.Expiration).Round(time.Second).String())
	}
	return aws.Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken,
		Source: awssts.ProviderName, CanExpire: true, Expires: e.Expiration, AccountID: e.AccountID}, nil
}

// call makes one call of the inner Provider; the entry has the real expiry, on this clock.
func (c *cachedSource) call(ctx context.Context) (credcache.Entry, error) {
	c.inner.Invalidate()
	got, err := c.inner.Retrieve(ctx)
	if err != nil {
		return credcache.Entry{}, err
	}
	e := c.about
	e.AccessKeyID, e.SecretAccessKey, e.SessionToken = got.AccessKeyID, got.SecretAccessKey, got.SessionToken
	e.Expiration, e.AccountID = realExpiry(c.inner, got), got.AccountID
	return e, nil
}

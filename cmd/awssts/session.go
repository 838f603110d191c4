package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
)

// cachedSession is the source credentials of the role with --mfa-serial: the MFA session,
// taken from the cache while it is fresh and otherwise from its NewSessionToken Provider,
// which asks for a code. So one code serves every AssumeRole of every process until the
// session nears its end.
type cachedSession struct {
	p      *awssts.Provider
	cache  *cache // nil: the Provider alone
	key    string
	serial string
	window time.Duration // the session's ExpiryWindow
}

func (s *cachedSession) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if s.cache == nil {
		return s.p.Retrieve(ctx)
	}
	var got aws.Credentials
	e, hit, err := s.cache.through(ctx, lookup{
		key:   s.key,
		fresh: func(e entry) bool { return e.remaining(time.Now()) > s.window },
	}, func() (entry, error) {
		var err error
		if got, err = s.p.Retrieve(ctx); err != nil {
			return entry{}, err
		}
		return entry{Action: "GetSessionToken", MFASerial: s.serial, AccessKeyID: got.AccessKeyID, SecretAccessKey: got.SecretAccessKey,
			SessionToken: got.SessionToken, Expiration: realExpiry(s.p, got)}, nil
	})
	if err != nil || !hit {
		return got, err
	}
	return aws.Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken,
		Source: awssts.ProviderName, CanExpire: true, Expires: e.Expiration}, nil
}

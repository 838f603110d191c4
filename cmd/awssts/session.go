package main

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

// cachedSession is the source credentials of the role with --mfa-serial: the MFA session,
// taken from the cache while it is fresh and otherwise from its NewSessionToken Provider,
// which asks for a code. So one code serves every AssumeRole of every process, in every
// region, until the session nears its end.
type cachedSession struct {
	p      *awssts.Provider
	cache  *credcache.Cache // nil: the Provider alone
	key    string
	serial string
	window time.Duration // the session's ExpiryWindow
}

func (s *cachedSession) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if s.cache == nil {
		return s.p.Retrieve(ctx)
	}
	var got aws.Credentials
	e, hit, err := s.cache.Through(ctx, credcache.Lookup{
		Key:   s.key,
		Fresh: func(e credcache.Entry) bool { return e.Remaining(time.Now()) > s.window },
		About: credcache.Entry{Action: "GetSessionToken", MFASerial: s.serial},
	}, func() (credcache.Entry, error) {
		var err error
		if got, err = s.p.Retrieve(ctx); err != nil {
			return credcache.Entry{}, err
		}
		return credcache.Entry{Action: "GetSessionToken", MFASerial: s.serial, AccessKeyID: got.AccessKeyID, SecretAccessKey: got.SecretAccessKey,
			SessionToken: got.SessionToken, Expiration: realExpiry(s.p, got)}, nil
	})
	if err != nil || !hit {
		return got, err
	}
	return aws.Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken,
		Source: awssts.ProviderName, CanExpire: true, Expires: e.Expiration}, nil
}

// sessionRefusals are STS's answers that refuse the credentials a call was signed with, not
// the role or the request.
var sessionRefusals = []string{"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException"}

// forget drops the cached MFA session after STS refused what it signed for the session's
// credentials; a refusal about the role or the request (AccessDenied, RegionDisabledException,
// ValidationError, …) keeps it.
func (s *cachedSession) forget(err error) {
	if s.cache == nil || !slices.ContainsFunc(sessionRefusals, func(code string) bool { return hasCode(err, code) }) {
		return
	}
	s.p.Invalidate()
	_ = s.cache.Remove(context.Background(), s.key)
}

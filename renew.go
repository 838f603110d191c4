package awssts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// authFailureCodes are the errors with which AWS services reject credentials that STS issued
// and that have stopped working before the Provider expected: a session revoked, keys that
// expired early, a clock that is off.
var authFailureCodes = map[string]bool{
	"ExpiredToken":          true,
	"ExpiredTokenException": true,
	"InvalidClientTokenId":  true,
	"TokenRefreshRequired":  true,
}

// RenewOnAuthFailure is an APIOptions function (config.WithAPIOptions, or a client's
// Options.APIOptions) for clients that sign with p. When a service rejects a request signed
// with the credentials p holds with ExpiredToken, ExpiredTokenException, InvalidClientTokenId
// or TokenRefreshRequired, p renews them and the request is retried once, signed again with
// the new credentials; the caller sees no error.
//
// p renews at most once per held key: the rejections of many requests signed with one key
// make one renewal, and a key that a renewal gave is not renewed again when it too is
// rejected, so a service that rejects everything causes no storm. A request signed with a key
// p has since replaced is retried once with the current key, without a renewal.
//
// It adds the middleware "awssts.RenewOnAuthFailure" at the front of the Finalize step, ahead
// of the SDK's retry loop, identity resolution and signing, so that the retry resolves the new
// credentials and is signed with them; the request body is rewound first (a body that cannot
// seek is not retried). The rejected key is read from the Authorization header of the request
// the service answered.
//
// Give the client p itself: cfg.Credentials = p. config.WithCredentialsProvider(p) and
// aws.NewCredentialsCache(p) put a cache in front of p that keeps the rejected key until its
// own expiry, so the retry would be signed with it again.
func (p *Provider) RenewOnAuthFailure(stack *middleware.Stack) error {
	return stack.Finalize.Add(renewOnAuthFailure{p}, middleware.Before)
}

// rejection is what RenewOnAuthFailure remembers, under p.mu.
type rejection struct {
	from  string // the last held key a rejection renewed
	after int64  // Stats.Refreshes when it did: the key of refresh after+1 is not renewed again
}

type renewOnAuthFailure struct{ p *Provider }

func (renewOnAuthFailure) ID() string { return "awssts.RenewOnAuthFailure" }

func (m renewOnAuthFailure) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleFinalize(ctx, in)
	key, rejected := rejectedKey(err)
	if !rejected || !m.p.renewFor(ctx, key) {
		return out, md, err
	}
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return out, md, err
	}
	retry := req.Clone()
	if retry.RewindStream() != nil {
		return out, md, err
	}
	in.Request = retry
	return next.HandleFinalize(ctx, in)
}

// rejectedKey is the access key of the request that err rejected with an auth failure code,
// and whether there is one.
func rejectedKey(err error) (string, bool) {
	var apiErr smithy.APIError
	var resp *smithyhttp.ResponseError
	if !errors.As(err, &apiErr) || !authFailureCodes[apiErr.ErrorCode()] || !errors.As(err, &resp) ||
		resp.Response == nil || resp.Response.Request == nil {
		return "", false
	}
	_, cred, _ := strings.Cut(resp.Response.Request.Header.Get("Authorization"), "Credential=")
	key, _, _ := strings.Cut(cred, "/")
	return key, key != ""
}

// renewFor decides what a rejection of key calls for, renews when it is the first rejection
// of the held key, and reports whether the request should be retried: when p now holds
// another key. A key p never held (another client's) is none of its business. The renewal is
// the engine's one shared call, made even if the held credentials are not due, and not
// waited for past ctx; while it fails, the held credentials stay, for the services that still
// take them.
func (p *Provider) renewFor(ctx context.Context, key string) bool {
	p.mu.Lock()
	n, ever := p.keyNumber(key)
	r := &p.rejected
	switch {
	case !ever:
		p.mu.Unlock()
		return false
	case key == r.from: // another request's rejection renewed it, or is renewing it
	case key != p.current.AccessKeyID: // p has moved on since the request was signed
	case r.from != "" && n == r.after+1: // a renewal gave it: a service that rejects everything gets no storm
		p.mu.Unlock()
		return false
	default:
		r.from, r.after = key, p.stats.Refreshes
		p.refreshAt, p.retryAt = time.Now(), time.Time{} // due now, and no backoff to wait out
	}
	p.mu.Unlock()
	h, err := p.refresh(ctx, func() bool { return p.current.AccessKeyID == key && !time.Now().Before(p.retryAt) })
	return err == nil && h.creds.AccessKeyID != key
}

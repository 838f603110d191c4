package main

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/awssts/awssts"
)

// checkFailover checks --failover-region against the region and the STS endpoint that the
// configuration resolved. The library checks the rest (region names, partitions).
func checkFailover(regions []string, region, endpoint string) error {
	for i, r := range regions {
		if err := checkRegion("--failover-region", r); err != nil {
			return err
		}
		switch {
		case slices.Contains(regions[:i], r):
			return usagef("--failover-region %q: is listed twice", r)
		case r == region:
			return usagef("--failover-region %q: is the region (from --region, AWS_REGION or the profile), which is always asked first; list only other regions", r)
		}
	}
	if len(regions) > 0 && endpoint != "" {
		return usagef("--failover-region: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or the profile's endpoint_url sets one STS endpoint (%s), with no region to fail over to: unset it, or leave out --failover-region", endpoint)
	}
	return nil
}

// failoverField is the library's name of one failover region: FailoverRegions[2] "x".
var failoverField = regexp.MustCompile(`^(awssts: )?FailoverRegions(\[\d+\])? ?`)

// failoverFlag names --failover-region in the library's error about FailoverRegions.
func failoverFlag(err error) error {
	return usagef("--failover-region %s", failoverField.ReplaceAllString(err.Error(), ""))
}

// regionalClient is an STS client made now, as the library's failover needs one to derive a
// client per region from, that loads the full configuration (the CA bundle, the source
// credentials) only at its first request, as lazySTS does. creds, unless nil, replace the
// configuration's credentials.
func regionalClient(cfg aws.Config, full func() (aws.Config, error), creds aws.CredentialsProvider, optFns ...func(*sts.Options)) *sts.Client {
	cfg = cfg.Copy()
	cfg.HTTPClient = lazyHTTP(full)
	cfg.Credentials = creds
	if creds == nil {
		cfg.Credentials = aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
			c, err := full()
			if err != nil {
				return aws.Credentials{}, err
			}
			return c.Credentials.Retrieve(ctx)
		})
	}
	return sts.NewFromConfig(cfg, optFns...)
}

// lazyHTTP sends with the HTTP client of the full configuration.
type lazyHTTP func() (aws.Config, error)

func (l lazyHTTP) Do(r *http.Request) (*http.Response, error) {
	cfg, err := l()
	if err != nil {
		return nil, err
	}
	return cfg.HTTPClient.Do(r)
}

// failoverSTS is the role's STS client with --failover-region. The library fails over only
// with an *sts.Client, from which it derives one per region, while the cache must stand in
// front of the whole call, every region included, so that processes share one call and one
// record of failures. So each AssumeRole that the cache lets through is one call of an inner
// Provider with FailoverRegions, and that call's answer, kept from the response as the
// regional client returned it, is handed on.
type failoverSTS struct{ inner *awssts.Provider }

// newFailoverSTS checks opts.FailoverRegions with the library, which makes no call.
func newFailoverSTS(cfg aws.Config, full func() (aws.Config, error), creds aws.CredentialsProvider, roleARN string, opts awssts.Options) (*failoverSTS, error) {
	opts.Prefetch = false
	client := regionalClient(cfg, full, creds, func(o *sts.Options) { o.APIOptions = append(o.APIOptions, keepAnswer) })
	p, err := awssts.New(client, roleARN, func(o *awssts.Options) { *o = opts })
	if err != nil {
		return nil, failoverFlag(err)
	}
	return &failoverSTS{inner: p}, nil
}

func (f *failoverSTS) AssumeRole(ctx context.Context, _ *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	slot := new(atomic.Pointer[sts.AssumeRoleOutput])
	f.inner.Invalidate() // a call, not the credentials the inner Provider holds
	creds, err := f.inner.Retrieve(context.WithValue(ctx, answerKey{}, slot))
	if err != nil {
		if wrapped := errors.Unwrap(err); wrapped != nil {
			return nil, wrapped // the outer Provider says again which role it assumed
		}
		return nil, err
	}
	out := slot.Load()
	if out == nil || out.Credentials == nil || aws.ToString(out.Credentials.AccessKeyId) != creds.AccessKeyID {
		return nil, errors.New("the answer of the failover call was not kept")
	}
	return out, nil
}

func (f *failoverSTS) Close() error { return f.inner.Close() }

type answerKey struct{}

// keepAnswer stores a successful AssumeRole answer, its metadata included, in the slot that
// the call's context carries.
func keepAnswer(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awsstsKeepAnswer",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			slot, ok := ctx.Value(answerKey{}).(*atomic.Pointer[sts.AssumeRoleOutput])
			if answer, isAnswer := out.Result.(*sts.AssumeRoleOutput); err == nil && ok && isAnswer {
				answer.ResultMetadata = md
				slot.Store(answer)
			}
			return out, md, err
		}), middleware.After)
}

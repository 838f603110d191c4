package bench

import (
	"context"
	"io"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/tracing"

	"github.com/awssts/awssts"
)

const roleARN = "arn:aws:iam::123456789012:role/bench"

// stub is an in-memory STS: AssumeRole takes latency, fails while down, and logs when each
// call arrived, which is how the scenarios count and time STS calls.
type stub struct {
	latency time.Duration
	mu      sync.Mutex
	down    bool
	arrived []time.Time
	expiry  time.Time // of the last credentials issued
}

var errOutage = &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "bench outage", Fault: smithy.FaultServer}

func (s *stub) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	s.mu.Lock()
	s.arrived = append(s.arrived, time.Now())
	n, down := len(s.arrived), s.down
	s.mu.Unlock()
	if s.latency > 0 {
		t := time.NewTimer(s.latency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	if down {
		return nil, errOutage
	}
	exp := time.Now().Add(time.Duration(*in.DurationSeconds) * time.Second).Truncate(time.Second)
	s.mu.Lock()
	s.expiry = exp
	s.mu.Unlock()
	key := "ASIABENCH" + strconv.Itoa(n)
	return &sts.AssumeRoleOutput{Credentials: &types.Credentials{
		AccessKeyId: &key, SecretAccessKey: aws.String("bench-secret"), SessionToken: aws.String("bench-token"), Expiration: &exp,
	}}, nil
}

func (s *stub) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// calls returns the arrival times of the calls so far, and the expiry last issued.
func (s *stub) calls() ([]time.Time, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.arrived...), s.expiry
}

// contender is one way to get role credentials from an STS client.
type contender struct {
	name string
	open func(testing.TB, stscreds.AssumeRoleAPIClient) aws.CredentialsProvider
}

var (
	prefetch = contender{"awssts-prefetch", func(tb testing.TB, c stscreds.AssumeRoleAPIClient) aws.CredentialsProvider {
		return ours(tb, c, true)
	}}
	onDemand = contender{"awssts-on-demand", func(tb testing.TB, c stscreds.AssumeRoleAPIClient) aws.CredentialsProvider {
		return ours(tb, c, false)
	}}
	sdk = contender{"anchor", func(_ testing.TB, c stscreds.AssumeRoleAPIClient) aws.CredentialsProvider {
		return anchor(c)
	}}
	everyone = []contender{prefetch, onDemand, sdk}

	// meteredOnDemand is onDemand with a MeterProvider and TracerProvider that record.
	meteredOnDemand = contender{"awssts-metered", func(tb testing.TB, c stscreds.AssumeRoleAPIClient) aws.CredentialsProvider {
		p, err := awssts.New(c, roleARN, func(o *awssts.Options) {
			o.Duration, o.ExpiryWindow = time.Hour, 10*time.Minute
			o.MeterProvider, o.TracerProvider = &countingMeter{}, tracing.NopTracerProvider{}
		})
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}}
)

// ours sets the anchor's Duration and window, so that -tags dev changes neither side.
func ours(tb testing.TB, c stscreds.AssumeRoleAPIClient, prefetch bool) *awssts.Provider {
	p, err := awssts.New(c, roleARN, func(o *awssts.Options) {
		o.Duration, o.ExpiryWindow, o.Prefetch = time.Hour, 10*time.Minute, prefetch
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// anchor is the code a user would otherwise write: stscreds with a 1 h Duration in an
// aws.CredentialsCache with a 10-minute ExpiryWindow.
func anchor(c stscreds.AssumeRoleAPIClient) *aws.CredentialsCache {
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(c, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.Duration = time.Hour
	}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 10 * time.Minute })
}

// shut stops p's prefetch goroutine, if it has one, so that a synctest bubble can end.
func shut(p aws.CredentialsProvider) {
	if c, ok := p.(io.Closer); ok {
		c.Close()
	}
}

func (c contender) label() string { return c.name }

// forEach runs f once per contender of cs, each in a subtest and a synctest bubble of its own.
func forEach[C interface{ label() string }](t *testing.T, cs []C, f func(*testing.T, C)) {
	for _, c := range cs {
		t.Run(c.label(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { f(t, c) })
		})
	}
}

// issued opens c against a stub STS with the given latency and makes its first Retrieve.
func issued(t *testing.T, c contender, latency time.Duration) (*stub, aws.CredentialsProvider) {
	s := &stub{latency: latency}
	p := c.open(t, s)
	if _, err := p.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, p
}

package awssts

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testRoleARN = "arn:aws:iam::123456789012:role/demo"

// fakeSTS is an in-memory AssumeRole with a latency and a switchable outage. It issues
// credentials whose secret and token are easy to find in any output they leak into.
type fakeSTS struct {
	mu      sync.Mutex
	latency time.Duration
	err     error // returned by every call while set
	calls   []*sts.AssumeRoleInput
}

var errUnavailable = &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "STS is down", Fault: smithy.FaultServer}

func (f *fakeSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	n, latency, err := len(f.calls), f.latency, f.err
	f.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	exp := time.Now().Add(time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second).Truncate(time.Second)
	return &sts.AssumeRoleOutput{
		Credentials: &types.Credentials{
			AccessKeyId:     aws.String(fmt.Sprintf("ASIAFAKE%012d", n)),
			SecretAccessKey: aws.String(fmt.Sprintf("SECRET-%d-must-not-leak", n)),
			SessionToken:    aws.String(fmt.Sprintf("TOKEN-%d-must-not-leak", n)),
			Expiration:      &exp,
		},
		AssumedRoleUser: &types.AssumedRoleUser{
			Arn:           aws.String("arn:aws:sts::123456789012:assumed-role/demo/" + aws.ToString(in.RoleSessionName)),
			AssumedRoleId: aws.String("AROAFAKE:" + aws.ToString(in.RoleSessionName)),
		},
	}, nil
}

func (f *fakeSTS) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeSTS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeSTS) input(i int) *sts.AssumeRoleInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[i]
}

func newTestProvider(t *testing.T, f *fakeSTS, optFns ...func(*Options)) *Provider {
	t.Helper()
	p, err := New(f, testRoleARN, optFns...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// leaked reports which of the fake's secrets or tokens appear in s.
func leaked(s string) []string {
	var found []string
	for _, marker := range []string{"SECRET-", "TOKEN-", "-must-not-leak"} {
		if strings.Contains(s, marker) {
			found = append(found, marker)
		}
	}
	return found
}

// optionsOf returns the Options, after defaults, of a Provider made by New.
func optionsOf(p *Provider) Options { return p.src.(*assumeRole).o }

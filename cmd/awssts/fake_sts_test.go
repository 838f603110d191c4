package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// fakeSTS issues numbered credentials that live for the requested duration.
type fakeSTS struct {
	mu sync.Mutex
	n  int
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	exp := time.Now().Add(time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second)
	return &sts.AssumeRoleOutput{
		Credentials: &types.Credentials{AccessKeyId: aws.String(fmt.Sprintf("ASIAFAKE%012d", n)), SecretAccessKey: aws.String("secret"),
			SessionToken: aws.String("token"), Expiration: &exp},
		AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/demo/s")},
	}, nil
}

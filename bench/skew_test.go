package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	skewAhead = 15 * time.Minute // STS's clock minus this machine's
	skewRun   = 3 * time.Hour
)

// Row 9: this machine's clock is 15 minutes behind STS's. A client built on the provider makes
// one signed GetCallerIdentity a second for 3 simulated hours, through the SDK's full HTTP
// stack to ststest in memory, with the SDK's default retryer. STS's 1 h credentials expire 15
// minutes before the local clock says; the anchor's 10-minute window then leaves 5 minutes a
// rotation in which STS answers ExpiredToken. awssts reads the skew from the Date header and
// renews before STS's expiry.
func TestClockSkew(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		const akid, secret = "AKIABENCHEXAMPLE0001", "bench-long-term-secret"
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(akid, secret)
		srv.AddRole(roleARN, time.Hour)
		srv.SetClockSkew(skewAhead)
		cfg := aws.Config{
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, ""),
			BaseEndpoint: aws.String(srv.URL),
			HTTPClient:   srv.Client(),
		}
		p := c.open(t, sts.NewFromConfig(cfg))
		cfg.Credentials = p
		client := sts.NewFromConfig(cfg)

		var requests, failed, expired int
		for end := time.Now().Add(skewRun); time.Now().Before(end); time.Sleep(time.Second) {
			requests++
			if _, err := client.GetCallerIdentity(context.Background(), nil); err != nil {
				failed++
				if apiErr := smithy.APIError(nil); errors.As(err, &apiErr) && apiErr.ErrorCode() == "ExpiredToken" {
					expired++
				}
			}
		}
		var skew time.Duration
		if a, ok := p.(*awssts.Provider); ok {
			skew = a.Stats().ClockSkew
		}
		shut(p)
		var calls, keys, refused int
		for _, call := range srv.Calls() {
			switch {
			case call.Action == "AssumeRole":
				calls++
				if call.ErrorCode == "" {
					keys++
				}
			case call.ErrorCode == "ExpiredToken":
				refused++
			}
		}
		report(t, Result{Row: "skew", Case: c.name, Calls: calls, Keys: keys, Retrieves: requests,
			Errors: failed, Expired: refused, SkewS: skew.Seconds()})

		if failed != expired || refused != expired || keys < 3 {
			t.Errorf("%d of %d requests failed, %d with ExpiredToken, which ststest sent %d times; %d credentials issued; want only ExpiredToken failures, one answer each, and at least 3 credentials",
				failed, requests, expired, refused, keys)
		}
		switch {
		case c.name == sdk.name && expired < 240*(keys-1):
			t.Errorf("anchor: %d s of ExpiredToken over %d rotations, expected about 300 s each", expired, keys-1)
		case c.name != sdk.name && (expired != 0 || (skew-skewAhead).Abs() > time.Second):
			t.Errorf("%d requests got ExpiredToken, ClockSkew %v; want 0 and %v within the 1 s of a Date header", expired, skew, skewAhead)
		}
	})
}

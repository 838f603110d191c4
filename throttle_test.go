package awssts_test

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// Throttling means the account's quota is spent, usually by many callers at once. A throttled
// AssumeRole is not retried by the SDK within the call, and the next call comes after a random
// wait of 1 to 60 s, so that a fleet throttled together comes back spread out, not in the next
// second as after other failures.
func TestThrottling_SpreadsTheNextCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const fleet = 200
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(foUser, foSecret)
		srv.AddRole(foRole, 0)
		srv.FailAction("AssumeRole", ststest.Throttling, fleet)
		start := time.Now()
		for i := range fleet {
			cfg := aws.Config{Region: "us-east-1", HTTPClient: srv.Client(), BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider(foUser, foSecret, "")} // the SDK's standard retryer
			p, err := awssts.New(sts.NewFromConfig(cfg), foRole, func(o *awssts.Options) { o.Prefetch = true })
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			_, err = p.Retrieve(t.Context())
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" {
				n := 0
				for _, c := range srv.Calls() {
					if c.ErrorCode == "Throttling" {
						n++
					}
				}
				t.Fatalf("first Retrieve of Provider %d = %v, want Throttling (%d calls, %d throttled)", i, err, len(srv.Calls()), n)
			}
		}
		time.Sleep(2 * time.Minute)
		var first, next []time.Duration
		for _, c := range srv.Calls() {
			if c.ErrorCode == "Throttling" {
				first = append(first, c.Time.Sub(start))
			} else {
				next = append(next, c.Time.Sub(start))
			}
		}
		if len(first) != fleet || slices.Max(first) != 0 {
			t.Fatalf("%d throttled calls, the last at %v; want %d, all at once: the SDK must not retry them", len(first), slices.Max(first), fleet)
		}
		if len(next) != fleet {
			t.Fatalf("%d calls after the throttling, want one per Provider (%d)", len(next), fleet)
		}
		if lo, hi := slices.Min(next), slices.Max(next); lo < time.Second || hi > time.Minute || hi-lo < 30*time.Second {
			t.Errorf("the calls after the throttling came %v to %v after it, want spread over 1 s to 60 s", lo, hi)
		}
	})
}

package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	regionalOutage  = 6 * time.Hour
	regionalCallers = 5
	callerDeadline  = 30 * time.Second
)

// regions routes each region's STS requests to an in-memory ststest server of its own.
type regions map[string]*ststest.Server

func (rs regions) ResolveEndpoint(_ context.Context, p sts.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse("http://" + aws.ToString(p.Region) + ".ststest.invalid")
	return smithyendpoints.Endpoint{URI: *u}, err
}

func (rs regions) RoundTrip(r *http.Request) (*http.Response, error) {
	region, _, _ := strings.Cut(r.URL.Host, ".")
	if srv, ok := rs[region]; ok {
		return srv.Client().Transport.RoundTrip(r)
	}
	return nil, fmt.Errorf("no STS in %q", region)
}

// Row 13: STS in the client's region (us-east-1) stops answering (every request hangs) for
// 6 h, before anything was issued; us-west-2 answers. 5 callers ask once a second, each with a
// 30 s deadline. awssts has FailoverRegions us-west-2; the anchor, stscreds in an
// aws.CredentialsCache, has no such option. Both use the SDK's standard retryer.
func TestRegionalOutage(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		rs := regions{}
		for _, name := range []string{"us-east-1", "us-west-2"} {
			srv := ststest.NewInMemoryServer()
			defer srv.Close()
			srv.AddUser(benchKey, benchSecret)
			srv.AddRole(roleARN, time.Hour)
			rs[name] = srv
		}
		rs["us-east-1"].Delay(24*time.Hour, 1<<30)
		client := sts.New(sts.Options{Region: "us-east-1", EndpointResolverV2: rs, HTTPClient: &http.Client{Transport: rs},
			Credentials: credentials.NewStaticCredentialsProvider(benchKey, benchSecret, "")})
		p := openWithFailover(t, c, client, "us-west-2")

		got := callEverySecond(withDeadline{p, callerDeadline}, regionalCallers, time.Now().Add(regionalOutage))
		shut(p)
		rs["us-east-1"].Recover()
		rs["us-east-1"].Close()        // ends the anchor's call, still waiting on us-east-1
		_, _ = p.Retrieve(t.Context()) // and waits for it
		var issued []time.Time
		for _, srv := range rs {
			for _, call := range srv.Calls() {
				if call.Action == "AssumeRole" && call.ErrorCode == "" && call.Delay == 0 {
					issued = append(issued, call.Time)
				}
			}
		}
		var primary int
		for _, call := range rs["us-east-1"].Calls() {
			if len(issued) > 0 && call.Time.After(issued[0]) {
				primary++
			}
		}
		report(t, Result{Row: "regional-outage", Case: c.name, Calls: len(rs["us-east-1"].Calls()) + len(rs["us-west-2"].Calls()),
			Retrieves: got.retrieves, Waited: got.waited, WorstMS: ms(got.worst), Errors: got.errors,
			PrimaryCalls: primary, Renewals: max(len(issued)-1, 0)})

		switch {
		case c.name == sdk.name && got.errors < got.retrieves/2:
			t.Errorf("anchor: %d errors of %d Retrieves, expected most to fail without failover", got.errors, got.retrieves)
		case c.name != sdk.name && (got.errors != 0 || got.worst > regionTimeoutBound || len(issued) < 6 || primary > len(issued)):
			t.Errorf("%d errors, worst wait %v, %d credentials issued, %d primary attempts after the first; want 0, at most %v, at least 6, at most one per renewal",
				got.errors, got.worst, len(issued), primary, regionTimeoutBound)
		}
	})
}

// regionTimeoutBound is the longest a Retrieve may wait: the first, which learns that the
// primary is down (its attempts get 10 s).
const regionTimeoutBound = 10 * time.Second

// openWithFailover is c on client, with FailoverRegions for awssts.
func openWithFailover(t *testing.T, c contender, client *sts.Client, failover ...string) aws.CredentialsProvider {
	if c.name == sdk.name {
		return anchor(client)
	}
	p, err := awssts.New(client, roleARN, func(o *awssts.Options) {
		o.Duration, o.ExpiryWindow, o.Prefetch = time.Hour, 10*time.Minute, c.name == prefetch.name
		o.FailoverRegions = failover
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// withDeadline is p with a deadline for each Retrieve, as callers that give up would set.
type withDeadline struct {
	aws.CredentialsProvider
	d time.Duration
}

func (w withDeadline) Retrieve(ctx context.Context) (aws.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, w.d)
	defer cancel()
	return w.CredentialsProvider.Retrieve(ctx)
}

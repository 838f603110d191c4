package bench

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	benchKey      = "AKIABENCHEXAMPLE0002"
	benchSecret   = "bench-long-term-secret"
	throttleFleet = 10000
	stsRate       = 100 // requests a second, STS's quota in this row
	maxAttempts   = 3.0 // target: AssumeRole requests per Provider, on average
)

// attempts counts the requests that reach STS through it, and those answered 400 (Throttling:
// the only client error in this row), without ststest keeping a record of each.
type attempts struct {
	next            http.RoundTripper
	sent, throttled atomic.Int64
}

func (a *attempts) RoundTrip(r *http.Request) (*http.Response, error) {
	a.sent.Add(1)
	resp, err := a.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusBadRequest {
		a.throttled.Add(1)
	}
	return resp, err
}

// testFleet is the fleet of this row under a plain go test: the anchor's 60 requests a Provider
// cost real SDK work (about 7 minutes and 1.2 GB at 10,000), too much for every test run, which
// checks the same ratio of fleet to rate, so the same ideal 100 s. scripts/bench sets
// AWSSTS_BENCH_FLEET=10000, the row's own size.
const testFleet = 200

// fleetSizeFor is the fleet of this run and the rate that keeps the row's ratio.
func fleetSizeFor(t *testing.T) (n int, rate float64) {
	n = testFleet
	if v, err := strconv.Atoi(os.Getenv("AWSSTS_BENCH_FLEET")); err == nil && v > 0 {
		n = v
	}
	rate = float64(n) * stsRate / throttleFleet
	t.Logf("a fleet of %d at %g requests a second", n, rate)
	return n, rate
}

// Row 12: 10,000 Providers start in the same second against one STS that takes 100 requests a
// second (a token bucket of 100), each with its own SDK STS client and the SDK's standard
// retryer, and one caller that asks once a second until it has credentials. The ideal is 100 s.
// With prefetch, the fleet then renews: its callers ask once a second from before the first
// prefetch until the last Provider would have had to renew on demand.
func TestThrottledFleet(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		n, rate := fleetSizeFor(t)
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(benchKey, benchSecret)
		srv.AddRole(roleARN, time.Hour)
		srv.SetRateLimit(rate, int(rate))
		count := &attempts{next: srv.Client().Transport}
		opts := sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: &http.Client{Transport: count},
			Credentials: credentials.NewStaticCredentialsProvider(benchKey, benchSecret, "")}

		start := time.Now()
		fleet := make([]aws.CredentialsProvider, n)
		for i := range fleet {
			fleet[i] = c.open(t, sts.New(opts))
		}
		served := make([]time.Duration, n)
		var errs atomic.Int64
		var wg sync.WaitGroup
		for i, p := range fleet {
			wg.Go(func() {
				for {
					if _, err := p.Retrieve(context.Background()); err == nil {
						served[i] = time.Since(start)
						return
					}
					errs.Add(1)
					time.Sleep(time.Second)
				}
			})
		}
		wg.Wait()
		all := time.Duration(0)
		for _, d := range served {
			all = max(all, d)
		}
		r := Result{Row: "throttled-fleet", Case: c.name, Calls: int(count.sent.Load()), Throttled: int(count.throttled.Load()),
			Errors: int(errs.Load()), AllServedS: all.Seconds(), Providers: n}

		if c.name == prefetch.name {
			renewal := renewalRound(fleet, start, count)
			r.RenewCalls, r.RenewThrottled, r.RenewErrors, r.RenewWaited = renewal.calls, renewal.throttled, renewal.errors, renewal.waited
			r.Retrieves = renewal.retrieves
			if renewal.errors != 0 || renewal.waited != 0 || renewal.renewed != n {
				t.Errorf("renewal round: %d errors, %d waits, %d of %d renewed; want 0, 0 and all", renewal.errors, renewal.waited, renewal.renewed, n)
			}
		}
		for _, p := range fleet {
			shut(p)
		}
		report(t, r)

		perProvider := float64(r.Calls) / float64(n)
		ideal := time.Duration(float64(n)/rate) * time.Second
		if c.name != sdk.name && (all > 2*ideal || perProvider > maxAttempts) {
			t.Errorf("all served in %v with %.2f attempts per Provider; want within %v (2× the ideal) and at most %.0f", all, perProvider, 2*ideal, maxAttempts)
		}
	})
}

type renewalTally struct {
	tally
	calls, throttled, renewed int
}

// renewalRound has each Provider's caller ask once a second from 10 s before the earliest
// prefetch time (the first credentials expire at start+1h; prefetch comes 650-710 s before)
// until the last Provider's first credentials reach their refresh time (ExpiryWindow, 600 s,
// before they expire), and counts the STS requests made meanwhile.
func renewalRound(fleet []aws.CredentialsProvider, start time.Time, count *attempts) renewalTally {
	first := make([]awssts.Stats, len(fleet))
	last := start
	for i, p := range fleet {
		first[i] = p.(*awssts.Provider).Stats()
		if first[i].Expiration.After(last) {
			last = first[i].Expiration
		}
	}
	time.Sleep(time.Until(start.Add(time.Hour - 720*time.Second)))
	sent, throttled := count.sent.Load(), count.throttled.Load()
	end := last.Add(-600 * time.Second)
	var mu sync.Mutex
	var sum renewalTally
	var wg sync.WaitGroup
	for _, p := range fleet {
		wg.Go(func() {
			var mine tally
			for ; time.Now().Before(end); time.Sleep(time.Second) {
				t0 := time.Now()
				_, err := p.Retrieve(context.Background())
				mine.observe(time.Since(t0), err)
			}
			mu.Lock()
			sum.merge(mine)
			mu.Unlock()
		})
	}
	wg.Wait()
	for i, p := range fleet {
		if p.(*awssts.Provider).Stats().Expiration.After(first[i].Expiration) {
			sum.renewed++
		}
	}
	sum.calls, sum.throttled = int(count.sent.Load()-sent), int(count.throttled.Load()-throttled)
	return sum
}

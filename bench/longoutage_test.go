package bench

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	longOutage      = 10 * time.Minute
	longOutageCalls = 40               // target for awssts: STS calls in the outage
	maxRecovery     = 30 * time.Second // target for awssts: from STS's recovery to the first credentials
)

// Row 7: nothing was ever issued, and STS fails every call in 50 ms for 10 minutes while 50
// callers a second ask, spread over each second. Then STS recovers and the callers go on.
// awssts backs off (1 s doubling to 30 s) and answers the callers in between with the last
// error at once; the anchor calls STS at every cache miss.
func TestLongOutage(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		s := &stub{latency: 50 * time.Millisecond, down: true}
		p := c.open(t, s)
		recovered := time.Now().Add(longOutage)
		done := make(chan spreadResult)
		go func() { done <- callSpread(p, 50, recovered, recovered.Add(2*maxRecovery)) }()
		time.Sleep(time.Until(recovered))
		s.setDown(false)
		got := <-done
		shut(p)
		calls, _ := s.calls()
		inOutage := 0
		for _, at := range calls {
			if at.Before(recovered) {
				inOutage++
			}
		}
		recovery := got.firstOK.Sub(recovered)
		if got.firstOK.IsZero() {
			recovery = -time.Millisecond // reported as "none"
		}
		report(t, Result{Row: "long-outage", Case: c.name, Calls: inOutage, Retrieves: got.retrieves,
			Waited: got.waited, WorstMS: ms(got.worst), Errors: got.errors, RecoveryMS: ms(recovery)})

		switch {
		case c.name == sdk.name && inOutage < 5000:
			t.Errorf("anchor: %d STS calls in the outage, expected one per cache miss (about 9,700)", inOutage)
		case c.name != sdk.name && (inOutage > longOutageCalls || recovery < 0 || recovery > maxRecovery):
			t.Errorf("%d STS calls in a %v outage, first credentials %v after STS recovered; want at most %d and within %v",
				inOutage, longOutage, recovery, longOutageCalls, maxRecovery)
		}
	})
}

// spreadResult is what callSpread's callers saw, and when the first of them got credentials
// at or after the time it was given.
type spreadResult struct {
	tally
	firstOK time.Time
}

// callSpread has n goroutines call Retrieve once a second until end, the i-th at i/n of each
// second (10 ms into its slot, so that no call falls on a whole second), on a fixed schedule
// that a slow call does not shift.
func callSpread(p aws.CredentialsProvider, n int, from, end time.Time) spreadResult {
	start := time.Now().Add(10 * time.Millisecond)
	done := make(chan spreadResult, n)
	for i := range n {
		go func() {
			var mine spreadResult
			for next := start.Add(time.Duration(i) * time.Second / time.Duration(n)); next.Before(end); next = next.Add(time.Second) {
				time.Sleep(time.Until(next))
				_, err := p.Retrieve(context.Background())
				mine.observe(time.Since(next), err)
				if now := time.Now(); err == nil && !now.Before(from) && mine.firstOK.IsZero() {
					mine.firstOK = now
				}
			}
			done <- mine
		}()
	}
	var sum spreadResult
	for range n {
		r := <-done
		sum.merge(r.tally)
		if !r.firstOK.IsZero() && (sum.firstOK.IsZero() || r.firstOK.Before(sum.firstOK)) {
			sum.firstOK = r.firstOK
		}
	}
	return sum
}

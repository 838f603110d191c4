package awssts_test

import (
	"testing"
	"testing/synctest"
	"time"
)

// Expected: an outage of the primary is an outage, however the failover regions answer: with
// a failover region that is not activated (RegionDisabledException), the held credentials are
// served through the outage as they would be with no FailoverRegions at all.
//
// A call that asked several regions takes its kind from the last region's error
// (regionsError.Unwrap). With us-east-1 down and us-west-2 disabled, that is
// RegionDisabledException, a client fault, so the engine records a refusal and stops serving
// the held credentials at their refresh time, 10 minutes before they expire: Retrieve returns
// the error at once, and once its backoff ends, waits the primary's whole minute (the
// disabled region is skipped, so the primary is the last region and gets all of it).
// Configuring a failover region made an outage that stale-on-failure covered, at no wait,
// into errors and minute-long waits for every caller.
func TestAttack2_Failover_DisabledRegionTurnsAnOutageIntoARefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newRegions(t, "us-east-1", "us-west-2")
		p := newFailoverProvider(t, rs.client("us-east-1"), []string{"us-west-2"})
		held, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		rs["us-east-1"].Delay(48*time.Hour, 1<<20) // a black hole
		rs["us-west-2"].SetRegionDisabled(true)
		time.Sleep(52 * time.Minute) // past the refresh time (50 min), 8 min before expiry
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Fatalf("Retrieve of due, usable credentials: %v", err)
		}
		synctest.Wait() // the renewal behind it fails
		for i := range 5 {
			if i > 0 {
				time.Sleep(10 * time.Second)
			}
			start := time.Now()
			c, err := p.Retrieve(t.Context())
			waited := time.Since(start)
			switch {
			case err != nil:
				t.Errorf("Retrieve %d during a primary outage, %v before the held credentials expire: %v (after waiting %v)",
					i, time.Until(p.Stats().Expiration), err, waited)
			case c.AccessKeyID != held.AccessKeyID:
				t.Errorf("Retrieve %d served %s, want the held %s", i, c.AccessKeyID, held.AccessKeyID)
			case waited > 0:
				t.Errorf("Retrieve %d waited %v on the source while usable credentials were held", i, waited)
			}
		}
	})
}

package bench

import (
	"testing"
	"time"
)

// Row 3: STS fails from the second call on, while 50 goroutines call Retrieve once a second
// until 1 minute before the real expiry. awssts serves the held credentials; the anchor errs.
func TestOutage(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		s, p := issued(t, c, 100*time.Millisecond)
		s.setDown(true)
		_, expiry := s.calls()
		got := callEverySecond(p, 50, expiry.Add(-time.Minute))
		shut(p)
		calls, _ := s.calls()
		report(t, Result{Row: "outage", Case: c.name, Calls: len(calls), Retrieves: got.retrieves,
			Waited: got.waited, WorstMS: ms(got.worst), Errors: got.errors})

		switch {
		case c.name == sdk.name && got.errors < 20000:
			t.Errorf("anchor served %d errors, expected it to fail every call in its window", got.errors)
		case c.name != sdk.name && (got.errors != 0 || len(calls) > 40):
			t.Errorf("%d errors and %d STS calls while the credentials were valid, want 0 and at most 40", got.errors, len(calls))
		}
	})
}

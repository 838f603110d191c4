package bench

import (
	"testing"
	"time"
)

// Row 2: 50 goroutines call Retrieve once a second for 3 simulated hours against an STS that
// takes 100 ms. With prefetch no call waits; with the anchor every refresh holds its callers.
func TestRefreshWait(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		s, p := issued(t, c, 100*time.Millisecond)
		got := callEverySecond(p, 50, time.Now().Add(3*time.Hour))
		shut(p)
		calls, _ := s.calls()
		report(t, Result{Row: "refresh", Case: c.name, Calls: len(calls), Retrieves: got.retrieves,
			Waited: got.waited, WorstMS: ms(got.worst), Errors: got.errors})

		if got.errors != 0 || len(calls) < 4 {
			t.Errorf("%d errors and %d STS calls in 3 h of 1 h sessions, want 0 and at least 4", got.errors, len(calls))
		}
		switch c.name {
		case prefetch.name:
			if got.waited != 0 || got.worst != 0 {
				t.Errorf("with prefetch %d calls waited (worst %v), want 0", got.waited, got.worst)
			}
		case sdk.name:
			if got.waited < 100 || got.worst != s.latency {
				t.Errorf("anchor: %d calls waited (worst %v), expected every refresh to hold its callers", got.waited, got.worst)
			}
		}
	})
}

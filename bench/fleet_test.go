package bench

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	fleetSize = 10000
	bucket    = 10 * time.Second
	buckets   = 6 // the prefetch jitter range, 10% of the 600 s window, in 10 s buckets
)

// fleetRefreshes starts n providers in the same simulated instant against one STS that
// answers at once, and returns how many STS calls their first Retrieves made and how long before the real
// expiry each later call came. Each provider is asked once a second from 610 s to 590 s
// before expiry, where refreshes on demand fall due; prefetch has refreshed by then.
func fleetRefreshes(t *testing.T, c contender, n int) (firstCalls int, before []time.Duration) {
	s := &stub{}
	t0 := time.Now()
	fleet := make([]aws.CredentialsProvider, n)
	for i := range fleet {
		fleet[i] = c.open(t, s)
	}
	synctest.Wait() // prefetch goroutines have made their first call
	for _, p := range fleet {
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	_, expiry := s.calls()
	time.Sleep(time.Until(expiry.Add(-610 * time.Second)))
	for ; time.Now().Before(expiry.Add(-590 * time.Second)); time.Sleep(time.Second) {
		for _, p := range fleet {
			_, _ = p.Retrieve(context.Background())
		}
	}
	for _, p := range fleet {
		shut(p)
	}
	all, _ := s.calls()
	for _, at := range all {
		if at.Equal(t0) {
			firstCalls++
		} else {
			before = append(before, expiry.Sub(at))
		}
	}
	return firstCalls, before
}

// histogram counts offsets (time before expiry) in 10 s buckets, from the 10 s mark at or
// above the earliest one; it returns that mark and the counts, latest bucket last.
func histogram(before []time.Duration) (from time.Duration, counts []int) {
	from = (slices.Max(before) + bucket - 1).Truncate(bucket)
	counts = make([]int, buckets)
	for _, d := range before {
		counts[min(int((from-d)/bucket), buckets-1)]++
	}
	return from, counts
}

func peakToMean(counts []int) float64 {
	sum := 0
	for _, c := range counts {
		sum += c
	}
	return float64(slices.Max(counts)) * float64(len(counts)) / float64(sum)
}

// Row 5: a fleet started in the same second spreads its prefetch refreshes over the jitter
// range (650-710 s before expiry); the anchor refreshes in one spike.
func TestFleetSpread(t *testing.T) {
	forEach(t, everyone, func(t *testing.T, c contender) {
		firstCalls, before := fleetRefreshes(t, c, fleetSize)
		if firstCalls != fleetSize || len(before) != fleetSize {
			t.Fatalf("%d first calls and %d refreshes from %d providers, want one each", firstCalls, len(before), fleetSize)
		}
		from, counts := histogram(before)
		ratio := peakToMean(counts)
		report(t, Result{Row: "fleet", Case: c.name, Calls: firstCalls + len(before), Ratio: ratio, Hist: counts, HistFrom: int(from / time.Second)})

		switch c.name {
		case sdk.name:
			if ratio != buckets {
				t.Errorf("anchor: peak-to-mean %.2f, expected one spike (%d)", ratio, buckets)
			}
			return
		case onDemand.name:
			return
		}
		if lo, hi := slices.Min(before), slices.Max(before); lo < 650*time.Second || hi > 710*time.Second {
			t.Errorf("prefetch refreshes %v..%v before expiry, want within 650 s..710 s", hi, lo)
		}
		if ratio > 1.5 || slices.Min(counts) == 0 {
			t.Errorf("prefetch refreshes per 10 s: %v (peak-to-mean %.2f), want them spread", counts, ratio)
		}
	})
}

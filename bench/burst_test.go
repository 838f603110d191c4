package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var burstSizes = []int{1, 100, 10000}

// burst has n goroutines make the first Retrieve of p together and returns how long the
// last of them took from the moment they were released.
func burst(tb testing.TB, p aws.CredentialsProvider, n int) time.Duration {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	keys := make([]string, n)
	for i := range keys {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			c, err := p.Retrieve(context.Background())
			if err != nil {
				tb.Error(err)
			}
			keys[i] = c.AccessKeyID
		})
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	elapsed := time.Since(t0)
	for i, k := range keys {
		if k != keys[0] {
			tb.Fatalf("goroutine %d got key %q, goroutine 0 got %q", i, k, keys[0])
		}
	}
	return elapsed
}

// Row 4: the first Retrieve from 1, 100 and 10,000 goroutines is one STS call, and in
// simulated time the burst lasts exactly one STS latency.
func TestFirstRetrieveBurst(t *testing.T) {
	for _, n := range burstSizes {
		for _, c := range everyone {
			t.Run(fmt.Sprintf("%s/%d", c.name, n), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					s := &stub{latency: 100 * time.Millisecond}
					p := c.open(t, s)
					ratio := float64(burst(t, p, n)) / float64(s.latency)
					shut(p)
					calls, _ := s.calls()
					report(t, Result{Row: fmt.Sprintf("burst/%d", n), Case: c.name, Calls: len(calls), Ratio: ratio})
					if len(calls) != 1 || ratio != 1 {
						t.Errorf("%d goroutines: %d STS calls, burst took %.2f STS latencies; want 1 and 1", n, len(calls), ratio)
					}
				})
			})
		}
	}
}

// BenchmarkFirstRetrieveBurst is row 4 in real time: the burst against a stub STS with a real
// 10 ms latency, reported as a multiple of that latency (x-latency).
func BenchmarkFirstRetrieveBurst(b *testing.B) {
	const latency = 10 * time.Millisecond
	for _, n := range burstSizes {
		for _, c := range []contender{onDemand, sdk} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", c.name, n), func(b *testing.B) {
				var total time.Duration
				for range b.N {
					p := c.open(b, &stub{latency: latency})
					total += burst(b, p, n)
					shut(p)
				}
				b.ReportMetric(float64(total)/float64(latency)/float64(b.N), "x-latency")
			})
		}
	}
}

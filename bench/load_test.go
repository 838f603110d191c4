package bench

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// tally is what callers saw while calling Retrieve once a simulated second.
type tally struct {
	retrieves, errors, waited int
	worst                     time.Duration
}

func (t *tally) observe(wait time.Duration, err error) {
	t.retrieves++
	if err != nil {
		t.errors++
	}
	if wait > 0 {
		t.waited++
		t.worst = max(t.worst, wait)
	}
}

func (t *tally) merge(o tally) {
	t.retrieves += o.retrieves
	t.errors += o.errors
	t.waited += o.waited
	t.worst = max(t.worst, o.worst)
}

// callEverySecond has n goroutines call Retrieve once a second until end and sums what they
// saw. Under synctest a call takes simulated time only when it waits on the stub STS.
func callEverySecond(p aws.CredentialsProvider, n int, end time.Time) tally {
	done := make(chan tally, n)
	for range n {
		go func() {
			var mine tally
			for ; time.Now().Before(end); time.Sleep(time.Second) {
				start := time.Now()
				_, err := p.Retrieve(context.Background())
				mine.observe(time.Since(start), err)
			}
			done <- mine
		}()
	}
	var sum tally
	for range n {
		sum.merge(<-done)
	}
	return sum
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

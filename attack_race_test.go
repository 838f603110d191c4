package awssts

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/smithy-go"
)

var errAccessDenied = &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized", Fault: smithy.FaultClient}

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Held: Retrieve, Env, Invalidate, Close, StartPrefetch and Stats from many goroutines through
// renewals, an outage and a refusal: no data race, no deadlock, no secret in logs, Stats, fmt
// or errors, and every credential served with a nil error is before its real expiry.
func TestAttackHeld_ConcurrentLifecycle_NoRaceNoLeak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs syncBuffer
		f := &fakeSTS{latency: 200 * time.Millisecond}
		p := newTestProvider(t, f, func(o *Options) {
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		end := time.Now().Add(3 * time.Hour)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var text []string
		for i := range 4 {
			wg.Go(func() {
				for n := 0; time.Now().Before(end); n++ {
					c, err := p.Retrieve(context.Background())
					if err == nil {
						real := p.Stats().Expiration
						if c.CanExpire && !real.After(time.Now()) && p.Stats().AccessKeyID == c.AccessKeyID {
							t.Errorf("served %s with nil error after its real expiry %v", c.AccessKeyID, real)
						}
					}
					switch (i + n) % 97 {
					case 0:
						p.Invalidate()
					case 1:
						p.Close()
					case 2:
						p.StartPrefetch()
					case 3:
						_, _ = p.Env(context.Background(), "us-east-1")
					}
					mu.Lock()
					text = append(text, fmt.Sprintf("%v %+v %#v %v", p, p, p, p.Stats()))
					if err != nil {
						text = append(text, err.Error())
					}
					mu.Unlock()
					time.Sleep(time.Second)
				}
			})
		}
		wg.Go(func() {
			time.Sleep(time.Hour)
			f.setErr(errUnavailable)
			time.Sleep(30 * time.Minute)
			f.setErr(errAccessDenied)
			time.Sleep(20 * time.Minute)
			f.setErr(nil)
		})
		wg.Wait()
		p.Close()
		text = append(text, logs.String())
		for _, s := range text {
			if l := leaked(s); l != nil {
				t.Fatalf("secret in output %v: %s", l, s)
			}
		}
	})
}

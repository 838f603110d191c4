package awssts

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ctxSource honours its context: each call blocks until its context ends. It counts the calls
// still running.
type ctxSource struct {
	mu      sync.Mutex
	running int
	ctxs    []context.Context
}

func (s *ctxSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	s.running++
	s.ctxs = append(s.ctxs, ctx)
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
	return aws.Credentials{}, ctx.Err()
}

func (s *ctxSource) call(i int) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctxs[i]
}

func (s *ctxSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Close abandons only the call that is p.inflight. A call from before an Invalidate, replaced
// there by a newer one, is never cancelled: with a source that honours its context it keeps
// calling the source, and its waiter keeps waiting, for up to refreshTimeout after Close.
// Expected: after Close, no source call that honours its context is still running (issue 17
// item 2: only calls of a source that ignores its context may outlive Close).
func TestAttack_CallBeforeInvalidate_OutlivesClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ctxSource{}
		p, err := Wrap(src)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = p.Retrieve(context.Background()) }) // generation 0
		synctest.Wait()
		p.Invalidate()
		wg.Go(func() { _, _ = p.Retrieve(context.Background()) }) // generation 1
		synctest.Wait()
		if n := src.count(); n != 2 {
			t.Fatalf("setup: %d source calls running, want 2", n)
		}
		p.Close()
		time.Sleep(abandonGrace)
		synctest.Wait()
		if src.call(0).Err() == nil {
			start := time.Now()
			<-src.call(0).Done()
			t.Errorf("the source call made before Invalidate still ran after Close, for %v more", time.Since(start))
		}
		wg.Wait()
	})
}

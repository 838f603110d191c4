package awssts

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Get from many goroutines over more keys than it keeps (64): a Get that found its key reads
// the entry, unlocks, and then touches the key; when the key was evicted in between, touch
// puts back in the LRU order a key that has no entry, and the eviction that later reaches it
// dereferences a nil *sharedEntry while holding the process-wide lock, so every later Get
// hangs. Expected: Get never panics, whatever the interleaving.
func TestUserGet_ManyKeysManyGoroutines_NoPanic(t *testing.T) {
	t.Cleanup(CloseShared)
	restore := buildShared
	t.Cleanup(func() { buildShared = restore })
	buildShared = func(ctx context.Context, a sharedArgs) (*Provider, error) {
		return New(&fakeSTS{}, a.roleARN, func(o *Options) { *o = a.o })
	}
	panics := make(chan any, 1)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					// The panic left shared locked (touch runs under it); release it so that
					// the other goroutines, and the tests after this one, can go on.
					stop.Store(true)
					stack := string(debug.Stack())
					if strings.Contains(stack, "awssts.touch(") {
						shared.Unlock()
					}
					select {
					case panics <- fmt.Sprintf("%v in %s", r, stack[strings.Index(stack, "panic("):][:400]):
					default:
					}
				}
			}()
			for i := 0; i < 30000 && !stop.Load(); i++ {
				role := fmt.Sprintf("arn:aws:iam::123456789012:role/r%d", (i*7+g*13)%70)
				if _, err := Get(context.Background(), "AKIAGET", "secret", role, "us-east-1"); err != nil {
					t.Errorf("Get: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case r := <-panics:
		t.Fatalf("Get panicked: %v", r)
	default:
	}
}

package awssts

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// sharedOrphans counts keys in shared.order that have no entry in shared.entries.
func sharedOrphans() (orphans, order int) {
	shared.Lock()
	defer shared.Unlock()
	for _, k := range shared.order {
		if shared.entries[k] == nil {
			orphans++
		}
	}
	return orphans, len(shared.order)
}

// seeded is a Provider made by New that already holds fresh credentials, so that Get's
// Retrieve on it never blocks.
func seeded(roleARN string) (*Provider, error) {
	p, err := New(&fakeSTS{}, roleARN)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	p.mu.Lock()
	p.current = aws.Credentials{AccessKeyID: "ASIASEEDED", SecretAccessKey: "SECRET-seed-must-not-leak", CanExpire: true, Expires: now.Add(time.Hour)}
	p.refreshAt = now.Add(50 * time.Minute)
	p.serveHot(now)
	p.mu.Unlock()
	return p, nil
}

// A Get that waited on another caller's build touches the key once woken, without checking
// that the key is still shared. When 64 other keys are used between the build's end and the
// waiter running, the key was evicted meanwhile: touch puts it back into shared.order with no
// entry, and once it is the oldest again, touch reads shared.entries[oldest].p from a nil
// entry, panicking with shared locked: that Get crashes the process (or, recovered, every Get
// after it blocks forever). The interleaving is forced with GOMAXPROCS(1); under load it
// happens on its own (a 40 000-round stress without -race panicked in 3 of 3 runs).
// Expected: shared.order only holds keys that have an entry; Get never panics.
func TestAttack_Get_WaiterTouchesEvictedKey_Panics(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	restore := buildShared
	t.Cleanup(func() { buildShared = restore })
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(CloseShared)
		slow := "arn:aws:iam::123456789012:role/slow"
		role := func(i int) string { return fmt.Sprintf("arn:aws:iam::123456789012:role/r%d", i) }
		building, gate := make(chan struct{}), make(chan struct{})
		buildShared = func(_ context.Context, a sharedArgs) (*Provider, error) {
			if a.roleARN == slow {
				close(building)
				<-gate
			}
			return seeded(a.roleARN)
		}
		get := func(arn string) (panicked any) {
			defer func() {
				if panicked = recover(); panicked != nil {
					shared.Unlock() // touch panicked with shared locked
				}
			}()
			_, _ = Get(context.Background(), "AKIAATTACK", "secret", arn, "us-east-1")
			return nil
		}
		builderDone, waiterDone := make(chan struct{}), make(chan struct{})
		go func() { // builds slow, then uses 64 other keys without blocking
			get(slow)
			for i := range maxShared {
				get(role(i))
			}
			close(builderDone)
		}()
		<-building
		go func() { get(slow); close(waiterDone) }() // waits on the build of slow
		synctest.Wait()
		close(gate)
		<-builderDone
		<-waiterDone
		if orphans, order := sharedOrphans(); orphans != 0 || order > maxShared {
			t.Errorf("shared.order holds %d keys, %d with no entry; want at most %d, none orphaned", order, orphans, maxShared)
		}
		for i := range maxShared + 1 {
			if r := get(role(1000 + i)); r != nil {
				t.Fatalf("Get panicked once the orphaned key was the oldest: %v", r)
			}
		}
	})
}

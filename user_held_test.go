package awssts

import (
	"context"
	"testing"
)

// The cached path of Retrieve allocates nothing.
func TestUserHeld_HotPathAllocatesNothing(t *testing.T) {
	p := newTestProvider(t, &fakeSTS{})
	mustRetrieve(t, p)
	if n := testing.AllocsPerRun(1000, func() { _, _ = p.Retrieve(context.Background()) }); n != 0 {
		t.Errorf("Retrieve on the cached path: %v allocs, want 0", n)
	}
}

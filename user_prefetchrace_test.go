package awssts

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/smithy-go"
)

// The prefetch goroutine reads its schedule (prefetchWait) and then, without the lock, calls
// p.refresh(ctx, p.prefetchDue). When an on-demand caller's call fails in between (both wake
// at the same instant, e.g. at the exact 5-minute TokenProvider backoff), prefetchDue is false
// and refresh stores serve() of whatever is held into the hot path, unchecked. With nothing
// held, Retrieve then returns EMPTY credentials with a nil error (Expired() is false for
// CanExpire=false) until the next call; after a refusal once due, it serves the refused
// credentials. Black-box, 50 callers a second with prefetch and a failing TokenProvider hit it
// in about 1 of 100 bubbles, serving 15,000 empty answers in one of them. This test takes the
// interleaving step by step. Expected: Retrieve returns an error, never empty or refused keys.
func TestUserPrefetchLosesRace_HotPathServesEmptyOrRefusedCredentials(t *testing.T) {
	refusal := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized", Fault: smithy.FaultClient}
	t.Run("nothing held", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newTestProvider(t, &fakeSTS{err: errUnavailable})
			if _, err := p.Retrieve(context.Background()); err == nil {
				t.Fatal("first Retrieve succeeded during an outage")
			}
			// The prefetch goroutine, told "due" just before that failure was recorded:
			_, _ = p.refresh(context.Background(), p.prefetchDue)
			c, err := p.Retrieve(context.Background())
			if err == nil && !c.HasKeys() {
				t.Errorf("Retrieve = empty credentials, nil error; want the outage's error")
			}
		})
	})
	t.Run("refused once due", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeSTS{}
			p := newTestProvider(t, f)
			first := mustRetrieve(t, p)
			f.setErr(refusal)
			time.Sleep(DefaultDuration - DefaultExpiryWindow + time.Second)
			_, _ = p.Retrieve(context.Background()) // due: renewed behind the caller, and refused
			synctest.Wait()
			_, _ = p.refresh(context.Background(), p.prefetchDue)
			c, err := p.Retrieve(context.Background())
			if err == nil && c.AccessKeyID == first.AccessKeyID {
				t.Errorf("Retrieve served the refused credentials %s with a nil error; want the refusal", c.AccessKeyID)
			}
		})
	})
}

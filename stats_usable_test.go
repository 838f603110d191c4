package awssts

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// Stats().Usable is what a health check needs: whether Retrieve would now serve the held
// credentials. During an outage they are served until a minute before they expire; after a
// refusal, not past their refresh time.
func TestStats_Usable_FollowsWhatRetrieveServes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		usable bool
	}{
		{"outage", errUnavailable, true},
		{"refusal", errAccessDenied, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSTS{}
				p := newTestProvider(t, f, func(o *Options) { o.Duration, o.ExpiryWindow = time.Hour, 5*time.Minute })
				ctx := context.Background()
				if st := p.Stats(); st.Usable {
					t.Fatal("Stats().Usable before the first Retrieve, with nothing held")
				}
				if _, err := p.Retrieve(ctx); err != nil {
					t.Fatal(err)
				}
				if !p.Stats().Usable {
					t.Fatal("Stats().Usable false with fresh credentials held")
				}
				f.setErr(tc.err)
				time.Sleep(56 * time.Minute) // past the refresh time, 4 min before expiry
				_, _ = p.Retrieve(ctx)       // starts the renewal behind the held credentials
				synctest.Wait()
				_, err := p.Retrieve(ctx)
				if got := p.Stats().Usable; got != tc.usable || got != (err == nil) {
					t.Errorf("after a failed renewal: Stats().Usable %v, Retrieve error %v; want Usable %v and Retrieve to agree", got, err, tc.usable)
				}
			})
		})
	}
}

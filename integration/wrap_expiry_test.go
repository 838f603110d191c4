package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// TestWrapContainerEndpoint_Expiration: behind the default chain's cache, which subtracts its
// 5-minute ExpiryWindow for the container endpoint, Stats().Expiration is that much early; with
// the README's remedy, that cache's ExpiryWindow set to 0, it is the real expiry, and
// credentials the endpoint serves with 4 minutes left are taken.
func TestWrapContainerEndpoint_Expiration(t *testing.T) {
	ctx := testContext(t)
	const life = 6 * time.Hour
	noWindow := config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 0 })
	for _, tc := range []struct {
		name  string
		opts  []func(*config.LoadOptions) error
		early time.Duration
	}{{"default chain", nil, 5 * time.Minute}, {"cache window 0", []func(*config.LoadOptions) error{noWindow}, 0}} {
		e := newContainerEndpoint(t, life)
		cfg := defaultChain(ctx, t, e.env(), tc.opts...)
		p := wrapChain(t, &cfg)
		before := time.Now().Add(-time.Second) // the endpoint writes whole seconds
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		if exp := p.Stats().Expiration.Add(tc.early); exp.Before(before.Add(life)) || exp.After(after.Add(life)) {
			t.Errorf("%s: Stats().Expiration is %v from now, want %v less than the endpoint's %v", tc.name, time.Until(p.Stats().Expiration).Round(time.Second), tc.early, life)
		}
	}

	short := newContainerEndpoint(t, 4*time.Minute)
	cfg := defaultChain(ctx, t, short.env(), noWindow)
	wrapChain(t, &cfg)
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		t.Errorf("credentials good for another 4 minutes, cache window 0: %v", err)
	}
}

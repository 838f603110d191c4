package integration

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/awssts/awssts"
)

// TestWrapStaticKeys_PassThrough: with long-term keys in AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, the default chain's credentials cannot expire. Behind Wrap they are
// fetched once however often they are asked for, the prefetch goroutine ends once it holds
// them, and clients built from the config sign with them.
func TestWrapStaticKeys_PassThrough(t *testing.T) {
	ctx := testContext(t)
	const key = "AKIAIOSFODNN7EXAMPLE"
	cfg := defaultChain(ctx, t, map[string]string{
		"AWS_ACCESS_KEY_ID":     key,
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	})
	p := wrapChain(t, &cfg, withPrefetch)

	for range 100 {
		c, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatalf("Retrieve: %v", err)
		}
		if c.AccessKeyID != key || c.CanExpire {
			t.Fatalf("Retrieve returned %s (CanExpire %v), want %s, which cannot expire", c.AccessKeyID, c.CanExpire, key)
		}
	}
	st := waitStats(ctx, t, p, "the prefetch goroutine to end", func(s awssts.Stats) bool { return s.NextPrefetch.IsZero() })
	if st.Refreshes != 1 || st.Failures != 0 || !st.Expiration.IsZero() {
		t.Errorf("Stats = %+v, want 1 refresh and no expiry", st)
	}
	if !slices.Contains(p.ProviderSources(), aws.CredentialSourceEnvVars) {
		t.Errorf("ProviderSources = %v, want %v among them", p.ProviderSources(), aws.CredentialSourceEnvVars)
	}
	if got := signingKey(ctx, t, cfg); got != key {
		t.Errorf("a client built from the config signed with %q, want %s", got, key)
	}
	if st := p.Stats(); st.Refreshes != 1 {
		t.Errorf("Refreshes = %d after a signed request, want still 1", st.Refreshes)
	}
}

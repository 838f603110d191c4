package integration

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/awssts/awssts"
)

// TestWrapIMDS_DefaultChainFindsTheEmulator: with no other source configured, the SDK's default
// chain finds IMDS through AWS_EC2_METADATA_SERVICE_ENDPOINT, Wrap serves the instance role's
// credentials, and a client built from the config signs with them.
func TestWrapIMDS_DefaultChainFindsTheEmulator(t *testing.T) {
	url := imds.require(t)["AWSSTS_IMDS_ENDPOINT"]
	ctx := testContext(t)
	want, err := fetchIMDS(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultChain(ctx, t, imdsEnv(url))
	p := wrapChain(t, &cfg, withPrefetch)

	before := time.Now()
	c, err := cfg.Credentials.Retrieve(ctx)
	after := time.Now()
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if c.AccessKeyID != want.AccessKeyID || c.SecretAccessKey != want.SecretAccessKey || c.SessionToken != want.Token {
		t.Errorf("Retrieve returned %s, want the emulator's %s with its secret and token", c.AccessKeyID, want.AccessKeyID)
	}
	if c.Source != ec2rolecreds.ProviderName || !slices.Contains(p.ProviderSources(), aws.CredentialSourceIMDS) {
		t.Errorf("credentials from %q, ProviderSources %v; want %q and %v", c.Source, p.ProviderSources(), ec2rolecreds.ProviderName, aws.CredentialSourceIMDS)
	}

	// ec2rolecreds caps every expiry at an hour after its call.
	exp, err := time.Parse(time.RFC3339, want.Expiration)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	lo, hi := minTime(exp, before.Add(time.Hour)), minTime(exp, after.Add(time.Hour))
	if st.Expiration.Before(lo) || st.Expiration.After(hi) || st.Refreshes != 1 {
		t.Errorf("Stats = %+v, want 1 refresh and the expiry between %v and %v", st, lo, hi)
	}
	if st.NextPrefetch.IsZero() || !st.NextPrefetch.Before(st.Expiration) {
		t.Errorf("NextPrefetch = %v, want a time before the expiry %v", st.NextPrefetch, st.Expiration)
	}
	if got := signingKey(ctx, t, cfg); got != want.AccessKeyID {
		t.Errorf("a client built from the config signed with %q, want %s", got, want.AccessKeyID)
	}
}

// TestWrapIMDS_RenewalsReachIMDS rotates the emulator's credentials twice. Invalidate reaches
// it through the SDK's cache, which still holds the old keys, and then the prefetch goroutine
// takes the next rotation on its own, before the keys it replaces expire.
func TestWrapIMDS_RenewalsReachIMDS(t *testing.T) {
	ctx := testContext(t)
	e := privateIMDS(t, newIMDSDocument("ASIAIMDSROTATION001", time.Now().Add(shortLife)))
	g := newGate(t, e.url, imdsKeys)
	cfg := defaultChain(ctx, t, imdsEnv(g.URL()))
	p := wrapChain(t, &cfg)

	first, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if got := g.issued(); len(got) != 1 || first.AccessKeyID != got[0] {
		t.Fatalf("Retrieve returned %s; IMDS gave %s; want one call", first.AccessKeyID, answers(got))
	}

	e.serve(ctx, t, newIMDSDocument("ASIAIMDSROTATION002", time.Now().Add(shortLife)))
	p.Invalidate()
	second, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve after Invalidate: %v", err)
	}
	if got := g.issued(); len(got) != 2 || second.AccessKeyID != "ASIAIMDSROTATION002" {
		t.Fatalf("after Invalidate, Retrieve returned %s; IMDS gave %s; want a second call and the rotated keys", second.AccessKeyID, answers(got))
	}

	e.serve(ctx, t, newIMDSDocument("ASIAIMDSROTATION003", time.Now().Add(time.Hour)))
	held, cancel := context.WithDeadline(ctx, p.Stats().Expiration)
	defer cancel()
	p.StartPrefetch()
	renewed := waitStats(held, t, p, "the prefetch goroutine to take the rotated keys before the held ones expire", func(s awssts.Stats) bool {
		return s.AccessKeyID == "ASIAIMDSROTATION003"
	})
	if got := g.issued(); len(got) != 3 || renewed.Refreshes != 3 || renewed.Failures != 0 {
		t.Errorf("IMDS gave %s, Stats = %+v; want one more call, 3 refreshes and no failure", answers(got), renewed)
	}
}

// imdsKeys finds the access key ID in an IMDS credentials answer, for a gate.
func imdsKeys(body []byte) []string {
	var doc imdsDocument
	if json.Unmarshal(body, &doc) != nil || doc.AccessKeyID == "" {
		return nil
	}
	return []string{doc.AccessKeyID}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

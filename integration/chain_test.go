package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awssts/awssts"
)

// The Wrap tests put the SDK's own credential providers, unmodified, behind awssts.Wrap, the
// way the README's recipe does: config.LoadDefaultConfig finds the source through the
// environment, and Wrap is given the chain's *aws.CredentialsCache.

// shortLife is how long a source's credentials last in the renewal tests. The engine uses
// credentials for half their remaining life before they are due, and prefetches halfway to
// that, so renewals come about shortLife/4 after each call.
const shortLife = 12 * time.Second

// defaultChain loads the SDK's default config as a program would, after isolate has cleared
// this machine's AWS setup and env has pointed the chain at one source.
func defaultChain(ctx context.Context, t *testing.T, env map[string]string, optFns ...func(*config.LoadOptions) error) aws.Config {
	t.Helper()
	isolate(t, "")
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(ctx, append([]func(*config.LoadOptions) error{config.WithRegion(region)}, optFns...)...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	if _, ok := cfg.Credentials.(*aws.CredentialsCache); !ok {
		t.Fatalf("the default chain's Credentials is %T, want the *aws.CredentialsCache that Wrap is meant for", cfg.Credentials)
	}
	return cfg
}

// wrapChain is the README's recipe: Wrap the chain's credentials, and have every client built
// from cfg use the Provider directly. The Provider is closed when the test ends.
func wrapChain(t *testing.T, cfg *aws.Config, optFns ...func(*awssts.WrapOptions)) *awssts.Provider {
	t.Helper()
	p, err := awssts.Wrap(cfg.Credentials, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	cfg.Credentials = p
	return p
}

func withPrefetch(o *awssts.WrapOptions) { o.Prefetch = true }

// issuer is a source that hands out new keys at every call and records them.
type issuer interface {
	issued() []string // access key IDs, oldest first
}

// checkRenewals proves that Wrap's renewals reach src through the SDK's cache and bring new
// keys, where the cache would hand back its copy until shortLife is over. cfg.Credentials is p,
// without prefetch, and src issues credentials that last shortLife. wantSource is the
// ProviderName of the SDK provider that the default chain should have found, kind the source
// it reports for the user agent.
//
// Without prefetch, every call to the source is one of the test's Retrieve calls, so the calls
// are counted exactly; then the prefetch goroutine must renew on its own before the keys it
// replaces expire.
func checkRenewals(ctx context.Context, t *testing.T, cfg aws.Config, p *awssts.Provider, src issuer, wantSource string, kind aws.CredentialSource) {
	t.Helper()
	first, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if got := src.issued(); len(got) != 1 || first.AccessKeyID != got[0] {
		t.Fatalf("Retrieve returned %s; the source gave %s; want one call", first.AccessKeyID, answers(got))
	}
	if first.Source != wantSource || !first.CanExpire {
		t.Errorf("credentials from %q (CanExpire %v), want %q, which can expire", first.Source, first.CanExpire, wantSource)
	}
	if !slices.Contains(p.ProviderSources(), kind) {
		t.Errorf("ProviderSources = %v, want %v among them", p.ProviderSources(), kind)
	}

	p.Invalidate()
	second, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve after Invalidate: %v", err)
	}
	if got := src.issued(); len(got) != 2 || second.AccessKeyID != got[1] {
		t.Fatalf("after Invalidate, Retrieve returned %s; the source gave %s; want a second call and its key (the SDK cache's copy is %s)",
			second.AccessKeyID, answers(got), first.AccessKeyID)
	}

	st := p.Stats()
	if st.Refreshes != 2 || st.Failures != 0 || st.AccessKeyID != second.AccessKeyID {
		t.Errorf("Stats = %+v, want 2 refreshes holding %s", st, second.AccessKeyID)
	}
	if left := time.Until(st.Expiration); left <= 0 || left > shortLife {
		t.Errorf("Stats().Expiration is %v away, want the source's expiry, within %v", left, shortLife)
	}

	p.StartPrefetch()
	before, cancel := context.WithDeadline(ctx, st.Expiration)
	defer cancel()
	renewed := waitStats(before, t, p, "a renewal in the background before the held keys expire", func(s awssts.Stats) bool {
		return s.AccessKeyID != "" && s.AccessKeyID != second.AccessKeyID
	})
	if got := src.issued(); len(got) < 3 || !slices.Contains(got[2:], renewed.AccessKeyID) {
		t.Errorf("the prefetch goroutine holds %s; the source gave %s", renewed.AccessKeyID, answers(got))
	}
	if renewed.Failures != 0 || renewed.LastError != "" {
		t.Errorf("Stats = %+v, want no failures", renewed)
	}
}

// waitFor polls ok until it holds or ctx ends: how a test outside the package observes the
// calls that the prefetch goroutine makes to a source.
func waitFor(ctx context.Context, ok func() bool) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// answers summarizes the keys a source handed out, oldest first, with the number of answers
// in a row that carried each: "3 answers: K1, K2 ×2", short even when a loop made thousands.
func answers(keys []string) string {
	var b strings.Builder
	if len(keys) == 1 {
		b.WriteString("1 answer:")
	} else {
		fmt.Fprintf(&b, "%d answers:", len(keys))
	}
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		sep := " "
		if i > 0 {
			sep = ", "
		}
		fmt.Fprintf(&b, "%s%s", sep, keys[i])
		if j-i > 1 {
			fmt.Fprintf(&b, " ×%d", j-i)
		}
		i = j
	}
	return b.String()
}

// signingKey is the access key ID with which an STS client built from cfg signs a request,
// as a recording server sees it.
func signingKey(ctx context.Context, t *testing.T, cfg aws.Config) string {
	t.Helper()
	keys := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, rest, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		key, _, _ := strings.Cut(rest, "/")
		select {
		case keys <- key:
		default:
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::123456789012:user/recorder</Arn><UserId>AIDARECORDER</UserId><Account>123456789012</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	defer srv.Close()
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity signed with the wrapped credentials: %v", err)
	}
	return <-keys
}

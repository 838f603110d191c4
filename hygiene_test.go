package awssts

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Refreshes, failures and prefetch with a Debug logger: no secret or token may appear in
// the log, the errors, or any fmt rendering of the Provider, its Options or its Stats.
func TestSecrets_NeverInLogsErrorsOrFmt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		f := &fakeSTS{}
		p := newTestProvider(t, f, func(o *Options) {
			o.Prefetch = true
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		c := mustRetrieve(t, p)
		time.Sleep(2 * time.Hour)
		f.setErr(errUnavailable)
		time.Sleep(DefaultDuration)
		_, err := p.Retrieve(context.Background())
		p.Close()
		synctest.Wait() // log lines are written after the callers are released

		if c.SecretAccessKey == "" || err == nil || f.count() < 4 {
			t.Fatalf("scenario did not run: secret %q, err %v, %d calls", c.SecretAccessKey, err, f.count())
		}
		if !bytes.Contains(logs.Bytes(), []byte("level=DEBUG")) || !bytes.Contains(logs.Bytes(), []byte("level=WARN")) {
			t.Fatalf("expected refreshes at Debug and failures at Warn, got:\n%s", logs.String())
		}
		outputs := map[string]string{
			"log":   logs.String(),
			"error": err.Error() + fmt.Sprintf("%+v", err),
			"stats": fmt.Sprintf("%v %+v %#v", p.Stats(), p.Stats(), p.Stats()),
			"opts":  fmt.Sprintf("%v %+v %#v", optionsOf(p), optionsOf(p), optionsOf(p)),
			"p":     fmt.Sprintf("%v %+v %#v %s", p, p, p, p),
		}
		for name, out := range outputs {
			if l := leaked(out); l != nil {
				t.Errorf("%s output leaks %v:\n%s", name, l, out)
			}
		}
	})
}

func TestEnv(t *testing.T) {
	exp := time.Date(2026, 11, 28, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	got := Env(aws.Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: exp}, "eu-west-1")
	want := []string{"AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=ASIAX", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t", "AWS_CREDENTIAL_EXPIRATION=2026-11-28T12:00:00Z"}
	if !slices.Equal(got, want) {
		t.Errorf("Env = %q, want %q", got, want)
	}
	if got := Env(aws.Credentials{AccessKeyID: "AKIAX", SecretAccessKey: "s"}, ""); len(got) != 2 {
		t.Errorf("Env of long-term keys without region = %q, want only the two keys", got)
	}
}

// The cached path must cost what the bare aws.CredentialsCache costs, with no allocations.
func TestRetrieve_CachedPathAllocatesNothing(t *testing.T) {
	p := newTestProvider(t, &fakeSTS{})
	mustRetrieve(t, p)
	if n := testing.AllocsPerRun(1000, func() { _, _ = p.Retrieve(context.Background()) }); n != 0 {
		t.Errorf("cached Retrieve allocates %v times per call, want 0", n)
	}
}

func BenchmarkRetrieveCached(b *testing.B) {
	ours, err := New(&fakeSTS{}, testRoleARN)
	if err != nil {
		b.Fatal(err)
	}
	bare := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", CanExpire: true, Expires: time.Now().Add(time.Hour)}, nil
	}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = DefaultExpiryWindow })
	for _, bc := range []struct {
		name string
		p    aws.CredentialsProvider
	}{{"awssts", ours}, {"CredentialsCache", bare}} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := bc.p.Retrieve(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.p.Retrieve(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// callbackHandler is a slog handler that asks the Provider for its Stats while it logs, as a
// handler shipping logs with an SDK client that uses the Provider would.
type callbackHandler struct {
	slog.Handler
	p **Provider
}

func (h callbackHandler) Handle(ctx context.Context, r slog.Record) error {
	_ = (*h.p).Stats()
	return h.Handler.Handle(ctx, r)
}

func TestLogger_HandlerCallingBackDoesNotDeadlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var p *Provider
		var logs bytes.Buffer
		h := callbackHandler{slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}), &p}
		p = newTestProvider(t, &fakeSTS{}, func(o *Options) { o.Logger = slog.New(h) })
		mustRetrieve(t, p)
		synctest.Wait()
		if !bytes.Contains(logs.Bytes(), []byte("refreshed credentials")) {
			t.Errorf("log = %q, want the refresh", logs.String())
		}
	})
}

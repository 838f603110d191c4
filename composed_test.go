package awssts

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// retrievingHandler is a slog handler that signs with the Provider it logs for, as a handler
// shipping logs through CloudWatch Logs, Kinesis or S3 with a client on the same Provider does.
type retrievingHandler struct {
	p    **Provider
	mu   sync.Mutex
	errs []error
	n    int
}

func (h *retrievingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *retrievingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *retrievingHandler) WithGroup(string) slog.Handler            { return h }

func (h *retrievingHandler) Handle(context.Context, slog.Record) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, err := (*h.p).Retrieve(ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	if err != nil {
		h.errs = append(h.errs, err)
	}
	return nil
}

// A log handler that calls Retrieve on the Provider it logs for never makes a caller wait on
// itself: records are written after the callers of the source call are released.
func TestLogger_HandlerRetrieves_NoCallerWaits(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			var p *Provider
			h := &retrievingHandler{p: &p}
			f := &fakeSTS{latency: time.Second}
			p = newTestProvider(t, f, func(o *Options) { o.Logger, o.Prefetch = slog.New(h), prefetch })
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					defer cancel()
					start := time.Now()
					if _, err := p.Retrieve(ctx); err != nil || time.Since(start) > time.Second {
						t.Errorf("prefetch %t: Retrieve = %v after %v, want credentials within the call's 1 s", prefetch, err, time.Since(start))
					}
				})
			}
			wg.Wait()
			synctest.Wait()
			f.setErr(errUnavailable) // a failure is logged at Warn, while the held credentials are served
			time.Sleep(DefaultDuration - DefaultExpiryWindow + time.Second)
			if _, err := p.Retrieve(context.Background()); err != nil {
				t.Errorf("Retrieve during the outage: %v", err)
			}
			time.Sleep(2 * f.latency) // the renewal fails, and is logged
			synctest.Wait()
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.n < 2 || len(h.errs) != 0 {
				t.Errorf("prefetch %t: handler ran %d times with errors %v; want at least 2 runs without errors", prefetch, h.n, h.errs)
			}
		})
	}
}

// hangingSource ignores its context and blocks until released.
type hangingSource struct {
	mu      sync.Mutex
	calls   int
	release chan struct{}
	answer  aws.Credentials
}

func (s *hangingSource) Retrieve(context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	<-s.release
	return s.answer, nil
}

// A source that ignores its context holds no caller, and not Close, past refreshTimeout: the
// call is abandoned, callers get a clear error, and the next refresh makes a new call.
func TestSourceIgnoresContext_AbandonedAtTimeout_CloseAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &hangingSource{release: make(chan struct{})}
		defer close(src.release)
		p, err := Wrap(src, func(o *WrapOptions) { o.Prefetch = true })
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = p.Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "no answer") || time.Since(start) != refreshTimeout+abandonGrace {
			t.Errorf("Retrieve = %v after %v, want a no-answer error after %v", err, time.Since(start), refreshTimeout+abandonGrace)
		}
		if errors.Is(err, context.Canceled) {
			t.Errorf("Retrieve = %v: the caller's context was not cancelled", err)
		}
		time.Sleep(maxEmptyBackoff)
		done := make(chan struct{})
		go func() { p.Retrieve(context.Background()); close(done) }()
		synctest.Wait()
		closed := time.Now()
		p.Close()
		if d := time.Since(closed); d != 0 {
			t.Errorf("Close took %v while the source blocked", d)
		}
		<-done
		src.mu.Lock()
		calls := src.calls
		src.mu.Unlock()
		if calls < 2 {
			t.Errorf("%d source calls; after a timeout the next refresh must make a new call", calls)
		}
	})
}

// Every answer a caller receives passes the checks, whatever Invalidate did meanwhile.
func TestInvalidateDuringCall_AnswerStillChecked(t *testing.T) {
	for name, answer := range map[string]aws.Credentials{
		"no keys": {},
		"expired": {AccessKeyID: "ASIAOLD", SecretAccessKey: "SECRET-old-must-not-leak", CanExpire: true, Expires: time.Now().Add(-time.Hour)},
	} {
		synctest.Test(t, func(t *testing.T) {
			if name == "expired" {
				answer.Expires = time.Now().Add(-time.Hour)
			}
			src := &hangingSource{release: make(chan struct{}), answer: answer}
			p := mustWrap(t, src)
			got := make(chan error, 1)
			go func() {
				_, err := p.Retrieve(context.Background())
				got <- err
			}()
			synctest.Wait()
			p.Invalidate()
			close(src.release)
			if err := <-got; err == nil {
				t.Errorf("%s: Retrieve returned no error for an answer that fails the checks", name)
			}
		})
	}
}

// Env gives a child the real expiry, fresh, while a renewal runs, and during an outage.
func TestEnv_RealExpiryInEveryPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: 10 * time.Second}
		p := newTestProvider(t, f)
		expiry := func(env []string) string {
			for _, kv := range env {
				if v, ok := strings.CutPrefix(kv, "AWS_CREDENTIAL_EXPIRATION="); ok {
					return v
				}
			}
			return ""
		}
		check := func(phase string) {
			t.Helper()
			env, err := p.Env(context.Background(), "eu-west-1")
			if err != nil {
				t.Fatalf("%s: Env: %v", phase, err)
			}
			if got, want := expiry(env), p.Stats().Expiration.UTC().Format(time.RFC3339); got != want {
				t.Errorf("%s: AWS_CREDENTIAL_EXPIRATION = %s, want the real expiry %s", phase, got, want)
			}
		}
		check("first")
		time.Sleep(time.Minute)
		check("fresh")
		time.Sleep(DefaultDuration - DefaultExpiryWindow) // due: a renewal runs for 10 s
		check("renewing")
		synctest.Wait()
		f.setErr(errUnavailable)
		time.Sleep(DefaultDuration - DefaultExpiryWindow)
		check("outage")
	})
}

// Wrap over a Provider never invalidates it, so its own stale-on-failure holds for its
// direct users.
func TestWrapOverProvider_InnerKeepsStaleOnFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{}
		inner := newTestProvider(t, f, func(o *Options) { o.Prefetch = true })
		outer := mustWrap(t, inner, func(o *WrapOptions) { o.Prefetch = true })
		mustRetrieve(t, outer)
		time.Sleep(30 * time.Minute)
		f.setErr(errUnavailable)
		end := time.Now().Add(DefaultDuration/2 - 2*time.Minute)
		innerLoad := runLoad(inner, 5, end)
		if innerLoad.errors != 0 || f.count() > 40 {
			t.Errorf("inner Provider under Wrap: %d errors, %d STS calls in the outage; want 0 and at most 40 (last: %v)",
				innerLoad.errors, f.count(), innerLoad.lastErr)
		}
	})
}

// A TokenProvider that fails needs the user: it is not asked again for 5 minutes, however
// many callers wait, and two Providers with one MFA device share one prompt at a time.
func TestTokenProviderFails_PromptedAtMostThriceIn10Minutes(t *testing.T) {
	for _, answer := range []string{"", "12345"} {
		synctest.Test(t, func(t *testing.T) {
			var mu sync.Mutex
			asked := 0
			ask := func() (string, error) {
				mu.Lock()
				defer mu.Unlock()
				asked++
				if answer == "" {
					return "", errors.New("no terminal")
				}
				return answer, nil
			}
			opts := func(o *Options) {
				o.SerialNumber, o.TokenProvider = ptr("arn:aws:iam::123456789012:mfa/alice"), ask
			}
			p := newTestProvider(t, &fakeSTS{}, opts)
			end := time.Now().Add(10 * time.Minute)
			load := runLoad(p, 50, end)
			mu.Lock()
			defer mu.Unlock()
			if asked > 3 || load.errors == 0 {
				t.Errorf("answer %q: TokenProvider asked %d times in 10 min of 50 callers a second (%d errors); want at most 3", answer, asked, load.errors)
			}
		})
	}
}

func TestTokenProvider_OnePromptPerSerialAcrossProviders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		open, most := 0, 0
		ask := func() (string, error) {
			mu.Lock()
			open++
			most = max(most, open)
			mu.Unlock()
			<-release
			mu.Lock()
			open--
			mu.Unlock()
			return "123456", nil
		}
		opts := func(o *Options) { o.SerialNumber, o.TokenProvider = ptr("arn:aws:iam::123456789012:mfa/bob"), ask }
		a, b := newTestProvider(t, &fakeSTS{}, opts), newTestProvider(t, &fakeSTS{}, opts)
		var wg sync.WaitGroup
		for _, p := range []*Provider{a, b} {
			wg.Go(func() {
				if _, err := p.Retrieve(context.Background()); err != nil {
					t.Errorf("Retrieve: %v", err)
				}
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		if most != 1 {
			t.Errorf("%d prompts open at once for one MFA device, want 1", most)
		}
	})
}

// One prefix and one retry note, however the Providers are composed.
func TestErrorText_OnePrefixOneRetryNote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mfa := &fakeSTS{}
		session, err := NewSessionToken(sessionTokenFake{mfa}, func(o *Options) {
			o.SerialNumber = ptr("arn:aws:iam::123456789012:mfa/carol")
			o.TokenProvider = func() (string, error) { return "", errors.New("no terminal") }
		})
		if err != nil {
			t.Fatal(err)
		}
		defer session.Close()
		outer := mustWrap(t, session)
		_, _ = outer.Retrieve(context.Background())
		_, err = outer.Retrieve(context.Background())
		if err == nil {
			t.Fatal("Retrieve succeeded")
		}
		if n := strings.Count(err.Error(), "not retried until"); n != 1 {
			t.Errorf("error has %d retry notes: %v", n, err)
		}
		if n := strings.Count(err.Error(), "awssts: "); n != 1 {
			t.Errorf("error has %d awssts prefixes: %v", n, err)
		}
	})
}

// sessionTokenFake is a GetSessionToken client that no test here reaches.
type sessionTokenFake struct{ *fakeSTS }

func (sessionTokenFake) GetSessionToken(context.Context, *sts.GetSessionTokenInput, ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	return nil, errUnavailable
}

// Get builds a new Provider outside its process-wide lock: a Get of a shared set of arguments
// never waits on another key's build, and concurrent Gets of a new key share one build.
func TestGet_BuildsOutsideTheLock_OneBuildPerKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(CloseShared)
		release := make(chan struct{})
		var mu sync.Mutex
		builds := map[string]int{}
		restore := buildShared
		t.Cleanup(func() { buildShared = restore })
		buildShared = func(ctx context.Context, a sharedArgs) (*Provider, error) {
			mu.Lock()
			builds[a.roleARN]++
			mu.Unlock()
			if a.roleARN != testRoleARN {
				<-release
			}
			return New(&fakeSTS{}, a.roleARN, func(o *Options) { *o = a.o })
		}
		ctx := context.Background()
		if _, err := Get(ctx, "AKIAHOT", "secret", testRoleARN, "us-east-1"); err != nil {
			t.Fatal(err)
		}
		slow := "arn:aws:iam::123456789012:role/slow"
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := Get(ctx, "AKIAHOT", "secret", slow, "us-east-1"); err != nil {
					t.Errorf("Get of the slow key: %v", err)
				}
			})
		}
		synctest.Wait()
		done := make(chan struct{})
		go func() {
			if _, err := Get(ctx, "AKIAHOT", "secret", testRoleARN, "us-east-1"); err != nil {
				t.Errorf("Get of the hot key: %v", err)
			}
			close(done)
		}()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Error("a Get of a shared key waited on another key's build")
		}
		close(release)
		wg.Wait()
		<-done
		if builds[slow] != 1 || builds[testRoleARN] != 1 {
			t.Errorf("builds = %v, want one per key", builds)
		}
	})
}

// A refusal is not an outage: once the held credentials are due, a refusal is returned to
// callers, not covered by the held credentials; an outage is.
func TestRefusal_NotCoveredByStaleOnFailure(t *testing.T) {
	for name, fault := range map[string]error{
		"AccessDenied":         &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized", Fault: smithy.FaultClient},
		"InvalidClientTokenId": &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "no such key", Fault: smithy.FaultClient},
		"ServiceUnavailable":   errUnavailable,
	} {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeSTS{}
			p := newTestProvider(t, f, func(o *Options) { o.Prefetch = true })
			mustRetrieve(t, p)
			f.setErr(fault)
			time.Sleep(DefaultDuration - DefaultExpiryWindow + time.Second)
			_, err := p.Retrieve(context.Background())
			if outage := fault == errUnavailable; outage != (err == nil) {
				t.Errorf("%s once due: Retrieve error = %v; want held credentials for an outage only", name, err)
			}
		})
	}
}

// A refresh whose context has already ended starts no source call: the prefetch goroutine
// that Close cancels between its wait and its call must not start one after Close.
func TestRefresh_EndedContext_StartsNoCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{}
		p := newTestProvider(t, f)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := p.refresh(ctx, func() bool { return true }); !errors.Is(err, context.Canceled) {
			t.Errorf("refresh with an ended context = %v, want context.Canceled", err)
		}
		synctest.Wait()
		if n := f.count(); n != 0 {
			t.Errorf("%d source calls from a refresh whose context had ended, want 0", n)
		}
	})
}

package awssts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// StartPrefetch after the first Retrieve renews ahead of the window, so the call that
// crosses the old refresh time finds new credentials and does not wait.
func TestStartPrefetch_AfterFirstRetrieve_RenewsBeforeWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: 100 * time.Millisecond}
		p := newTestProvider(t, f)
		first := mustRetrieve(t, p)
		p.StartPrefetch()
		p.StartPrefetch()

		next := p.Stats().NextPrefetch
		earliest := first.Expires.Add(-prefetchLead - DefaultExpiryWindow/10)
		latest := first.Expires.Add(-prefetchLead)
		if next.Before(earliest) || next.After(latest) {
			t.Fatalf("NextPrefetch %v, want between %v and %v (window + 50 s before expiry, jittered 0-10%%)", next, earliest, latest)
		}
		time.Sleep(time.Until(first.Expires))
		start := time.Now()
		c := mustRetrieve(t, p)
		if waited := time.Since(start); waited != 0 || c.AccessKeyID == first.AccessKeyID {
			t.Errorf("at the old refresh time Retrieve waited %v and returned key %s (first %s); want new keys at once", waited, c.AccessKeyID, first.AccessKeyID)
		}
		if f.count() != 2 {
			t.Errorf("%d STS calls, want 2: two StartPrefetch calls must run one goroutine", f.count())
		}
		p.Close()
	})
}

// Close stops the goroutine (synctest fails the test if one is left), twice is fine, and
// Retrieve then works on demand.
func TestClose_StopsPrefetch_Idempotent_RetrieveStillWorks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{}
		p := newTestProvider(t, f, func(o *Options) { o.Prefetch = true })
		synctest.Wait()
		if f.count() != 1 {
			t.Fatalf("Prefetch in New made %d STS calls before any Retrieve, want 1", f.count())
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if !p.Stats().NextPrefetch.IsZero() {
			t.Errorf("NextPrefetch after Close = %v, want zero", p.Stats().NextPrefetch)
		}
		time.Sleep(10 * time.Hour)
		if f.count() != 1 {
			t.Fatalf("%d STS calls during 10 h after Close, want none", f.count()-1)
		}
		mustRetrieve(t, p)
		if f.count() != 2 {
			t.Errorf("Retrieve after Close made %d STS calls, want 1 on demand", f.count()-1)
		}
		p.StartPrefetch()
		time.Sleep(DefaultDuration)
		if f.count() != 3 {
			t.Errorf("StartPrefetch after Close: %d STS calls in one session, want 1", f.count()-2)
		}
	})
}

// config.WithCredentialsProvider wraps the Provider in a second aws.CredentialsCache; that
// cache must follow ours and add no STS calls.
func TestLoadDefaultConfig_OuterCacheAddsNoCalls(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	synctest.Test(t, func(t *testing.T) {
		direct, wrapped := &fakeSTS{}, &fakeSTS{}
		pd, pw := newTestProvider(t, direct), newTestProvider(t, wrapped)
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithCredentialsProvider(pw))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cfg.Credentials.(*aws.CredentialsCache); !ok {
			t.Fatalf("cfg.Credentials is %T; the SDK no longer wraps providers, revisit this test", cfg.Credentials)
		}
		// Building a client asks aws.IsCredentialsProvider about the credentials; it once recursed.
		_ = sts.NewFromConfig(cfg)
		if !aws.IsCredentialsProvider(cfg.Credentials, (*Provider)(nil)) || aws.IsCredentialsProvider(cfg.Credentials, aws.AnonymousCredentials{}) {
			t.Errorf("aws.IsCredentialsProvider does not see a *Provider behind the SDK's cache")
		}
		for end := time.Now().Add(3 * time.Hour); time.Now().Before(end); time.Sleep(time.Second) {
			d, w := mustRetrieve(t, pd), mustRetrieve(t, cfg.Credentials)
			if d.Expired() || w.Expired() {
				t.Fatalf("expired credentials served at %v", time.Now())
			}
		}
		want := int((3*time.Hour-time.Second)/(DefaultDuration-DefaultExpiryWindow)) + 1
		if direct.count() != want || wrapped.count() != want {
			t.Errorf("3 h of %v sessions: %d STS calls direct, %d through the SDK's cache; want %d and %d", DefaultDuration, direct.count(), wrapped.count(), want, want)
		}
	})
}

// A caller whose context ends during the first refresh gets its context error at once; the
// refresh goes on for the others, and later calls are served by it.
func TestRetrieve_ContextEndsDuringFirstCall_ReturnsPromptly_DoesNotPoison(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: 10 * time.Second}
		p := newTestProvider(t, f)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := p.Retrieve(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("Retrieve = %v after %v, want the deadline error after 1s", err, time.Since(start))
		}
		c := mustRetrieve(t, p)
		if !c.HasKeys() || f.count() != 1 || time.Since(start) != f.latency {
			t.Errorf("next Retrieve: keys %v, %d STS calls, at %v; want the first call's credentials at %v", c.HasKeys(), f.count(), time.Since(start), f.latency)
		}
	})
}

// With nothing held, an STS failure comes back after one call, wrapped for errors.As.
func TestRetrieve_FirstFailure_ReturnsWrappedPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: 100 * time.Millisecond, err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}}
		p := newTestProvider(t, f, func(o *Options) { o.Prefetch = true })
		start := time.Now()
		_, err := p.Retrieve(context.Background())
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || time.Since(start) != f.latency {
			t.Errorf("Retrieve = %v after %v, want the wrapped AccessDenied after one call", err, time.Since(start))
		}
		p.Close()
	})
}

// assumeRoleFunc is an AssumeRole client made of one function.
type assumeRoleFunc func(context.Context, *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error)

func (f assumeRoleFunc) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return f(ctx, in)
}

// Credentials that were valid when the request left but expired before the answer arrived
// are an error, not something to cache.
func TestRetrieve_CredentialsExpiredOnArrival_AreAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := assumeRoleFunc(func(context.Context, *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
			exp := time.Now().Add(5 * time.Second)
			time.Sleep(10 * time.Second)
			return &sts.AssumeRoleOutput{Credentials: &types.Credentials{
				AccessKeyId: aws.String("ASIASLOW"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp}}, nil
		})
		p, err := New(slow, testRoleARN)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "before they arrived") {
			t.Errorf("Retrieve = %v, want an error about credentials expired on arrival", err)
		}
	})
}

// Outside a synctest bubble the clock moves between any two readings; prefetch must still
// fetch at once when it holds nothing (it once compared two readings and never did).
func TestPrefetch_RealClock_FetchesAtStart(t *testing.T) {
	called := make(chan struct{}, 1)
	client := assumeRoleFunc(func(ctx context.Context, in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
		select {
		case called <- struct{}{}:
		default:
		}
		return (&fakeSTS{}).AssumeRole(ctx, in)
	})
	p, err := New(client, testRoleARN, func(o *Options) { o.Prefetch = true })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	select {
	case <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("prefetch made no AssumeRole call in 10 s")
	}
}

// The SDK's own cache in front of the Provider takes renewed credentials within a second,
// not when the old ones stop being usable.
func TestOuterCache_TakesRenewalWithinASecond(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	for _, prefetch := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeSTS{}
			p := newTestProvider(t, f, func(o *Options) { o.Prefetch = prefetch })
			cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithCredentialsProvider(p))
			if err != nil {
				t.Fatal(err)
			}
			first := mustRetrieve(t, cfg.Credentials)
			if prefetch {
				f.setErr(errUnavailable) // the prefetch fails, so the window opens with old credentials
			}
			time.Sleep(time.Until(first.Expires) + time.Second)
			f.setErr(nil)
			mustRetrieve(t, cfg.Credentials) // due: served, and renewed behind the caller
			synctest.Wait()
			time.Sleep(maxHeldBackoff + dueRecheck)
			if c := mustRetrieve(t, cfg.Credentials); c.AccessKeyID == first.AccessKeyID {
				t.Errorf("prefetch=%v: the SDK's cache still signs with %s after the renewal", prefetch, c.AccessKeyID)
			}
			p.Close()
		})
	}
}

// Close ends the prefetch goroutine's call, but a caller that had joined that call gets
// credentials from a call of its own, not the cancellation.
func TestClose_DuringJoinedCall_CallerStillServed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: 10 * time.Second}
		p := newTestProvider(t, f, func(o *Options) { o.Prefetch = true })
		synctest.Wait() // the prefetch goroutine's call is in flight
		done := make(chan error)
		go func() {
			_, err := p.Retrieve(context.Background())
			done <- err
		}()
		time.Sleep(time.Second)
		p.Close()
		if err := <-done; err != nil {
			t.Errorf("Retrieve joined to the prefetch call that Close ended = %v, want credentials", err)
		}
		if s := p.Stats(); s.Failures != 0 || f.count() != 2 {
			t.Errorf("Stats %+v after %d calls: the cancelled call must not count as a failure", s, f.count())
		}
	})
}

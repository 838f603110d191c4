package awssts

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// fixedSource answers with one set of credentials (as IMDS does until it rotates), or fails.
type fixedSource struct {
	mu      sync.Mutex
	creds   aws.Credentials
	down    bool
	calls   int
	latency time.Duration
}

func (s *fixedSource) Retrieve(context.Context) (aws.Credentials, error) {
	time.Sleep(s.latency)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down {
		return aws.Credentials{}, errUnavailable
	}
	return s.creds, nil
}

func (s *fixedSource) setDown(d bool) { s.mu.Lock(); s.down = d; s.mu.Unlock() }

// A failure of the source, then a healthy source that answers the held credentials (not yet
// rotated): in their last minute, callers are served them, not the failure's old error.
func TestWrap_UnchangedAfterAFailure_ServesHeldInLastMinute(t *testing.T) {
	for _, blip := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			src := &fixedSource{creds: aws.Credentials{AccessKeyID: "ASIAFIXED", SecretAccessKey: "s", SessionToken: "t",
				CanExpire: true, Expires: time.Now().Add(10 * time.Minute)}}
			p := mustWrap(t, src, func(o *WrapOptions) { o.ExpiryWindow = 2 * time.Minute })
			mustRetrieve(t, p)
			time.Sleep(8*time.Minute + time.Second) // due: refreshAt is at 8:00
			src.setDown(blip)
			mustRetrieve(t, p) // starts a background renewal
			synctest.Wait()
			src.setDown(false)
			errs := 0
			var last error
			for time.Now().Before(src.creds.Expires.Add(-time.Second)) {
				if _, err := p.Retrieve(context.Background()); err != nil {
					errs++
					last = err
				}
				time.Sleep(time.Second)
			}
			if errs > 0 {
				t.Errorf("blip=%v: %d errors from a healthy source while the held credentials were valid; last: %v (Stats.LastError %q)",
					blip, errs, last, p.Stats().LastError)
			}
		})
	}
}

// An answer that expired before it arrived, from a source with no Date header (skew 0), is an
// error, not a warning about an implausible clock skew.
func TestExpiredAnswer_NoSkew_NoSkewWarning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		src := &fixedSource{creds: aws.Credentials{AccessKeyID: "ASIAFIXED", SecretAccessKey: "s", SessionToken: "t",
			CanExpire: true, Expires: time.Now().Add(-time.Hour)}}
		p := mustWrap(t, src, func(o *WrapOptions) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
		_, err := p.Retrieve(context.Background())
		if err == nil {
			t.Fatal("expired answer accepted")
		}
		synctest.Wait() // log lines are written after the callers are released
		if strings.Contains(logs.String(), "implausible clock skew") {
			t.Errorf("a source without a Date header logged:\n%s", logs.String())
		}
	})
}

// An inline renewal that gets the held credentials back in their last minute never hands the
// cache an Expires in the past.
func TestWrap_UnchangedInLastMinute_NeverServesExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fixedSource{creds: aws.Credentials{AccessKeyID: "ASIAFIXED", SecretAccessKey: "s", SessionToken: "t",
			CanExpire: true, Expires: time.Now().Add(10 * time.Minute)}, latency: 3 * time.Second}
		p := mustWrap(t, src, func(o *WrapOptions) { o.ExpiryWindow = 2 * time.Minute })
		mustRetrieve(t, p)
		bad := 0
		for time.Now().Before(src.creds.Expires.Add(-time.Second)) {
			c, err := p.Retrieve(context.Background())
			if err == nil && c.Expired() {
				bad++
				if bad == 1 {
					t.Logf("at %v before expiry: Expires %v is %v ago", time.Until(src.creds.Expires), c.Expires.UTC(), time.Since(c.Expires))
				}
			}
			time.Sleep(time.Second)
		}
		if bad > 0 {
			t.Errorf("%d Retrieves returned credentials already Expired() with no error", bad)
		}
	})
}

// A TokenProvider without SerialNumber would never be called: New says so.
func TestNew_TokenProviderWithoutSerialNumber_IsAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		asked := 0
		f := &fakeSTS{}
		p, err := New(f, testRoleARN, func(o *Options) { o.TokenProvider = func() (string, error) { asked++; return "123456", nil } })
		if err != nil {
			if !strings.Contains(err.Error(), "SerialNumber") {
				t.Errorf("New = %v, want an error naming SerialNumber", err)
			}
			return
		}
		defer p.Close()
		mustRetrieve(t, p)
		t.Errorf("New accepted TokenProvider without SerialNumber; TokenProvider called %d times, TokenCode sent %v", asked, f.input(0).TokenCode != nil)
	})
}

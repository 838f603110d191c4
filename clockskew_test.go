package awssts_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	skewUser   = "AKIASKEWUSER00000000"
	skewSecret = "skew-secret"
	skewRole   = "arn:aws:iam::123456789012:role/skewed"
)

// syncBuffer is a log destination that goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// skewRun is what signed requests saw while a Provider served STS's credentials to them.
type skewRun struct {
	requests, expired int
	assumes           []ststest.Call
	stats             awssts.Stats
	log               string
}

// runSkewed has STS's clock run skew ahead of ours and signs a GetCallerIdentity with the
// Provider's credentials every 10 s for span, counting the ones STS calls expired.
func runSkewed(t *testing.T, skew, duration, window, span time.Duration, prefetch bool) skewRun {
	srv := ststest.NewInMemoryServer()
	defer srv.Close()
	srv.AddUser(skewUser, skewSecret)
	srv.AddRole(skewRole, 0)
	srv.SetClockSkew(skew)
	var logs syncBuffer
	cfg := inMemoryConfig(srv, skewUser, skewSecret)
	p, err := awssts.NewFromConfig(cfg, skewRole, func(o *awssts.Options) {
		o.Duration, o.ExpiryWindow, o.Prefetch = duration, window, prefetch
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg.Credentials = p
	client := sts.NewFromConfig(cfg)
	var run skewRun
	for end := time.Now().Add(span); time.Now().Before(end); time.Sleep(10 * time.Second) {
		run.requests++
		_, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		var apiErr smithy.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ExpiredToken":
			run.expired++
		case err != nil:
			t.Fatalf("GetCallerIdentity: %v", err)
		}
	}
	synctest.Wait() // log lines are written after the callers are released
	run.assumes, run.stats, run.log = calls(srv, "AssumeRole"), p.Stats(), logs.String()
	return run
}

// With STS's clock 15 minutes ahead of or behind ours, the Provider converts every expiry to
// our clock: it renews ExpiryWindow before the real expiry, never signs with credentials STS
// calls expired, reports the skew, and warns about it once.
func TestClockSkew_15Minutes_NeverSignsWithExpiredCredentials(t *testing.T) {
	for _, skew := range []time.Duration{15 * time.Minute, -15 * time.Minute} {
		for _, prefetch := range []bool{false, true} {
			synctest.Test(t, func(t *testing.T) {
				run := runSkewed(t, skew, time.Hour, 10*time.Minute, 3*time.Hour, prefetch)
				if run.expired != 0 {
					t.Errorf("skew %v prefetch %v: %d of %d requests got ExpiredToken", skew, prefetch, run.expired, run.requests)
				}
				if run.stats.ClockSkew != skew {
					t.Errorf("skew %v: Stats().ClockSkew = %v", skew, run.stats.ClockSkew)
				}
				if n := len(run.assumes); n < 3 || n > 5 {
					t.Errorf("skew %v: %d AssumeRole calls in 3 h of 1 h sessions, want 3 to 5", skew, n)
				}
				last := run.assumes[len(run.assumes)-1]
				if want := last.Time.Add(time.Hour); run.stats.Expiration.Sub(want).Abs() > time.Second {
					t.Errorf("skew %v: Stats().Expiration %v, want %v on this machine's clock", skew, run.stats.Expiration, want)
				}
				if n := strings.Count(run.log, "clock differs"); n != 1 || !strings.Contains(run.log, "skew="+skew.String()) {
					t.Errorf("skew %v: %d warnings about it, want 1 naming it:\n%s", skew, n, run.log)
				}
				if strings.Contains(run.log, skewSecret) {
					t.Error("the log holds the source secret")
				}
			})
		}
	}
}

// Sessions as short as STS allows, with a skew as long as they are, do not become a loop; a
// clock behind STS's by more than a session is still corrected, since ignoring that skew would
// sign with expired credentials.
func TestClockSkew_ShortSessions_NoLoop(t *testing.T) {
	for _, skew := range []time.Duration{15 * time.Minute, -15 * time.Minute, 20 * time.Minute} {
		synctest.Test(t, func(t *testing.T) {
			run := runSkewed(t, skew, 15*time.Minute, 100*time.Second, time.Hour, true)
			if n := len(run.assumes); run.expired != 0 || n > 6 {
				t.Errorf("skew %v: %d ExpiredToken, %d AssumeRole calls in 1 h of 15 min sessions; want 0 and at most 6", skew, run.expired, n)
			}
		})
	}
}

// A skew over 12 h comes from a bad Date header: it is ignored, with a warning.
func TestClockSkew_Implausible_Ignored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		run := runSkewed(t, 13*time.Hour, time.Hour, 10*time.Minute, time.Minute, false)
		if run.stats.ClockSkew != 0 || !strings.Contains(run.log, "implausible") {
			t.Errorf("Stats().ClockSkew = %v, log:\n%s\nwant 0 and a warning", run.stats.ClockSkew, run.log)
		}
	})
}

// This machine 16 minutes ahead of STS with the shortest sessions: a skew that consecutive
// answers report alike is real, and applied, though it is longer than a session.
func TestClockSkew_AheadBeyondShortSessions_Applied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		run := runSkewed(t, -16*time.Minute, 15*time.Minute, 100*time.Second, time.Hour, true)
		if n := len(run.assumes); run.expired != 0 || n > 8 || run.stats.ClockSkew != -16*time.Minute {
			t.Errorf("%d ExpiredToken, %d AssumeRole calls in 1 h, ClockSkew %v; want 0, at most 8, -16m0s",
				run.expired, n, run.stats.ClockSkew)
		}
	})
}

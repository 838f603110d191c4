package awssts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	mfaUser   = "AKIAMFAUSER000000000"
	mfaSecret = "mfa-user-secret"
	mfaSerial = "arn:aws:iam::123456789012:mfa/alice"
	mfaRole   = "arn:aws:iam::123456789012:role/needs-mfa"
)

// The MFA-once pattern: a role that requires MFA, assumed with the credentials of a
// NewSessionToken Provider, is renewed for 12 simulated hours with one MFA prompt; near the
// MFA session's end the role session is asked for no longer than it has left.
func TestSessionToken_OneMFAPromptAcross12HoursOfRoleRenewals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(mfaUser, mfaSecret)
		srv.AddMFADevice(mfaSerial, "314159")
		srv.AddRole(mfaRole, 12*time.Hour)
		srv.RequireMFA(mfaRole)
		var prompts atomic.Int32
		cfg := inMemoryConfig(srv, mfaUser, mfaSecret)
		session, err := awssts.NewSessionToken(sts.NewFromConfig(cfg), func(o *awssts.Options) {
			o.Duration, o.ExpiryWindow = 13*time.Hour, 10*time.Minute
			o.SerialNumber = aws.String(mfaSerial)
			o.TokenProvider = func() (string, error) { prompts.Add(1); return "314159", nil }
		})
		if err != nil {
			t.Fatal(err)
		}
		defer session.Close()
		cfg.Credentials = session
		p, err := awssts.NewFromConfig(cfg, mfaRole, func(o *awssts.Options) {
			o.Duration, o.ExpiryWindow, o.Prefetch = time.Hour, 10*time.Minute, true
		})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()

		end := time.Now().Add(12 * time.Hour)
		for time.Now().Before(end) {
			if _, err := p.Retrieve(context.Background()); err != nil {
				t.Fatalf("Retrieve at %v: %v", time.Until(end), err)
			}
			time.Sleep(time.Minute)
		}
		assumes := calls(srv, "AssumeRole")
		if n := prompts.Load(); n != 1 || len(calls(srv, "GetSessionToken")) != 1 || len(assumes) < 12 {
			t.Errorf("%d MFA prompts, %d GetSessionToken and %d AssumeRole calls in 12 h; want 1, 1 and at least 12",
				n, len(calls(srv, "GetSessionToken")), len(assumes))
		}
		for _, c := range assumes {
			if c.AccessKeyID == mfaUser || c.SerialNumber != "" {
				t.Errorf("AssumeRole signed by %s with serial %q; want the session credentials and no MFA of its own", c.AccessKeyID, c.SerialNumber)
			}
		}

		time.Sleep(time.Until(session.Stats().Expiration.Add(-30 * time.Minute)))
		p.Invalidate()
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		assumes = calls(srv, "AssumeRole")
		if last := assumes[len(assumes)-1]; last.DurationSeconds > 30*60 {
			t.Errorf("with 30 min of MFA session left, AssumeRole asked for %d s", last.DurationSeconds)
		}
	})
}

// GetSessionToken's own rules: Duration up to 36 h, 12 h by default in a release build, and the
// Options fields it does not take are errors naming the field.
func TestNewSessionToken_Rules(t *testing.T) {
	client := sts.New(sts.Options{Region: "us-east-1"})
	if _, err := awssts.NewSessionToken(client, func(o *awssts.Options) { o.Duration = 129600 * time.Second }); err != nil {
		t.Errorf("36 h: %v", err)
	}
	if _, err := awssts.NewSessionToken(client, func(o *awssts.Options) { o.Duration = 129601 * time.Second }); err == nil || !strings.Contains(err.Error(), "129600 s") {
		t.Errorf("over 36 h: %v, want the range", err)
	}
	if _, err := awssts.NewSessionToken(nil); err == nil || !strings.Contains(err.Error(), "client") {
		t.Errorf("nil client: %v", err)
	}
	for field, fn := range map[string]func(*awssts.Options){
		"RoleSessionNamePrefix": func(o *awssts.Options) { o.RoleSessionNamePrefix = "x-" },
		"ExternalID":            func(o *awssts.Options) { o.ExternalID = aws.String("abcdef") },
		"Policy":                func(o *awssts.Options) { o.Policy = aws.String("{}") },
		"SourceIdentity":        func(o *awssts.Options) { o.SourceIdentity = aws.String("abcdef") },
		"TransitiveTagKeys":     func(o *awssts.Options) { o.TransitiveTagKeys = []string{"k"} },
	} {
		if _, err := awssts.NewSessionToken(client, fn); err == nil || !strings.Contains(err.Error(), "Options."+field) {
			t.Errorf("%s: %v, want an error naming it", field, err)
		}
	}
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(mfaUser, mfaSecret)
		p, err := awssts.NewSessionToken(sts.NewFromConfig(inMemoryConfig(srv, mfaUser, mfaSecret)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(calls(srv, "GetSessionToken")[0].DurationSeconds) * time.Second; got != awssts.DefaultSessionTokenDuration {
			t.Errorf("DurationSeconds %v, want %v", got, awssts.DefaultSessionTokenDuration)
		}
	})
}

// NewSessionToken chained into New, with nobody answering the prompt any more: however many
// callers ask, and with prefetch, the TokenProvider is asked at most 3 times in 10 minutes,
// and the error says when it is tried next once.
func TestSessionToken_Chained_UnansweredPrompt_AtMostThricePer10Minutes(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			srv := ststest.NewInMemoryServer()
			defer srv.Close()
			srv.AddUser(mfaUser, mfaSecret)
			srv.AddMFADevice(mfaSerial, "314159")
			srv.AddRole(mfaRole, 12*time.Hour)
			srv.RequireMFA(mfaRole)
			var prompts atomic.Int32
			cfg := inMemoryConfig(srv, mfaUser, mfaSecret)
			session, err := awssts.NewSessionToken(sts.NewFromConfig(cfg), func(o *awssts.Options) {
				o.SerialNumber = aws.String(mfaSerial)
				o.TokenProvider = func() (string, error) { prompts.Add(1); return "", errors.New("no terminal") }
			})
			if err != nil {
				t.Fatal(err)
			}
			defer session.Close()
			cfg.Credentials = session
			p, err := awssts.NewFromConfig(cfg, mfaRole, func(o *awssts.Options) { o.Prefetch = prefetch })
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var lastErr error
			var mu sync.Mutex
			var wg sync.WaitGroup
			end := time.Now().Add(10 * time.Minute)
			for range 50 {
				wg.Go(func() {
					for ; time.Now().Before(end); time.Sleep(time.Second) {
						if _, err := p.Retrieve(context.Background()); err != nil {
							mu.Lock()
							lastErr = err
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			if n := prompts.Load(); n > 3 || n == 0 {
				t.Errorf("prefetch %t: TokenProvider asked %d times in 10 min, want 1 to 3", prefetch, n)
			}
			if lastErr == nil || strings.Count(lastErr.Error(), "not retried until") > 1 {
				t.Errorf("prefetch %t: last error %v; want one retry note", prefetch, lastErr)
			}
		})
	}
}

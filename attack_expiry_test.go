package awssts

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// shorteningSource answers with one key throughout: first valid for an hour, then, from its
// second answer on, with an Expires that the second answer fixed a few seconds ahead, as a
// credential_process or container endpoint correcting its expiry would.
type shorteningSource struct {
	mu    sync.Mutex
	calls int
	first time.Time
	short time.Time
}

func (s *shorteningSource) Retrieve(context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	exp := time.Now().Add(time.Hour)
	switch s.calls {
	case 1:
		s.first = exp
	case 2:
		s.short = time.Now().Add(5 * time.Second)
		exp = s.short
	default:
		exp = s.short
	}
	return aws.Credentials{AccessKeyID: "ASIASAME", SecretAccessKey: "SECRET-same-must-not-leak",
		SessionToken: "TOKEN-same-must-not-leak", CanExpire: true, Expires: exp}, nil
}

// An answer with the held key and an earlier expiry, taken while the held credentials are
// fresh, shortens the real expiry but leaves the refresh time where it was: until then the
// Provider counts the credentials as fresh, and serves them past their real expiry with a nil
// error (Retrieve, Env, and so Get). Expected: nothing past its real expiry is served without
// an error; the refresh time never lies after the real expiry.
func TestAttack_UnchangedKeyEarlierExpiry_ServedPastRealExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &shorteningSource{}
		p := mustWrap(t, src, func(o *WrapOptions) { o.Prefetch, o.ExpiryWindow = true, 10*time.Minute })
		mustRetrieve(t, p)
		// Prefetch asks between 50 s and 110 s before the refresh time (at 50 min); by 49m30s
		// the second answer's expiry, 5 s after it, has passed.
		time.Sleep(49*time.Minute + 30*time.Second)
		synctest.Wait()
		src.mu.Lock()
		short, calls := src.short, src.calls
		src.mu.Unlock()
		if calls < 2 || !time.Now().After(short) {
			t.Fatalf("setup: %d calls, short expiry %v, now %v", calls, short, time.Now())
		}
		c, err := p.Retrieve(context.Background())
		if err == nil {
			t.Errorf("Retrieve = %s with nil error (Expires %v), %v after their real expiry %v",
				c.AccessKeyID, c.Expires.UTC(), time.Since(short), short.UTC())
		}
		env, err := p.Env(context.Background(), "eu-west-1")
		if err == nil {
			t.Errorf("Env = %v with nil error after the real expiry %v", redactEnv(env), short.UTC())
		}
	})
}

func redactEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if len(kv) > 22 && (kv[:22] == "AWS_SECRET_ACCESS_KEY=" || (len(kv) > 18 && kv[:18] == "AWS_SESSION_TOKEN=")) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

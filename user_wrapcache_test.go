package awssts

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// envExpiry is AWS_CREDENTIAL_EXPIRATION in env, "" when absent.
func envExpiry(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_CREDENTIAL_EXPIRATION="); ok {
			return v
		}
	}
	return ""
}

// Wrap's doc says to pass cfg.Credentials from config.LoadDefaultConfig; when that config was
// made with config.WithCredentialsProvider(p), cfg.Credentials is the SDK's cache over a
// Provider. Wrap then takes Retrieve's "ask again" time for the real expiry: the child of
// outer.Env is told the credentials die ExpiryWindow early (and, while p renews, within a
// second). Expected: the real expiry, as Wrap promises "from a Provider", or an error from Wrap.
func TestUserWrapOverSDKCacheOverProvider_EnvHasRealExpiry(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{latency: 10 * time.Second}
		inner := newTestProvider(t, f)
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithCredentialsProvider(inner))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cfg.Credentials.(*aws.CredentialsCache); !ok {
			t.Fatalf("cfg.Credentials is %T", cfg.Credentials)
		}
		outer, err := Wrap(cfg.Credentials)
		if err != nil {
			return // refusing this composition with an error is an acceptable answer
		}
		defer outer.Close()
		check := func(phase string) {
			t.Helper()
			env, err := outer.Env(context.Background(), "us-east-1")
			if err != nil {
				t.Errorf("%s: outer.Env: %v", phase, err)
				return
			}
			if got, want := envExpiry(env), inner.Stats().Expiration.UTC().Format(time.RFC3339); got != want {
				t.Errorf("%s: AWS_CREDENTIAL_EXPIRATION = %s, want the real expiry %s", phase, got, want)
			}
		}
		check("fresh")
		time.Sleep(DefaultDuration - DefaultExpiryWindow + time.Second)
		mustRetrieve(t, inner) // due: inner renews behind its callers for 10 s
		check("renewing")
		synctest.Wait()
		// An outage of the inner Provider's STS once due: it serves its held credentials for
		// 50 min. The outer Provider holds the same credentials all along.
		time.Sleep(time.Until(inner.Stats().Expiration.Add(-DefaultExpiryWindow)))
		f.setErr(errUnavailable)
		before := outer.Stats().Refreshes
		load := runLoad(outer, 5, time.Now().Add(10*time.Minute))
		if s := outer.Stats(); s.Refreshes-before > 1 || load.errors != 0 || load.waited != 0 {
			t.Errorf("10 min of the inner's outage: outer counted %d refreshes of the same credentials, %d errors, %d callers waited; want at most 1, 0, 0",
				s.Refreshes-before, load.errors, load.waited)
		}
	})
}

package awssts_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// raInMemory is newPKI and an in-memory server that trusts it, for a synctest bubble.
func raInMemory(t *testing.T, kind string, intermediate bool) (pki, *ststest.Server) {
	p := newPKI(t, kind, intermediate)
	srv := ststest.NewInMemoryServer()
	t.Cleanup(srv.Close)
	raServer(t, srv, p)
	return p, srv
}

// createSessions counts the CreateSession requests that srv received, and those refused.
func createSessions(srv *ststest.Server) (n, failed int) {
	for _, c := range srv.Calls() {
		if c.Action == "CreateSession" {
			n++
			if c.ErrorCode != "" || c.Fault != 0 {
				failed++
			}
		}
	}
	return n, failed
}

// With prefetch, no Retrieve waits on CreateSession (100 ms each) over 3 hours of 1 h sessions.
func TestRolesAnywhere_PrefetchNoWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, srv := raInMemory(t, "RSA", true)
		srv.DelayAction("CreateSession", 100*time.Millisecond, 1000)
		pr := raProvider(t, srv, p, func(o *awssts.RolesAnywhereOptions) {
			o.Duration, o.ExpiryWindow, o.Prefetch = time.Hour, 10*time.Minute, true
		})
		if _, err := pr.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		waited := 0
		for end := time.Now().Add(3 * time.Hour); time.Now().Before(end); time.Sleep(time.Second) {
			start := time.Now()
			if _, err := pr.Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 0 {
				waited++
			}
		}
		pr.Close()
		n, failed := createSessions(srv)
		if waited != 0 || n < 4 || n > 5 || failed != 0 || pr.Stats().Refreshes != int64(n) {
			t.Errorf("%d Retrieves waited, %d CreateSession calls (%d failed), %d refreshes; want 0 waits and 4 or 5 calls, all refreshes",
				waited, n, failed, pr.Stats().Refreshes)
		}
	})
}

// An outage of the service after the first issue: the held credentials are served without
// an error until a minute before they expire, with few calls, and renewal resumes after it.
func TestRolesAnywhere_StaleOnFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, srv := raInMemory(t, "P-384", false)
		pr := raProvider(t, srv, p, func(o *awssts.RolesAnywhereOptions) { o.Duration, o.ExpiryWindow = time.Hour, 10*time.Minute })
		first, err := pr.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		srv.FailAction("CreateSession", ststest.ServiceUnavailable, 1<<30)
		errs := 0
		for time.Now().Before(pr.Stats().Expiration.Add(-time.Minute)) {
			c, err := pr.Retrieve(context.Background())
			if err != nil || c.AccessKeyID != first.AccessKeyID {
				errs++
			}
			time.Sleep(time.Second)
		}
		n, failed := createSessions(srv)
		if errs != 0 || failed == 0 || n > 1+3*40 {
			t.Errorf("%d errors while the credentials were valid, %d CreateSession requests (%d failed); want 0 errors and a bounded number",
				errs, n, failed)
		}
		srv.Recover()
		time.Sleep(2 * time.Minute)
		c, err := pr.Retrieve(context.Background())
		if err != nil || c.AccessKeyID == first.AccessKeyID {
			t.Errorf("after the outage: %v, %v; want new credentials", c.AccessKeyID, err)
		}
		pr.Close()
	})
}

// Server faults are retried by the SDK's retryer within one source call (throttling is not:
// the engine spreads the next call instead).
func TestRolesAnywhere_RetriesTransientErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, srv := raInMemory(t, "P-256", false)
		srv.FailAction("CreateSession", ststest.ServiceUnavailable, 1)
		srv.FailAction("CreateSession", ststest.InternalFailure, 1)
		pr := raProvider(t, srv, p)
		if _, err := pr.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, failed := createSessions(srv); n != 3 || failed != 2 || pr.Stats().Failures != 0 {
			t.Errorf("%d requests, %d failed, %d source failures; want 3, 2 and 0", n, failed, pr.Stats().Failures)
		}
		pr.Close()
	})
}

// A clock 10 minutes behind the service's: the first signature is too old, the SDK's
// clock-skew correction signs again with the service's time, and expiries are converted.
func TestRolesAnywhere_ClockSkew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, srv := raInMemory(t, "RSA", false)
		srv.SetClockSkew(10 * time.Minute)
		pr := raProvider(t, srv, p, func(o *awssts.RolesAnywhereOptions) { o.Duration = time.Hour })
		if _, err := pr.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := pr.Stats()
		// The service issued 1 h from its own clock, which is 10 min ahead of ours.
		if ahead := time.Until(st.Expiration); st.ClockSkew != 10*time.Minute || (ahead-time.Hour).Abs() > time.Second {
			t.Errorf("ClockSkew %v, expiry %v ahead on this clock; want 10m0s and 1h within the Date header's second", st.ClockSkew, ahead)
		}
		calls := srv.Calls()
		if len(calls) != 2 || calls[0].ErrorCode != "InvalidSignatureException" || calls[1].ErrorCode != "" {
			t.Errorf("calls %+v: want one refused as too old, then one that succeeds", calls)
		}
		// The next call signs with the corrected time at once.
		pr.Invalidate()
		if _, err := pr.Retrieve(context.Background()); err != nil || len(srv.Calls()) != 3 {
			t.Errorf("after the skew is known: %v, %d calls; want success with one more call", err, len(srv.Calls()))
		}
		pr.Close()
	})
}

// No key material, secret or session token in logs, errors or fmt output.
func TestRolesAnywhere_NoSecretsInLogsOrFmt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, srv := raInMemory(t, "P-256", false)
		var logs bytes.Buffer
		pr := raProvider(t, srv, p, func(o *awssts.RolesAnywhereOptions) {
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		creds, err := pr.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		srv.FailAction("CreateSession", ststest.ServiceUnavailable, 1<<30)
		pr.Invalidate()
		_, rerr := pr.Retrieve(context.Background())
		synctest.Wait() // log lines are written after the callers are released
		der, err := x509.MarshalPKCS8PrivateKey(p.key)
		if err != nil {
			t.Fatal(err)
		}
		keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		out := logs.String() + fmt.Sprintf("%v %+v %#v %v %+v", pr, pr, pr, pr.Stats(), rerr)
		if rerr == nil || !strings.Contains(logs.String(), "refreshed credentials") {
			t.Fatalf("want a failure and a logged refresh to scan; got error %v and logs %q", rerr, logs.String())
		}
		for name, secret := range map[string]string{"secret": creds.SecretAccessKey, "token": creds.SessionToken,
			"key": strings.Split(keyPEM, "\n")[1]} {
			if strings.Contains(out, secret) {
				t.Errorf("the %s appears in logs, errors or fmt output", name)
			}
		}
		pr.Close()
	})
}

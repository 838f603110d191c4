package awssts_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	faultRole = "arn:aws:iam::123456789012:role/faults"
	forever   = 1 << 30 // a fault count no test reaches; Recover ends the outage
)

// faultRow is one way for STS to fail, with the bounds the Provider promises for it: at most
// maxCalls requests reach STS during a 7-minute outage that starts just before the prefetch
// time, and fresh credentials are held at most recoverIn after STS answers again. The backoff
// (at least 2.5, 5, 10, 20, 40, then 60 s) allows 11 refreshes in 7 minutes; the SDK's retryer
// makes up to 3 requests of each for the faults it retries.
type faultRow struct {
	name      string
	start     func(*ststest.Server)
	maxCalls  int
	recoverIn time.Duration
}

func fail(kind ststest.FaultKind) func(*ststest.Server) {
	return func(s *ststest.Server) { s.Fail(kind, forever) }
}

var faultMatrix = []faultRow{
	{"Throttling_AtMost33Calls_RecoversIn2m", fail(ststest.Throttling), 33, 2 * time.Minute},
	{"500InternalFailure_AtMost33Calls_RecoversIn2m", fail(ststest.InternalFailure), 33, 2 * time.Minute},
	{"503ServiceUnavailable_AtMost33Calls_RecoversIn2m", fail(ststest.ServiceUnavailable), 33, 2 * time.Minute},
	{"MalformedXML_AtMost11Calls_RecoversIn2m", fail(ststest.MalformedResponse), 11, 2 * time.Minute},
	{"ConnectionReset_AtMost33Calls_RecoversIn2m", fail(ststest.ConnectionReset), 33, 2 * time.Minute},
	{"EmptyBody_AtMost11Calls_RecoversIn2m", fail(ststest.EmptyResponse), 11, 2 * time.Minute},
	{"AlreadyExpiredCredentials_AtMost11Calls_RecoversIn2m", fail(ststest.ExpiredCredentials), 11, 2 * time.Minute},
	// A 10-minute delay outlasts every caller's 5 s deadline and the Provider's 1 min timeout.
	{"LatencyBeyondDeadlines_AtMost10Calls_RecoversIn3m", func(s *ststest.Server) { s.Delay(10*time.Minute, forever) }, 10, 3 * time.Minute},
}

// Every fault, with and without prefetch, over the SDK's real HTTP stack: callers with a 5 s
// deadline see no error while the held credentials are valid, STS sees a bounded number of
// calls, fresh credentials arrive soon after STS recovers, and no goroutine is left.
func TestFaultMatrix(t *testing.T) {
	for _, row := range faultMatrix {
		for _, prefetch := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", row.name, prefetch), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) { runFault(t, row, prefetch) })
			})
		}
	}
}

func runFault(t *testing.T, row faultRow, prefetch bool) {
	srv := ststest.NewInMemoryServer()
	defer srv.Close()
	srv.AddUser("AKIAFAULTS0000000000", "faults-secret")
	srv.AddRole(faultRole, 0)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFAULTS0000000000", "faults-secret", ""),
		HTTPClient:   srv.Client(),
		BaseEndpoint: aws.String(srv.URL),
	}
	p, err := awssts.NewFromConfig(cfg, faultRole, func(o *awssts.Options) {
		o.Duration, o.ExpiryWindow, o.Prefetch = time.Hour, 10*time.Minute, prefetch // the release rules, in every build
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	first, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("first Retrieve: %v", err)
	}
	expiration := p.Stats().Expiration

	// The outage begins two minutes before the refresh time, before the first prefetch, and
	// lasts 7 minutes, well into the window; the credentials stay usable until 4 min after it.
	time.Sleep(time.Until(first.Expires) - 2*time.Minute)
	row.start(srv)
	before := len(srv.Calls())
	recoverAt := time.Now().Add(7 * time.Minute)
	errs := callEverySecond(p, recoverAt)
	calls := len(srv.Calls()) - before
	srv.Recover()
	t.Logf("%d STS calls during the outage; Stats %+v", calls, p.Stats())
	if errs != nil {
		t.Errorf("callers saw %d errors while the credentials were valid; first: %v", len(errs), errs[0])
	}
	if calls > row.maxCalls || calls < 2 {
		t.Errorf("%d STS calls during the outage, want 2..%d", calls, row.maxCalls)
	}
	if s := p.Stats(); s.Failures == 0 || !s.Expiration.Equal(expiration) {
		t.Errorf("during the outage Stats = %+v, want failures and the first credentials held", s)
	}

	deadline := time.Now().Add(row.recoverIn)
	if errs := callEverySecond(p, deadline); errs != nil {
		t.Errorf("callers saw %d errors after STS recovered; first: %v", len(errs), errs[0])
	}
	if s := p.Stats(); !s.Expiration.After(expiration) || s.LastError != "" {
		t.Errorf("%v after STS recovered: Stats = %+v, want new credentials", row.recoverIn, s)
	}
}

// callEverySecond has ten goroutines call Retrieve once a second, each call with a 5 s
// deadline, until end; it returns the errors they saw.
func callEverySecond(p *awssts.Provider, end time.Time) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range 10 {
		wg.Go(func() {
			for time.Now().Before(end) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				c, err := p.Retrieve(ctx)
				cancel()
				if err == nil && c.Expired() {
					err = fmt.Errorf("expired credentials served at %v", time.Now())
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				time.Sleep(time.Second)
			}
		})
	}
	wg.Wait()
	return errs
}

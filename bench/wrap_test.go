package bench

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
)

// source is a credentials provider such as IMDS or the container endpoint: each call takes
// latency and fails while down. It issues credentials that live an hour and answers with the
// same ones until sameUntil before their expiry; with sameUntil 0 every call brings new ones.
type source struct {
	latency   time.Duration
	sameUntil time.Duration
	mu        sync.Mutex
	down      bool
	calls     int
	keys      int
	cur       aws.Credentials
}

func (s *source) Retrieve(ctx context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	s.calls++
	down := s.down
	s.mu.Unlock()
	t := time.NewTimer(s.latency)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return aws.Credentials{}, ctx.Err()
	case <-t.C:
	}
	if down {
		return aws.Credentials{}, errOutage
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); s.sameUntil == 0 || !s.cur.HasKeys() || !now.Before(s.cur.Expires.Add(-s.sameUntil)) {
		s.keys++
		s.cur = aws.Credentials{AccessKeyID: "ASIASOURCE" + strconv.Itoa(s.keys), SecretAccessKey: "bench-secret",
			SessionToken: "bench-token", Source: "bench", CanExpire: true, Expires: now.Add(time.Hour).Truncate(time.Second)}
	}
	return s.cur, nil
}

func (s *source) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// counts returns the calls so far, the distinct credentials issued, and the expiry of the last.
func (s *source) counts() (calls, keys int, expiry time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.keys, s.cur.Expires
}

// wrapper is one way to serve a credentials provider.
type wrapper struct {
	name string
	open func(testing.TB, aws.CredentialsProvider) aws.CredentialsProvider
}

func (w wrapper) label() string { return w.name }

// Wrap gets the source in an aws.CredentialsCache without a window, as config.LoadDefaultConfig
// hands out IMDS, web identity, SSO and credential_process; the anchor is the same source in an
// aws.CredentialsCache with the 10-minute window that a user who wants refreshes ahead of
// expiry sets. (The default chain sets a window, of 5 minutes, only for the container endpoint.)
var wrappers = []wrapper{
	{prefetch.name, func(tb testing.TB, src aws.CredentialsProvider) aws.CredentialsProvider { return wrap(tb, src, true) }},
	{onDemand.name, func(tb testing.TB, src aws.CredentialsProvider) aws.CredentialsProvider { return wrap(tb, src, false) }},
	{sdk.name, func(_ testing.TB, src aws.CredentialsProvider) aws.CredentialsProvider {
		return aws.NewCredentialsCache(src, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 10 * time.Minute })
	}},
}

func wrap(tb testing.TB, src aws.CredentialsProvider, prefetch bool) *awssts.Provider {
	p, err := awssts.Wrap(aws.NewCredentialsCache(src), func(o *awssts.WrapOptions) {
		o.Prefetch, o.ExpiryWindow = prefetch, 10*time.Minute
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// wrapIssued opens w over src, with a source latency of 100 ms, and makes its first Retrieve.
func wrapIssued(t *testing.T, w wrapper, src *source) aws.CredentialsProvider {
	src.latency = 100 * time.Millisecond
	p := w.open(t, src)
	if _, err := p.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

// wrapLoad has 50 goroutines call Retrieve once a second until end, then stops p and
// reports what they saw and what the source did.
func wrapLoad(t *testing.T, row string, w wrapper, src *source, p aws.CredentialsProvider, end time.Time) (tally, int, int) {
	got := callEverySecond(p, 50, end)
	shut(p)
	calls, keys, _ := src.counts()
	report(t, Result{Row: row, Case: w.name, Calls: calls, Keys: keys, Retrieves: got.retrieves,
		Waited: got.waited, WorstMS: ms(got.worst), Errors: got.errors})
	return got, calls, keys
}

// Row 8a: row 2 for Wrap. 50 goroutines call Retrieve once a second for 3 simulated hours; the
// source takes 100 ms and brings new credentials at every call.
func TestWrapRefreshWait(t *testing.T) {
	forEach(t, wrappers, func(t *testing.T, w wrapper) {
		src := &source{}
		p := wrapIssued(t, w, src)
		got, calls, keys := wrapLoad(t, "wrap-refresh", w, src, p, time.Now().Add(3*time.Hour))

		if got.errors != 0 || keys < 4 || calls != keys {
			t.Errorf("%d errors, %d source calls for %d credentials in 3 h of 1 h credentials; want 0 and one call for each, at least 4",
				got.errors, calls, keys)
		}
		switch w.name {
		case prefetch.name:
			if got.waited != 0 {
				t.Errorf("with prefetch %d calls waited (worst %v), want 0", got.waited, got.worst)
			}
		case sdk.name:
			if got.waited < 100 || got.worst != src.latency {
				t.Errorf("anchor: %d calls waited (worst %v), expected every refresh to hold its callers", got.waited, got.worst)
			}
		}
	})
}

// Row 8b: row 3 for Wrap. The source fails from its second call on, while 50 goroutines call
// Retrieve once a second until 1 minute before the real expiry.
func TestWrapOutage(t *testing.T) {
	forEach(t, wrappers, func(t *testing.T, w wrapper) {
		src := &source{}
		p := wrapIssued(t, w, src)
		src.setDown(true)
		_, _, expiry := src.counts()
		got, calls, _ := wrapLoad(t, "wrap-outage", w, src, p, expiry.Add(-time.Minute))

		switch {
		case w.name == sdk.name && got.errors < 20000:
			t.Errorf("anchor served %d errors, expected it to fail every call in its window", got.errors)
		case w.name != sdk.name && (got.errors != 0 || calls > 40):
			t.Errorf("%d errors and %d source calls while the credentials were valid, want 0 and at most 40", got.errors, calls)
		}
	})
}

// Row 8c: a source like IMDS, which answers with the same credentials until 5 minutes before
// their expiry. In the anchor's 10-minute window every Retrieve finds them expired and asks
// again; awssts takes an unchanged answer as "not renewed yet" and asks again with backoff.
func TestWrapSameCredentials(t *testing.T) {
	forEach(t, wrappers, func(t *testing.T, w wrapper) {
		src := &source{sameUntil: 5 * time.Minute}
		p := wrapIssued(t, w, src)
		got, calls, keys := wrapLoad(t, "wrap-same", w, src, p, time.Now().Add(3*time.Hour))

		if got.errors != 0 || keys < 3 {
			t.Errorf("%d errors, %d credentials in 3 h of 1 h credentials; want 0 and at least 3", got.errors, keys)
		}
		switch {
		case w.name == sdk.name && got.waited < 10000:
			t.Errorf("anchor: %d calls waited, expected it to ask the source at every Retrieve for 5 minutes a rotation", got.waited)
		case w.name != sdk.name && (got.waited != 0 || calls > 10*keys):
			t.Errorf("%d calls waited, %d source calls for %d credentials; want 0 and at most 10 calls for each", got.waited, calls, keys)
		}
	})
}

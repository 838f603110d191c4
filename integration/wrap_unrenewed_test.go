package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/awssts/awssts"
)

// unrenewedLife is how long the sources' credentials last in TestWrapRenewalsThatDoNotRenew.
// The prefetch goroutine's first renewal comes at a quarter of it, while the held credentials
// have three quarters left, well over the minute within which the engine stops serving them.
const unrenewedLife = 100 * time.Second

// timeline is one source's story in TestWrapRenewalsThatDoNotRenew. It runs in a goroutine of
// its own and writes its findings, which its subtest reports once every timeline has ended.
type timeline struct {
	name        string
	unavailable func(t *testing.T) // skips or fails the subtest: the source cannot run here
	cfg         aws.Config         // the default chain, pointed at the source
	run         timelineFunc
	f           findings
}

// timelineFunc goes on from the README's recipe: p wraps the default chain, with prefetch, and
// holds the credentials of its first Retrieve.
type timelineFunc func(ctx context.Context, f *findings, p *awssts.Provider, held aws.Credentials)

type findings struct {
	errs []string
	log  string
}

func (f *findings) errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// TestWrapRenewalsThatDoNotRenew: the SDK's providers behind Wrap, with prefetch, hold
// credentials; then their source stops answering, or answers with the keys already held. The
// prefetch goroutine's renewals, about 25 s in, do not renew, and meanwhile a busy caller gets
// the held keys without an error.
//
// The engine's floors make each timeline take about 25 s of real time, so they run at the same
// time, in goroutines rather than parallel subtests, which -test.parallel would queue. The
// default chain reads the environment when it is loaded, so the configs are loaded first, one
// after another.
func TestWrapRenewalsThatDoNotRenew(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var timelines []*timeline
	add := func(name string, cfg aws.Config, run timelineFunc) {
		timelines = append(timelines, &timeline{name: name, cfg: cfg, run: run})
	}
	missing := func(name string, skip func(*testing.T)) {
		timelines = append(timelines, &timeline{name: name, unavailable: skip})
	}

	e := newContainerEndpoint(t, unrenewedLife)
	add("container endpoint stopped", defaultChain(ctx, t, e.env(), noSDKExpiryWindow), sourceDown(closed(e.srv.Close), nil))

	c := newCredentialProcess(t, unrenewedLife)
	add("credential_process failing", defaultChain(ctx, t, c.env()), sourceDown(c.down, c.refused))

	const webName = "STS unreachable for the web identity"
	if moto.ready() {
		w := newWebIdentity(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"], motoRole("awssts-web-identity-down"), unrenewedLife)
		add(webName, defaultChain(ctx, t, w.env, w.life), sourceDown(closed(w.close), nil))
	} else {
		missing(webName, func(t *testing.T) { moto.require(t) })
	}

	const stoppedName, unchangedName = "IMDS emulator stopped", "IMDS answering the held keys again"
	if _, err := findGoBinary("ec2-metadata-mock"); err == nil {
		stopped := privateIMDS(t, newIMDSDocument("ASIAIMDSSTOPPED0001", time.Now().Add(unrenewedLife)))
		add(stoppedName, defaultChain(ctx, t, imdsEnv(stopped.url)), sourceDown(closed(stopped.proc.stop), nil))
		same := privateIMDS(t, newIMDSDocument("ASIAIMDSUNCHANGED01", time.Now().Add(unrenewedLife)))
		g := newGate(t, same.url, imdsKeys)
		add(unchangedName, defaultChain(ctx, t, imdsEnv(g.URL())), imdsUnchanged(same, g))
	} else {
		skip := func(t *testing.T) { skipOrFail(t, fmt.Sprintf("%v. Install it with: go install %s", err, imdsModule)) }
		missing(stoppedName, skip)
		missing(unchangedName, skip)
	}

	var wg sync.WaitGroup
	for _, tl := range timelines {
		if tl.run != nil {
			wg.Go(func() {
				p, held, err := wrapAndRetrieve(ctx, &tl.cfg)
				if err != nil {
					tl.f.errorf("%v", err)
					return
				}
				defer p.Close()
				tl.run(ctx, &tl.f, p, held)
			})
		}
	}
	wg.Wait()
	for _, tl := range timelines {
		t.Run(tl.name, func(t *testing.T) {
			if tl.unavailable != nil {
				tl.unavailable(t)
			}
			for _, e := range tl.f.errs {
				t.Error(e)
			}
			if tl.f.log != "" {
				t.Log(tl.f.log)
			}
		})
	}
}

// closed adapts a Close that cannot fail to sourceDown's stop.
func closed(close func()) func() error {
	return func() error { close(); return nil }
}

// wrapAndRetrieve is the README's recipe, with prefetch, and the first Retrieve, for a
// goroutine that has no *testing.T. The caller closes the Provider.
func wrapAndRetrieve(ctx context.Context, cfg *aws.Config) (*awssts.Provider, aws.Credentials, error) {
	p, err := awssts.Wrap(cfg.Credentials, withPrefetch)
	if err != nil {
		return nil, aws.Credentials{}, err
	}
	cfg.Credentials = p
	held, err := p.Retrieve(ctx)
	if err != nil {
		p.Close()
		return nil, aws.Credentials{}, fmt.Errorf("Retrieve: %w", err)
	}
	return p, held, nil
}

// sourceDown is the timeline of a source that stop makes fail. failedCalls, if not nil,
// counts the calls that reached the source and failed there.
func sourceDown(stop func() error, failedCalls func() int) timelineFunc {
	return func(ctx context.Context, f *findings, p *awssts.Provider, held aws.Credentials) {
		if err := stop(); err != nil {
			f.errorf("stopping the source: %v", err)
			return
		}
		served, err := serveHeld(ctx, p, held, func() bool { return p.Stats().Failures >= 1 })
		if err != nil {
			f.errorf("%v", err)
			return
		}

		st := p.Stats()
		if st.AccessKeyID != held.AccessKeyID || st.Refreshes != 1 || st.LastError == "" {
			f.errorf("Stats = %+v, want the held %s, 1 refresh and the failure", st, held.AccessKeyID)
		}
		if left := time.Until(st.Expiration); left <= time.Minute {
			f.errorf("the renewal failed %v before the expiry; the test wants it while the held credentials are valid", left)
		}
		if strings.Contains(st.LastError, held.SecretAccessKey) || strings.Contains(st.LastError, held.SessionToken) {
			f.errorf("LastError shows the held secret or session token")
		}
		if failedCalls != nil {
			if n := failedCalls(); n < int(st.Failures) || n > int(st.Failures)+1 {
				f.errorf("the source refused %d calls; Stats counts %d failures", n, st.Failures)
			}
		}
		f.log = fmt.Sprintf("%d Retrieve calls got the held keys while %d renewal(s) failed: %s", served, st.Failures, st.LastError)
	}
}

// imdsUnchanged is the timeline of an emulator that answers with the keys already held, as IMDS
// does until close to its own rotation: that answer is neither a refresh nor a failure, and the
// prefetch goroutine asks again after a backoff, not in a loop, and takes the rotated keys.
func imdsUnchanged(e *imdsEmulator, g *gate) timelineFunc {
	return func(ctx context.Context, f *findings, p *awssts.Provider, held aws.Credentials) {
		before := p.Stats()
		// The engine has taken the second answer once it reschedules the prefetch.
		if _, err := serveHeld(ctx, p, held, func() bool {
			return len(g.issued()) >= 2 && p.Stats().NextPrefetch.After(before.NextPrefetch)
		}); err != nil {
			f.errorf("%v", err)
			return
		}
		if st := p.Stats(); st.AccessKeyID != held.AccessKeyID || st.Refreshes != 1 || st.Failures != 0 || !st.Expiration.Equal(before.Expiration) {
			f.errorf("after IMDS answered with the held keys again, Stats = %+v; want %s until %v, 1 refresh and no failure",
				st, held.AccessKeyID, before.Expiration)
		}

		const rotated = "ASIAIMDSUNCHANGED02"
		if err := e.rotate(ctx, newIMDSDocument(rotated, time.Now().Add(time.Hour))); err != nil {
			f.errorf("%v", err)
			return
		}
		if err := waitFor(ctx, func() bool { return p.Stats().AccessKeyID == rotated }); err != nil {
			f.errorf("waiting for the rotated keys: %v; Stats = %+v", err, p.Stats())
			return
		}
		got := g.issued()
		f.log = "IMDS gave " + answers(got)
		if len(got) > 4 || got[len(got)-1] != rotated {
			f.errorf("IMDS gave %s; want the held keys once or twice more, then the rotated ones", answers(got))
		}
	}
}

// serveHeld calls Retrieve every 20 ms, as a busy program would, until done holds. Every call
// must return the held keys without an error. It returns how many calls it made.
func serveHeld(ctx context.Context, p *awssts.Provider, held aws.Credentials, done func() bool) (int, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for !done() {
		n++
		c, err := p.Retrieve(ctx)
		if err != nil {
			return n, fmt.Errorf("Retrieve %d, %v before the held credentials expire: %w", n, time.Until(p.Stats().Expiration).Round(time.Second), err)
		}
		if c.AccessKeyID != held.AccessKeyID {
			return n, fmt.Errorf("Retrieve %d returned %s, want the held %s", n, c.AccessKeyID, held.AccessKeyID)
		}
		select {
		case <-ctx.Done():
			return n, fmt.Errorf("after %d Retrieve calls: %w; Stats = %+v", n, ctx.Err(), p.Stats())
		case <-tick.C:
		}
	}
	return n, nil
}

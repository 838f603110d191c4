package awssts

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// abandonGrace is how long a call waits, after its context ended, for the source to return
// on its own, so that a source that honours its context gives its own error.
const abandonGrace = 100 * time.Millisecond

// call is one source call in flight. It runs in a goroutine of its own, so that no caller, nor
// Close, waits on a source longer than refreshTimeout, and nothing the source or a Logger does
// runs while a caller waits on the call or p.mu is held.
type call struct {
	done      chan struct{}
	gen       uint64
	cancel    context.CancelFunc
	abandoned bool // Close ended it; its answer is discarded and its waiters make a call of their own
	held      held // what its waiters get
	err       error
}

// afterCall holds the log lines a source writes during a call, for run to write once the
// call's waiters are released. A line that comes after that, from an abandoned call, is
// written at once by the goroutine that nobody waits on any more.
type afterCall struct {
	mu      sync.Mutex
	lines   []func()
	flushed bool
}

type afterCallKey struct{}

// logAfterCall has log written once the waiters of the source call in ctx are released.
func logAfterCall(ctx context.Context, log func()) {
	a, _ := ctx.Value(afterCallKey{}).(*afterCall)
	if a != nil {
		a.mu.Lock()
		if !a.flushed {
			a.lines = append(a.lines, log)
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
	}
	log()
}

// flush writes the lines held so far; later ones are written as they come.
func (a *afterCall) flush() {
	a.mu.Lock()
	lines := a.lines
	a.lines, a.flushed = nil, true
	a.mu.Unlock()
	for _, log := range lines {
		log()
	}
}

// fetched is one answer of the source, or its error.
type fetched struct {
	a   answer
	err error
}

// startCall starts a source call with the values of parent, bounded by refreshTimeout, and
// makes it the one in flight. p.mu must be held.
func (p *Provider) startCall(parent context.Context) *call {
	ctx, cancel := context.WithTimeout(parent, refreshTimeout)
	c := &call{done: make(chan struct{}), gen: p.gen, cancel: cancel}
	p.inflight = c
	p.running = append(p.running, c)
	go p.run(ctx, c)
	return c
}

// run makes the call, records its outcome, releases its waiters, and only then records its
// telemetry and writes its log lines.
func (p *Provider) run(ctx context.Context, c *call) {
	defer c.cancel()
	action, start := p.src.action(), time.Now()
	ctx, span := p.tel.startSpan(ctx, action)
	later := &afterCall{}
	ctx = context.WithValue(ctx, afterCallKey{}, later)
	f := p.fetch(ctx)

	p.mu.Lock()
	var log func()
	outcome := outcomeFailed
	if !c.abandoned {
		c.held, log, outcome, c.err = p.record(c.gen, f.a, f.err, time.Now().Round(0))
	}
	if p.inflight == c {
		p.inflight = nil
	}
	p.running = slices.DeleteFunc(p.running, func(r *call) bool { return r == c })
	p.mu.Unlock()
	close(c.done)
	p.tel.ended(context.WithoutCancel(ctx), span, start, action, outcome, f.a.region)
	later.flush()
	if log != nil {
		log()
	}
}

// fetch asks the source in a goroutine of its own, and gives up on it when ctx ends: a source
// that ignores its context is abandoned, and its answer discarded when it comes.
func (p *Provider) fetch(ctx context.Context) fetched {
	answers := make(chan fetched, 1)
	go func() {
		a, err := p.src.fetch(ctx)
		answers <- fetched{a, err}
	}()
	select {
	case f := <-answers:
		return f
	case <-ctx.Done():
	}
	grace := time.NewTimer(abandonGrace)
	defer grace.Stop()
	select {
	case f := <-answers:
		return f
	case <-grace.C:
		return fetched{err: fmt.Errorf("awssts: %s: no answer within %v; the call was abandoned: %w", p.src, refreshTimeout, ctx.Err())}
	}
}

// abandon ends every call in flight, of any generation, for Close. p.mu must be held.
func (p *Provider) abandon() {
	for _, c := range p.running {
		c.abandoned = true
		c.cancel()
	}
	p.running, p.inflight = nil, nil
}

package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/awssts/awssts/bench"
)

// row is one line of the table: a figure per contender, the target, and whether it was met.
type row struct {
	id, measure                string
	prefetch, onDemand, anchor string
	target                     string
	met                        bool
	test                       string // the Test in package bench that asserts a count row
}

// results are one run's measurements; notes collect what the table cannot say in a cell.
type results struct {
	t       timings
	c       map[string]bench.Result
	cores   string
	notes   []string
	rounds  int
	cliRuns int
}

const (
	prefetch = "awssts-prefetch"
	onDemand = "awssts-on-demand"
	metered  = "awssts-metered"
	anchor   = "anchor"
	maxRatio = 1.10
)

func (r *results) rows() []row {
	rows := []row{r.hotPath("1", onDemand, ""), r.hotPath("1b", metered, ", with a MeterProvider and TracerProvider set"), r.refreshWait(), r.outage(), r.burst("4a", 1), r.burst("4b", 100), r.burst("4c", 10000), r.fleet(),
		r.http("6a", "first", "HTTP to ststest on loopback: a new provider's first Retrieve (one signed AssumeRole)"),
		r.http("6b", "cached", "HTTP to ststest on loopback: the cached Retrieve after it"),
		r.longOutage(), r.raLongOutage(), r.wrapRefreshWait(), r.wrapOutage(), r.wrapSame(), r.clockSkew(),
		r.cliCalls("10a", "sequential", 100), r.cliCalls("10b", "concurrent", 20), r.cliRolesAnywhere(), r.cliHit(),
		r.throttledFleet(), r.regionalOutage(), r.serviceRejection()}
	for _, w := range rows {
		if !w.met && w.test != "" {
			r.notes = append(r.notes, fmt.Sprintf("Row %s missed %q; `go test ./bench -run %s -v` says why.", w.id, w.target, w.test))
		}
	}
	return rows
}

func (r *results) hotPath(id, contender, with string) row {
	w := row{id: id, measure: "hot path: cached Retrieve with `b.RunParallel`" + with + ", against the bare `aws.CredentialsCache`", prefetch: "—", target: "≤ 1.10×, 0 allocs/op"}
	ours, theirs := "HotPath/"+contender, "HotPath/"+anchor
	s, ok := r.t.ratio(ours, theirs, "ns/op")
	if !ok {
		return r.missing(w)
	}
	allocs := r.allocs(ours)
	if allocs != 0 {
		r.notes = append(r.notes, fmt.Sprintf("Row %s: the cached Retrieve allocates %g times per call; it must not allocate at all.", id, allocs))
	}
	w.onDemand = fmt.Sprintf("**%.2f×** (%s vs %s; rounds %.2f–%.2f), %g allocs/op", s.med, r.ns(ours), r.ns(theirs), s.lo, s.hi, allocs)
	w.anchor = fmt.Sprintf("1× (%s), %g allocs/op", r.ns(theirs), r.allocs(theirs))
	w.met = s.med <= maxRatio && allocs == 0
	r.timingNote(w, s, maxRatio)
	return w
}

func (r *results) refreshWait() row {
	w := row{id: "2", measure: "refresh wait: Retrieve calls that waited, the worst wait (50 goroutines × 1/s, 3 simulated h, STS 100 ms)", target: "prefetch: 0 and 0", test: "TestRefreshWait"}
	r.each(&w, "refresh", waitCell("STS"))
	c, ok := r.c["refresh/"+prefetch]
	w.met = ok && c.Waited == 0 && c.WorstMS == 0
	return w
}

func (r *results) outage() row {
	w := row{id: "3", measure: "outage: errors served while the credentials were valid, STS calls (STS down after the first issue, until 1 min before expiry)", target: "0 errors, ≤ 40 calls", test: "TestOutage"}
	r.each(&w, "outage", outageCell("STS"))
	w.met = r.awssts("outage", func(c bench.Result) bool { return c.Errors == 0 && c.Calls <= 40 })
	return w
}

func (r *results) burst(id string, n int) row {
	w := row{id: id, target: "1 STS call", test: "TestFirstRetrieveBurst", measure: fmt.Sprintf("the same from %s goroutines", commas(n))}
	if n == 1 {
		w.measure = "first Retrieve from 1 goroutine: STS calls; the time until all have credentials ÷ STS latency, simulated (100 ms) and real (10 ms)"
	}
	oneCall := 0
	r.each(&w, fmt.Sprintf("burst/%d", n), func(name string, c bench.Result) string {
		if c.Calls == 1 {
			oneCall++
		}
		s := fmt.Sprintf("STS calls: %d; %.2f× simulated", c.Calls, c.Ratio)
		if real, ok := r.t.median(fmt.Sprintf("FirstRetrieveBurst/%s/goroutines=%d", name, n), "x-latency"); ok {
			s += fmt.Sprintf(", %.2f× real", real)
		}
		return s
	})
	w.met = oneCall == 3
	return w
}

func (r *results) fleet() row {
	w := row{id: "5", measure: "fleet of 10,000 started in the same second: peak-to-mean refreshes per 10 s bucket, over 60 s (the jitter range) from the first", target: "spread over the jitter range, not one spike", test: "TestFleetSpread"}
	r.each(&w, "fleet", func(_ string, c bench.Result) string {
		if c.Ratio == float64(len(c.Hist)) {
			return fmt.Sprintf("%.2f: one spike, all %s in %d–%d s before expiry", c.Ratio, commas(c.Hist[0]), c.HistFrom, c.HistFrom-10)
		}
		return fmt.Sprintf("**%.2f**, spread over %d–%d s before expiry", c.Ratio, c.HistFrom, c.HistFrom-10*len(c.Hist))
	})
	c, ok := r.c["fleet/"+prefetch]
	w.met = ok && c.Ratio <= 1.5 && len(c.Hist) > 0 && !slices.Contains(c.Hist, 0)
	return w
}

func (r *results) http(id, kind, measure string) row {
	w := row{id: id, measure: measure, prefetch: "—", target: "≤ 1.10× the anchor"}
	ours, theirs := "HTTP/"+kind+"/"+onDemand, "HTTP/"+kind+"/"+anchor
	s, ok := r.t.ratio(ours, theirs, "ns/op")
	if !ok {
		return r.missing(w)
	}
	w.onDemand = fmt.Sprintf("**%.2f×** (%s vs %s; rounds %.2f–%.2f)", s.med, r.ns(ours), r.ns(theirs), s.lo, s.hi)
	w.anchor = fmt.Sprintf("1× (%s)", r.ns(theirs))
	if kind == "cached" {
		if net, ok := r.t.ratio("HTTP/first/"+onDemand, ours, "ns/op"); ok {
			w.onDemand += fmt.Sprintf(", %g allocs/op; the first call costs %s× this", r.allocs(ours), commas(int(net.med)))
			w.target += "; the network dominates"
		}
	}
	w.met = s.med <= maxRatio
	r.timingNote(w, s, maxRatio)
	return w
}

// each fills the contender cells of w with cell of their Results in row.
func (r *results) each(w *row, row string, cell func(name string, c bench.Result) string) {
	for name, dst := range map[string]*string{prefetch: &w.prefetch, onDemand: &w.onDemand, anchor: &w.anchor} {
		*dst = "not measured"
		if c, ok := r.c[row+"/"+name]; ok {
			*dst = cell(name, c)
		}
	}
}

func (r *results) missing(w row) row {
	w.onDemand, w.anchor = "not measured", "not measured"
	r.notes = append(r.notes, fmt.Sprintf("Row %s was not measured: its benchmark did not run or failed; see the output of scripts/bench.", w.id))
	return w
}

// timingNote explains a ratio that missed its target: noise if some round met it.
func (r *results) timingNote(w row, s spread, limit float64) {
	if s.med <= limit {
		return
	}
	why := "every round was over, so this is a real cost and not noise"
	if s.lo <= limit {
		why = fmt.Sprintf("the best round was %.2f×, so the gap is within the noise of this %s-core machine; rerun it on an idle one", s.lo, r.cores)
	}
	r.notes = append(r.notes, fmt.Sprintf("Row %s missed ≤ %.2f×: the median of %d rounds is %.2f× (%.2f–%.2f); %s.", w.id, limit, r.rounds, s.med, s.lo, s.hi, why))
}

func (r *results) ns(name string) string {
	v, _ := r.t.median(name, "ns/op")
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0f µs", v/1e3)
	}
	return fmt.Sprintf("%.1f ns", v)
}

func (r *results) allocs(name string) float64 {
	v, _ := r.t.median(name, "allocs/op")
	return v
}

func msText(ms float64) string {
	if ms == 0 {
		return "0"
	}
	return fmt.Sprintf("%g ms", ms)
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (w row) markdown() string {
	met := "yes"
	if !w.met {
		met = "**no**"
	}
	return "| " + strings.Join([]string{w.id, w.measure, w.prefetch, w.onDemand, w.anchor, w.target, met}, " | ") + " |"
}

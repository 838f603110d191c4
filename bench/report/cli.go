package main

import "fmt"

// maxHitRatio is the target of row 11: a cache hit costs about a process start.
const maxHitRatio = 1.30

// cliCalls is row 10a or 10b: AssumeRole calls for n 'awssts export' processes, run one after
// another or started together, with the cache and, as the anchor, with --no-cache.
func (r *results) cliCalls(id, kind string, n int) row {
	how := "one after another"
	if kind == "concurrent" {
		how = "started together while STS takes 200 ms"
	}
	w := row{id: id, prefetch: "—", target: fmt.Sprintf("1 STS call (the anchor makes %d)", n), test: "TestCLICache",
		measure: fmt.Sprintf("CLI: STS calls for %d `awssts export` processes %s, through the shared cache (anchor: the same with `--no-cache`)", n, how)}
	ours, okOurs := r.c["cli/"+kind+"/"+onDemand]
	theirs, okTheirs := r.c["cli/"+kind+"/"+anchor]
	w.onDemand, w.anchor = "not measured", "not measured"
	if okOurs {
		w.onDemand = "**" + stsCalls(ours.Calls) + "**"
	}
	if okTheirs {
		w.anchor = stsCalls(theirs.Calls)
	}
	w.met = okOurs && okTheirs && ours.Calls == 1 && theirs.Calls == n
	return w
}

// cliRolesAnywhere is row 10c: CreateSession calls for 100 credential_process runs with a
// certificate, 'awssts export' through the shared cache against AWS's aws_signing_helper.
func (r *results) cliRolesAnywhere() row {
	const n = 100
	w := row{id: "10c", prefetch: "—", target: fmt.Sprintf("1 CreateSession call (the anchor makes %d)", n), test: "TestCLIRolesAnywhere",
		measure: fmt.Sprintf("CLI, Roles Anywhere: CreateSession calls for %d credential_process runs one after another, `awssts export --certificate …` through the shared cache (anchor: `aws_signing_helper credential-process` with the same files)", n)}
	ours, okOurs := r.c["cli-ra/"+onDemand]
	theirs, okTheirs := r.c["cli-ra/"+anchor]
	w.onDemand, w.anchor = "not measured", "not measured"
	if okOurs {
		w.onDemand = fmt.Sprintf("**%s**", createSessionCalls(ours.Calls))
	}
	if okTheirs {
		w.anchor = createSessionCalls(theirs.Calls)
	}
	w.met = okOurs && okTheirs && ours.Calls == 1 && theirs.Calls == n
	return w
}

func createSessionCalls(n int) string {
	if n == 1 {
		return "1 CreateSession call"
	}
	return fmt.Sprintf("%d CreateSession calls", n)
}

// cliHit is row 11: one 'awssts export' process served from the cache, against one
// 'awssts --help' process of the same binary.
func (r *results) cliHit() row {
	w := row{id: "11", prefetch: "—", target: fmt.Sprintf("≤ %.2f×", maxHitRatio),
		measure: "CLI: one `awssts export` process served from the cache, against one `awssts --help` process of the same binary"}
	s, ok := r.t.ratio("CLI/hit", "CLI/help", "ns/op")
	if !ok {
		return r.missing(w)
	}
	w.onDemand = fmt.Sprintf("**%.2f×** (%s vs %s; rounds %.2f–%.2f)", s.med, r.ns("CLI/hit"), r.ns("CLI/help"), s.lo, s.hi)
	w.anchor = fmt.Sprintf("1× (`--help`, %s)", r.ns("CLI/help"))
	w.met = s.med <= maxHitRatio
	r.timingNote(w, s, maxHitRatio)
	return w
}

func stsCalls(n int) string {
	if n == 1 {
		return "1 STS call"
	}
	return fmt.Sprintf("%d STS calls", n)
}

package main

import (
	"fmt"
	"io"
	"time"

	"github.com/awssts/awssts/bench"
)

// The rows of the long outage (7), Wrap (8a-8c) and clock skew (9).

func (r *results) longOutage() row {
	w := row{id: "7", test: "TestLongOutage", target: "≤ 40 calls, recovery ≤ 30 s",
		measure: "long outage, nothing ever issued: STS calls in 10 simulated min, the time from STS's recovery to the first credentials (50 callers/s spread over each second, STS failing in 50 ms)"}
	r.each(&w, "long-outage", func(_ string, c bench.Result) string {
		recovery := "**none**"
		if c.RecoveryMS >= 0 {
			recovery = fmt.Sprintf("**%.2f s**", c.RecoveryMS/1000)
		}
		return fmt.Sprintf("**%s STS calls**, recovery %s; %s errors, %s of %s Retrieves waited (worst %.0f ms)",
			commas(c.Calls), recovery, commas(c.Errors), commas(c.Waited), commas(c.Retrieves), c.WorstMS)
	})
	w.met = r.awssts("long-outage", func(c bench.Result) bool {
		return c.Calls <= 40 && c.RecoveryMS >= 0 && c.RecoveryMS <= 30000
	})
	return w
}

func (r *results) wrapRefreshWait() row {
	w := row{id: "8a", test: "TestWrapRefreshWait", target: "prefetch: 0 and 0",
		measure: "Wrap, refresh wait: Retrieve calls that waited, the worst wait (50 goroutines × 1/s, 3 simulated h, source 100 ms, new credentials at each call)"}
	r.each(&w, "wrap-refresh", waitCell("source"))
	c, ok := r.c["wrap-refresh/"+prefetch]
	w.met = ok && c.Waited == 0 && c.WorstMS == 0
	return w
}

func (r *results) wrapOutage() row {
	w := row{id: "8b", test: "TestWrapOutage", target: "0 errors, ≤ 40 calls",
		measure: "Wrap, outage: errors served while the credentials were valid, source calls (source down after the first issue, until 1 min before expiry)"}
	r.each(&w, "wrap-outage", outageCell("source"))
	w.met = r.awssts("wrap-outage", func(c bench.Result) bool { return c.Errors == 0 && c.Calls <= 40 })
	return w
}

func (r *results) wrapSame() row {
	w := row{id: "8c", test: "TestWrapSameCredentials", target: "0 waits; a few source calls for each new credentials, no loop",
		measure: "Wrap, a source like IMDS that returns the same credentials until 5 min before their expiry: Retrieve calls that waited, source calls (50 goroutines × 1/s, 3 simulated h, source 100 ms)"}
	r.each(&w, "wrap-same", func(_ string, c bench.Result) string {
		s := fmt.Sprintf("**%s of %s waited**", commas(c.Waited), commas(c.Retrieves))
		if c.Waited > 0 {
			s += ", worst " + msText(c.WorstMS)
		}
		return s + fmt.Sprintf("; %s source calls for %d credentials (%.1f each)", commas(c.Calls), c.Keys, float64(c.Calls)/float64(max(c.Keys, 1)))
	})
	w.met = r.awssts("wrap-same", func(c bench.Result) bool { return c.Waited == 0 && c.Keys > 0 && c.Calls <= 10*c.Keys })
	return w
}

func (r *results) clockSkew() row {
	w := row{id: "9", test: "TestClockSkew", target: "0 s",
		measure: "clock 15 min behind STS's: seconds per rotation in which signed requests carry credentials that STS considers expired; requests answered ExpiredToken (1 GetCallerIdentity/s for 3 simulated h, SDK HTTP stack to ststest)"}
	r.each(&w, "skew", func(name string, c bench.Result) string {
		rotations := c.Keys - 1
		s := fmt.Sprintf("**%.0f s** per rotation; %s ExpiredToken of %s requests, %d rotations",
			float64(c.Expired)/float64(max(rotations, 1)), commas(c.Expired), commas(c.Retrieves), rotations)
		if name != anchor {
			s += fmt.Sprintf("; Stats().ClockSkew %v", time.Duration(c.SkewS*float64(time.Second)))
		}
		return s
	})
	w.met = r.awssts("skew", func(c bench.Result) bool { return c.Expired == 0 && c.Errors == 0 && c.Keys > 1 })
	return w
}

// awssts says whether both awssts contenders were measured in row and met ok.
func (r *results) awssts(row string, ok func(bench.Result) bool) bool {
	for _, name := range []string{prefetch, onDemand} {
		if c, found := r.c[row+"/"+name]; !found || !ok(c) {
			return false
		}
	}
	return true
}

// waitCell and outageCell are the cells of the refresh-wait and outage rows; calls names
// what the contenders call: STS, or the wrapped source.
func waitCell(calls string) func(string, bench.Result) string {
	return func(_ string, c bench.Result) string {
		return fmt.Sprintf("%s of %s waited, worst %s; %d %s calls", commas(c.Waited), commas(c.Retrieves), msText(c.WorstMS), c.Calls, calls)
	}
}

func outageCell(calls string) func(string, bench.Result) string {
	return func(_ string, c bench.Result) string {
		s := fmt.Sprintf("**%s errors**, %d %s calls", commas(c.Errors), c.Calls, calls)
		if c.Waited > 0 {
			s += fmt.Sprintf("; %s of %s Retrieves waited %s", commas(c.Waited), commas(c.Retrieves), msText(c.WorstMS))
		}
		return s
	}
}

// writeNotesNext explains rows 7-9.
func writeNotesNext(w io.Writer) {
	fmt.Fprint(w, `- Row 7: the recovery is the time from STS answering again to the first Retrieve that returned
  credentials. While a retry is not due, awssts answers at once with the last error; the Retrieves
  that waited are those that arrived while a retry was in flight. The anchor calls STS at every
  cache miss, so it recovers at the next call, having made one STS call per miss meanwhile.
- Row 8: the source is a fake provider in package bench, 100 ms a call, issuing 1 h credentials:
  new ones at each call in 8a and 8b, in 8c the same ones until 5 min before their expiry.
  awssts.Wrap (ExpiryWindow 10 min) gets it inside an `+"`aws.CredentialsCache`"+` without a window, as
  `+"`config.LoadDefaultConfig`"+` hands out IMDS, web identity, SSO and credential_process (it sets a window,
  5 min, only for the container endpoint). The anchor is that source in `+"`aws.NewCredentialsCache`"+` with
  ExpiryWindow 10 min, as a user who wants renewals ahead of expiry sets it.
- Row 9: ststest's clock runs 15 min ahead (`+"`SetClockSkew`"+`); both sides use the SDK's default retryer,
  which signs again at once when STS refuses the first request of a client with "Signature expired",
  so each side makes one AssumeRole call more than it got credentials. The requests are signed by an
  `+"`sts.Client`"+` whose Credentials are the contender. awssts's ClockSkew comes from the Date header,
  which has whole seconds, so it reads 15 min or up to a second less.
`)
}

package main

import (
	"fmt"
	"io"

	"github.com/awssts/awssts/bench"
)

// The static-stability rows: the throttled fleet (12), a regional outage (13) and a service
// that rejects the held key (14).

func (r *results) throttledFleet() row {
	w := row{id: "12", test: "TestThrottledFleet", target: "all served in ≤ 200 s (2× the ideal 100 s), ≤ 3 attempts per Provider; renewal round with prefetch: 0 errors, 0 waits",
		measure: "throttled fleet: 10,000 Providers start in the same second against one STS limited to 100 requests/s (token bucket of 100); one caller each, once a second until served. Time until all are served; AssumeRole requests, of them throttled; errors returned to callers. With prefetch, then the fleet's renewal round"}
	r.each(&w, "throttled-fleet", func(name string, c bench.Result) string {
		s := fmt.Sprintf("all served in **%.0f s**; **%.2f attempts per Provider** (%s requests, %s throttled); %s errors",
			c.AllServedS, float64(c.Calls)/float64(max(c.Providers, 1)), commas(c.Calls), commas(c.Throttled), commas(c.Errors))
		if name == prefetch {
			s += fmt.Sprintf("; renewal round: **%s errors, %s of %s Retrieves waited**, %s requests, %s throttled",
				commas(c.RenewErrors), commas(c.RenewWaited), commas(c.Retrieves), commas(c.RenewCalls), commas(c.RenewThrottled))
		}
		return s
	})
	w.met = r.awssts("throttled-fleet", func(c bench.Result) bool {
		return c.Providers == 10000 && c.AllServedS <= 200 && float64(c.Calls) <= 3*float64(c.Providers)
	})
	if c, ok := r.c["throttled-fleet/"+prefetch]; !ok || c.RenewErrors != 0 || c.RenewWaited != 0 {
		w.met = false
	}
	return w
}

func (r *results) regionalOutage() row {
	w := row{id: "13", test: "TestRegionalOutage", target: "0 errors; no renewal waits on the primary once it is known down",
		measure: "regional outage: STS in the client's region hangs for 6 simulated h, nothing held at the start; 5 callers a second, 30 s deadline each. Errors, Retrieves that waited, primary requests per renewal (awssts: FailoverRegions us-west-2; the anchor has none)"}
	r.each(&w, "regional-outage", func(_ string, c bench.Result) string {
		s := fmt.Sprintf("**%s errors** of %s; %s waited (worst %s)", commas(c.Errors), commas(c.Retrieves), commas(c.Waited), msText(c.WorstMS))
		if c.Renewals > 0 {
			s += fmt.Sprintf("; %d renewals, **%.2f primary requests per renewal** (probes of ≤ 3 s, in the background)", c.Renewals, float64(c.PrimaryCalls)/float64(c.Renewals))
		}
		return s
	})
	w.met = r.awssts("regional-outage", func(c bench.Result) bool {
		return c.Errors == 0 && c.Waited <= 5 && c.WorstMS <= 10000 && c.PrimaryCalls <= c.Renewals
	})
	return w
}

func (r *results) serviceRejection() row {
	w := row{id: "14", test: "TestServiceRejection", target: "0 errors",
		measure: "service rejection: 50 callers each make a signed request a second for 5 simulated min; at 1 min the service revokes the held key (InvalidClientTokenId). Errors the callers saw; AssumeRole calls (awssts: `RenewOnAuthFailure`, `cfg.Credentials = p`)"}
	r.each(&w, "rejection", func(_ string, c bench.Result) string {
		return fmt.Sprintf("**%s errors** of %s requests; %d AssumeRole calls", commas(c.Errors), commas(c.Retrieves), c.Calls)
	})
	w.met = r.awssts("rejection", func(c bench.Result) bool { return c.Errors == 0 && c.Retrieves > 0 })
	return w
}

// writeNotesStability explains rows 12-14.
func writeNotesStability(w io.Writer) {
	fmt.Fprint(w, `- Row 12: each Provider has its own SDK STS client with the standard retryer, all to one ststest in
  memory with `+"`SetRateLimit(100, 100)`"+`. awssts does not let the SDK retry Throttling and waits a random
  1-60 s before its next call; the anchor's retryer makes 3 attempts a call. "Errors" are Retrieves
  that returned one while nothing was held yet. The renewal round runs from before the first prefetch
  until the last Provider's refresh time.
- Row 13: two ststest servers in memory, us-east-1 and us-west-2, behind an EndpointResolverV2. The
  first Retrieve waits for us-east-1's share of the call (10 s), then us-west-2 answers; after that,
  renewals go to us-west-2, and us-east-1 is probed (one attempt, at most 3 s) at the first renewal
  after a jittered backoff of 5 min doubling to 1 h. The anchor's single call waits on us-east-1 for
  the whole run.
- Row 14: the service is a RoundTripper in front of ststest; it answers requests signed with the
  revoked key InvalidClientTokenId in STS's XML error shape. The anchor keeps the revoked key until its
  cache renews, 50 min after the first issue.
`)
}

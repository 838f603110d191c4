package main

import (
	"fmt"
	"io"

	"github.com/awssts/awssts/bench"
)

// raLongOutage is row 7b: row 7 for Roles Anywhere, whose calls are CreateSession operations.
func (r *results) raLongOutage() row {
	w := row{id: "7b", test: "TestRolesAnywhereLongOutage", target: "≤ 40 calls, recovery ≤ 30 s",
		measure: "Roles Anywhere, long outage, nothing ever issued: CreateSession calls (HTTP requests, retries included) in 10 simulated min, the time from the service's recovery to the first credentials (50 callers/s spread over each second, CreateSession answering 503)"}
	r.each(&w, "ra-long-outage", func(_ string, c bench.Result) string {
		recovery := "**none**"
		if c.RecoveryMS >= 0 {
			recovery = fmt.Sprintf("**%.2f s**", c.RecoveryMS/1000)
		}
		return fmt.Sprintf("**%s CreateSession calls** (%s requests), recovery %s; %s errors, %s of %s Retrieves waited (worst %.0f ms)",
			commas(c.Calls), commas(c.Requests), recovery, commas(c.Errors), commas(c.Waited), commas(c.Retrieves), c.WorstMS)
	})
	w.met = r.awssts("ra-long-outage", func(c bench.Result) bool {
		return c.Calls <= 40 && c.RecoveryMS >= 0 && c.RecoveryMS <= 30000
	})
	return w
}

// writeNotesRA explains row 7b.
func writeNotesRA(w io.Writer) {
	fmt.Fprint(w, `- Row 7b: the contenders sign CreateSession with an ECDSA certificate through the SDK's HTTP stack to
  ststest in memory, which verifies every signature and chain. A call is one operation; the SDK's
  standard retryer (3 attempts) adds the other requests, until its retry token bucket runs dry. The
  anchor is `+"`credential_process = aws_signing_helper credential-process …`"+` as an SDK uses it: its
  `+"`aws.CredentialsCache`"+` (ExpiryWindow 10 min) runs a new process, one CreateSession, at each miss,
  modelled by a new `+"`awssts.NewRolesAnywhere`"+` Provider per miss.
`)
}

// Package bench measures awssts against what a user would otherwise write: the SDK's
// stscreds.NewAssumeRoleProvider in an aws.CredentialsCache for New, and the wrapped source
// itself in an aws.CredentialsCache for Wrap. scripts/bench runs it.
//
// Its Test functions replay the count rows of BENCHMARKS.md under testing/synctest, where the
// counts are deterministic, assert the targets and log each Result; its Benchmark functions
// time rows 1, 4 and 6. The only non-test code is Result, shared with bench/report.
package bench

// ReportPrefix starts each line in which a test logs a Result as JSON, so that bench/report
// finds the results in the output of go test -v.
const ReportPrefix = "REPORT "

// Result is one contender in one scenario of a row of BENCHMARKS.md.
type Result struct {
	Row       string  `json:"row"`                // refresh, outage, burst/GOROUTINES, fleet, long-outage, wrap-…, skew
	Case      string  `json:"case"`               // the contender
	Calls     int     `json:"calls"`              // source calls: AssumeRole, CreateSession, or Retrieve of the wrapped source
	Requests  int     `json:"requests,omitempty"` // HTTP requests, retries included, where they are counted
	Retrieves int     `json:"retrieves,omitempty"`
	Waited    int     `json:"waited,omitempty"` // Retrieve calls that took any time
	WorstMS   float64 `json:"worst_ms,omitempty"`
	Errors    int     `json:"errors,omitempty"`
	Ratio     float64 `json:"ratio,omitempty"` // burst: time / STS latency; fleet: peak-to-mean
	Hist      []int   `json:"hist,omitempty"`
	HistFrom  int     `json:"hist_from_s,omitempty"` // seconds before expiry where Hist begins

	Keys       int     `json:"keys,omitempty"`        // distinct credentials the source issued
	RecoveryMS float64 `json:"recovery_ms,omitempty"` // from the source's recovery to the first Retrieve that succeeded
	Expired    int     `json:"expired,omitempty"`     // signed requests that STS answered with ExpiredToken
	SkewS      float64 `json:"skew_s,omitempty"`      // Stats().ClockSkew of awssts, in seconds

	Throttled      int     `json:"throttled,omitempty"`       // of Calls, answered Throttling
	Providers      int     `json:"providers,omitempty"`       // in the fleet
	AllServedS     float64 `json:"all_served_s,omitempty"`    // from the fleet's start until every caller had credentials
	RenewCalls     int     `json:"renew_calls,omitempty"`     // the fleet's renewal round: STS requests
	RenewThrottled int     `json:"renew_throttled,omitempty"` // of them, answered Throttling
	RenewErrors    int     `json:"renew_errors,omitempty"`
	RenewWaited    int     `json:"renew_waited,omitempty"`
	PrimaryCalls   int     `json:"primary_calls,omitempty"` // requests to the primary region after the first renewal
	Renewals       int     `json:"renewals,omitempty"`      // credentials issued after the first
}

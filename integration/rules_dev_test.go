//go:build dev

package integration

import "time"

// The -tags dev rules from the README, written out here so that a wrong library constant
// cannot pass by agreeing with itself.
const (
	wantSessionPrefix = "asia-dev-"
	wantDuration      = 900 * time.Second
	wantExpiryWindow  = 100 * time.Second

	// buildTags builds the binaries that the tests run, such as cmd/awssts, with the rules of
	// the test binary.
	buildTags = "dev"
)

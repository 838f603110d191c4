//go:build !dev

package integration

import "time"

// The release rules from the README, written out here so that a wrong library constant
// cannot pass by agreeing with itself.
const (
	wantSessionPrefix = "asia-release-"
	wantDuration      = 3600 * time.Second
	wantExpiryWindow  = 600 * time.Second
)

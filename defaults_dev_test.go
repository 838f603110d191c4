//go:build dev

package awssts

import "time"

var wantDefaults = struct {
	prefix           string
	duration, window time.Duration
}{"asia-dev-", 15 * time.Minute, 100 * time.Second}

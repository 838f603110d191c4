//go:build !dev

package awssts

import "time"

var wantDefaults = struct {
	prefix           string
	duration, window time.Duration
}{"asia-release-", time.Hour, 10 * time.Minute}

//go:build !dev

package awssts

import "time"

// Release defaults: hour-long sessions renewed ten minutes before they expire.
const (
	DefaultRoleSessionNamePrefix = "asia-release-"
	DefaultDuration              = 3600 * time.Second
	DefaultSessionTokenDuration  = 43200 * time.Second // NewSessionToken: 12 h, as STS itself
	DefaultExpiryWindow          = 600 * time.Second
)

//go:build dev

package awssts

import "time"

// Dev defaults (go build -tags dev): the shortest sessions STS allows, so refreshes show up
// within minutes while developing.
const (
	DefaultRoleSessionNamePrefix = "asia-dev-"
	DefaultDuration              = 900 * time.Second
	DefaultSessionTokenDuration  = 900 * time.Second // NewSessionToken: as short as STS allows
	DefaultExpiryWindow          = 100 * time.Second
)

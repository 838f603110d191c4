package ststest

import (
	"net/http"
	"slices"
)

// SetRegionDisabled makes the server act as STS in a region that the account has not
// activated: every call that issues credentials (AssumeRole, AssumeRoleWithWebIdentity,
// GetSessionToken) is answered 403 RegionDisabledException once it is authenticated, as
// from STS. false activates the region again.
func (s *Server) SetRegionDisabled(disabled bool) {
	s.regionOff.Store(disabled)
}

// regionDisabled is the answer to action while the region is disabled, or nil.
func (s *Server) regionDisabled(action, account string) *apiError {
	if !s.regionOff.Load() || !slices.Contains(credentialActions, action) {
		return nil
	}
	if account == "" {
		account = Account
	}
	return &apiError{http.StatusForbidden, "RegionDisabledException", "STS is not activated in this region for account:" + account +
		". Your account administrator can activate STS in this region using the IAM Console."}
}

package ststest_test

import (
	"net/http"
	"testing"
)

// A disabled region refuses the calls that issue credentials with 403 RegionDisabledException,
// and still answers GetCallerIdentity.
func TestRegionDisabled(t *testing.T) {
	srv := newServer(t)
	srv.SetRegionDisabled(true)
	c := newClient(srv, userCreds())
	_, err := assumeRole(t.Context(), c, testRole, "disabled", 0)
	checkAPIError(t, err, http.StatusForbidden, "RegionDisabledException")
	if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
		t.Errorf("GetCallerIdentity in a disabled region: %v", err)
	}
	srv.SetRegionDisabled(false)
	if _, err := assumeRole(t.Context(), c, testRole, "enabled", 0); err != nil {
		t.Errorf("AssumeRole once the region is enabled again: %v", err)
	}
}

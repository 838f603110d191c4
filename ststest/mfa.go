package ststest

import (
	"fmt"
	"net/http"
	"net/url"
)

// AddMFADevice registers the MFA device serialNumber (its ARN, such as
// arn:aws:iam::123456789012:mfa/alice) with code as the one-time code it shows now. Calling it
// again changes the code. AssumeRole and GetSessionToken with a SerialNumber accept only that
// device's current code; any other code, an unknown device, or a SerialNumber without a
// TokenCode gets AccessDenied, as from STS.
func (s *Server) AddMFADevice(serialNumber, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mfaCodes[serialNumber] = code
}

// RequireMFA makes the role roleARN assumable only with MFA, as a trust policy with the
// condition aws:MultiFactorAuthPresent does: AssumeRole must carry a valid SerialNumber and
// TokenCode, or be signed with credentials that were obtained with MFA (GetSessionToken or
// AssumeRole with a code, and sessions of those). Other callers, and every
// AssumeRoleWithWebIdentity, get AccessDenied. It panics if the role was not added with
// AddRole.
func (s *Server) RequireMFA(roleARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[roleARN]
	if !ok {
		panic(fmt.Sprintf("ststest: RequireMFA: role %q was not added with AddRole", roleARN))
	}
	r.requireMFA = true
	s.roles[roleARN] = r
}

// checkMFA checks the SerialNumber and TokenCode of a request, if it has either, and reports
// whether they authenticate it. s.mu must be held.
func (s *Server) checkMFA(params url.Values) (bool, *apiError) {
	if !params.Has("SerialNumber") && !params.Has("TokenCode") {
		return false, nil
	}
	code, ok := s.mfaCodes[params.Get("SerialNumber")]
	if !ok || !params.Has("TokenCode") || params.Get("TokenCode") != code {
		return false, &apiError{http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."}
	}
	return true, nil
}

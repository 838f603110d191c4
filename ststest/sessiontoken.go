package ststest

import (
	"net/http"
	"net/url"
	"time"
)

// The GetSessionToken limits of the STS API reference.
const (
	minSessionTokenSeconds = 900
	maxSessionTokenSeconds = 129600
	defaultSessionToken    = 12 * time.Hour
)

// getSessionToken issues temporary credentials of the IAM user who signed the request with a
// long-term key. They act as that user, with the MFA context of the request.
func (s *Server) getSessionToken(p principal, params url.Values, expired bool) (response, *apiError) {
	if p.temporary {
		return nil, &apiError{http.StatusForbidden, "AccessDenied", "Cannot call GetSessionToken with session credentials"}
	}
	var v violations
	v.number(params, "DurationSeconds", minSessionTokenSeconds, maxSessionTokenSeconds)
	v.mfaParams(params)
	if apiErr := v.err(); apiErr != nil {
		return nil, apiErr
	}
	duration := requestedDuration(params, defaultSessionToken)

	s.mu.Lock()
	defer s.mu.Unlock()
	mfa, apiErr := s.checkMFA(params)
	if apiErr != nil {
		return nil, apiErr
	}
	sess := session{arn: p.arn, userID: p.userID, account: p.account, mfa: mfa}
	return &getSessionTokenResponse{Result: getSessionTokenResult{
		Credentials: s.issue(sess, duration, expired, sessionTokenLen),
	}}, nil
}

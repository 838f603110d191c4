package ststest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The AssumeRole limits of the STS API reference.
const (
	minDurationSeconds  = 900
	maxDurationSeconds  = 43200
	defaultDuration     = time.Hour
	roleChainingLimit   = time.Hour
	packedPolicyMaxSize = 2048
)

func (s *Server) assumeRole(p principal, params url.Values, expired bool) (response, *apiError) {
	var v violations
	v.roleParams(params)
	v.number(params, "MinimumSessionTokenSize", 0, maxSessionTokenSize)
	v.mfaParams(params)
	if apiErr := v.err(); apiErr != nil {
		return nil, apiErr
	}
	roleARN := params.Get("RoleArn")
	duration := requestedDuration(params, defaultDuration)

	s.mu.Lock()
	defer s.mu.Unlock()
	mfa, apiErr := s.checkMFA(params)
	if apiErr != nil {
		return nil, apiErr
	}
	mfa = mfa || p.mfa
	r, ok := s.roles[roleARN]
	if !ok || r.requireMFA && !mfa {
		return nil, &apiError{http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.arn, roleARN)}
	}
	if apiErr := r.checkDuration(duration); apiErr != nil {
		return nil, apiErr
	}
	if p.chained && duration > roleChainingLimit {
		return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}

	creds, user := s.issueRoleSession(r, params, duration, expired, mfa, tokenSize(params))
	return &assumeRoleResponse{Result: assumeRoleResult{
		SourceIdentity:          params.Get("SourceIdentity"),
		AssumedRoleUser:         user,
		Credentials:             creds,
		PackedPolicySize:        packedPolicySize(params),
		SessionTokenSize:        len(creds.SessionToken),
		SessionTokenUtilization: len(creds.SessionToken) * 100 / maxSessionTokenSize,
	}}, nil
}

// checkDuration checks a requested session duration against the role's MaxSessionDuration.
func (r role) checkDuration(d time.Duration) *apiError {
	if d > r.maxSession {
		return errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return nil
}

// issueRoleSession issues credentials of the session of role r named by the request's
// RoleSessionName. s.mu must be held.
func (s *Server) issueRoleSession(r role, params url.Values, duration time.Duration, expired, mfa bool, tokenLen int) (credentialsXML, assumedRoleUser) {
	name := params.Get("RoleSessionName")
	sess := session{
		arn:     fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", partition(r.arn), r.account, r.name, name),
		userID:  r.id + ":" + name,
		account: r.account,
		role:    true,
		mfa:     mfa,
	}
	return s.issue(sess, duration, expired, tokenLen), assumedRoleUser{AssumedRoleID: sess.userID, Arn: sess.arn}
}

func getCallerIdentity(p principal) response {
	return &getCallerIdentityResponse{Result: getCallerIdentityResult{Arn: p.arn, UserID: p.userID, Account: p.account}}
}

// packedPolicySize estimates the percentage of the packed-policy limit that session policies
// and tags use; STS reports it only when there are some.
func packedPolicySize(params url.Values) int {
	n := 0
	for k, vs := range params {
		if k == "Policy" || strings.HasPrefix(k, "PolicyArns.") || strings.HasPrefix(k, "Tags.") {
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	if n == 0 {
		return 0
	}
	return max(1, n*100/packedPolicyMaxSize)
}

func partition(roleARN string) string {
	p, _, _ := strings.Cut(strings.TrimPrefix(roleARN, "arn:"), ":")
	return p
}

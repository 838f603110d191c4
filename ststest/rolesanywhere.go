package ststest

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// rolesAnywherePath is where IAM Roles Anywhere takes CreateSession; every other path is STS.
const rolesAnywherePath = "/sessions"

// RolesAnywhereProfile is an IAM Roles Anywhere profile: the roles that a session created
// through it may assume.
type RolesAnywhereProfile struct {
	ARN      string   // arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID
	RoleARNs []string // the roles it allows

	// AcceptRoleSessionName lets callers name the role session (roleSessionName); without
	// it, a request that names one is refused, as the service refuses it.
	AcceptRoleSessionName bool
}

// rolesAnywhere holds the trust anchors and profiles; its maps are guarded by Server.mu.
type rolesAnywhere struct {
	anchors  map[string]*x509.Certificate // trust anchor ARN → its CA certificate
	profiles map[string]RolesAnywhereProfile
}

// AddTrustAnchor makes CreateSession trust certificates that chain up to ca (through the
// intermediates a request sends in X-Amz-X509-Chain) when the request names trustAnchorARN.
// It panics on an ARN that is not a Roles Anywhere trust anchor, or a nil ca.
func (s *Server) AddTrustAnchor(trustAnchorARN string, ca *x509.Certificate) {
	if !isRolesAnywhereARN(trustAnchorARN, "trust-anchor") || ca == nil {
		panic(fmt.Sprintf("ststest: AddTrustAnchor(%q): need a trust anchor ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID) and a CA certificate", trustAnchorARN))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ra.anchors == nil {
		s.ra.anchors = make(map[string]*x509.Certificate)
	}
	s.ra.anchors[trustAnchorARN] = ca
}

// AddRolesAnywhereProfile adds or replaces the profile p.ARN. It panics on an ARN that is not
// a Roles Anywhere profile, or a role ARN that is not an IAM role.
func (s *Server) AddRolesAnywhereProfile(p RolesAnywhereProfile) {
	if !isRolesAnywhereARN(p.ARN, "profile") {
		panic(fmt.Sprintf("ststest: AddRolesAnywhereProfile: %q is not a profile ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID)", p.ARN))
	}
	for _, r := range p.RoleARNs {
		if _, ok := parseRole(r); !ok {
			panic(fmt.Sprintf("ststest: AddRolesAnywhereProfile: %q is not an IAM role ARN", r))
		}
	}
	p.RoleARNs = slices.Clone(p.RoleARNs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ra.profiles == nil {
		s.ra.profiles = make(map[string]RolesAnywhereProfile)
	}
	s.ra.profiles[p.ARN] = p
}

func isRolesAnywhereARN(s, resource string) bool {
	a, err := arn.Parse(s)
	id, ok := strings.CutPrefix(a.Resource, resource+"/")
	return err == nil && a.Service == "rolesanywhere" && a.Region != "" && ok && id != ""
}

// parseRole returns the role of an IAM role ARN: the one added with AddRole, or else one
// made up from the ARN with a 12 h MaxSessionDuration.
func parseRole(roleARN string) (role, bool) {
	a, err := arn.Parse(roleARN)
	name, ok := strings.CutPrefix(a.Resource, "role/")
	if err != nil || a.Service != "iam" || !ok || name == "" {
		return role{}, false
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return role{arn: roleARN, account: a.AccountID, name: name, id: "AROA" + randomID(17), maxSession: maxDurationSeconds * time.Second}, true
}

// createSessionBody is CreateSession's JSON body.
type createSessionBody struct {
	DurationSeconds *int64  `json:"durationSeconds"`
	RoleSessionName *string `json:"roleSessionName"`
}

// serveCreateSession answers POST /sessions as IAM Roles Anywhere does, in REST-JSON.
func (s *Server) serveCreateSession(w http.ResponseWriter, r *http.Request) {
	s.setDate(w)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeJSONError(w, &apiError{http.StatusBadRequest, "SerializationException", "the request body could not be read: " + err.Error()})
		return
	}
	query := r.URL.Query()
	var in createSessionBody
	jsonErr := json.Unmarshal(body, &in)
	params := url.Values{"Action": {"CreateSession"}, "RoleArn": {query.Get("roleArn")}}
	if in.DurationSeconds != nil {
		params.Set("DurationSeconds", strconv.FormatInt(*in.DurationSeconds, 10))
	}
	if in.RoleSessionName != nil {
		params.Set("RoleSessionName", *in.RoleSessionName)
	}
	id, f, ok := s.begin(w, r, newCall(r, params))
	if !ok {
		return
	}
	switch f.kind {
	case MalformedResponse:
		writeBody(w, http.StatusCreated, `{"credentialSet":[{"credentials":{"accessKeyId":"ASIA`)
		return
	case EmptyResponse:
		writeBody(w, http.StatusCreated, "")
		return
	case Throttling, InternalFailure, ServiceUnavailable:
		s.answerJSON(w, id, nil, rolesAnywhereFault(f.kind))
		return
	}
	if jsonErr != nil && len(body) > 0 {
		s.answerJSON(w, id, nil, &apiError{http.StatusBadRequest, "SerializationException", "the body is not a JSON object: " + jsonErr.Error()})
		return
	}
	out, apiErr := s.createSession(r, body, query, in, f.kind == ExpiredCredentials)
	s.answerJSON(w, id, out, apiErr)
}

// createSession checks the request, its signature and its certificate, and issues
// credentials of a role session.
func (s *Server) createSession(r *http.Request, body []byte, query url.Values, in createSessionBody, expired bool) (any, *apiError) {
	anchorARN, profileARN, roleARN := query.Get("trustAnchorArn"), query.Get("profileArn"), query.Get("roleArn")
	s.mu.Lock()
	ca, profile := s.ra.anchors[anchorARN], s.ra.profiles[profileARN]
	s.mu.Unlock()
	leaf, apiErr := s.verifyX509(r, body, anchorARN, ca)
	if apiErr != nil {
		return nil, apiErr
	}
	switch {
	case profile.ARN == "":
		return nil, &apiError{http.StatusNotFound, "ResourceNotFoundException", "Profile " + profileARN + " not found"}
	case !slices.Contains(profile.RoleARNs, roleARN):
		return nil, errAccessDenied("Unable to assume role for " + roleARN + ". Profile " + profileARN + " does not allow it.")
	case in.RoleSessionName != nil && !profile.AcceptRoleSessionName:
		return nil, errAccessDenied("Not authorized to set roleSessionName.")
	}
	duration := defaultDuration
	if d := in.DurationSeconds; d != nil {
		if *d < minDurationSeconds || *d > maxDurationSeconds {
			return nil, &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf("durationSeconds %d must be between %d and %d", *d, minDurationSeconds, maxDurationSeconds)}
		}
		duration = time.Duration(*d) * time.Second
	}
	name := leaf.SerialNumber.Text(16) // the service's name for sessions that name none
	if n := in.RoleSessionName; n != nil {
		if len(*n) < 2 || len(*n) > 64 || !sessionNameRE.MatchString(*n) {
			return nil, &apiError{http.StatusBadRequest, "ValidationException", "roleSessionName must be 2 to 64 of " + sessionNamePattern}
		}
		name = *n
	}
	ro, _ := parseRole(roleARN)
	s.mu.Lock()
	defer s.mu.Unlock()
	if added, ok := s.roles[roleARN]; ok {
		ro = added
	}
	creds, user := s.issueRoleSession(ro, url.Values{"RoleSessionName": {name}}, duration, expired, false, sessionTokenLen)
	a, _ := arn.Parse(anchorARN)
	return createSessionAnswer(creds, user, roleARN, leaf, a), nil
}

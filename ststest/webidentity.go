package ststest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// AddWebIdentityToken makes AssumeRoleWithWebIdentity accept token. Tokens that were not
// added go to the check of SetWebIdentityTokenCheck, if any, and are otherwise rejected with
// InvalidIdentityToken. A token may be any string of 4 to 20000 bytes; when it is a JWT, such
// as one from NewWebIdentityToken, its iss, sub, aud and exp claims count as on STS.
func (s *Server) AddWebIdentityToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webTokens[token] = true
}

// SetWebIdentityTokenCheck sets check to decide on web identity tokens that were not added
// with AddWebIdentityToken: a nil error accepts the token; an error rejects it with
// InvalidIdentityToken (400), the error's text being the message, so a test can answer as
// STS does ("Incorrect token audience", "No OpenIDConnect provider found in your account for
// https://…"). check runs without any lock of the server held; nil removes it.
func (s *Server) SetWebIdentityTokenCheck(check func(token string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webTokenCheck = check
}

// NewWebIdentityToken returns a JWT shaped like an OpenID Connect ID token, with the claims
// iss, sub and aud, and exp unless expires is zero. Its signature is random: the server does
// not verify signatures, it accepts the tokens given to AddWebIdentityToken or to the check
// of SetWebIdentityTokenCheck. It answers a token whose exp has passed on its clock with
// ExpiredTokenException, and reports sub, aud and iss as SubjectFromWebIdentityToken,
// Audience and Provider.
func NewWebIdentityToken(issuer, subject, audience string, expires time.Time) string {
	c := tokenClaims{Issuer: issuer, Subject: subject, Audience: audience}
	if !expires.IsZero() {
		c.Expires = float64(expires.Unix())
	}
	payload, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("ststest: marshal claims: %v", err)) // strings and an integer; cannot happen
	}
	sig := make([]byte, 256)
	_, _ = rand.Read(sig)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","kid":"ststest","typ":"JWT"}`)) + "." +
		enc.EncodeToString(payload) + "." + enc.EncodeToString(sig)
}

type tokenClaims struct {
	Issuer   string  `json:"iss,omitempty"`
	Subject  string  `json:"sub,omitempty"`
	Audience any     `json:"aud,omitempty"` // a string, or a list of them
	Expires  float64 `json:"exp,omitempty"` // NumericDate: seconds since 1970, maybe fractional
}

// assumeRoleWithWebIdentity issues credentials of a role session to the holder of an
// accepted web identity token; the request needs no signature.
func (s *Server) assumeRoleWithWebIdentity(params url.Values, expired bool) (response, *apiError) {
	var v violations
	v.roleParams(params)
	v.text(params, "WebIdentityToken", true, 4, 20000, nil, "")
	v.text(params, "ProviderId", false, 4, 2048, nil, "")
	if apiErr := v.err(); apiErr != nil {
		return nil, apiErr
	}
	token := params.Get("WebIdentityToken")
	if apiErr := s.checkWebIdentityToken(token); apiErr != nil {
		return nil, apiErr
	}
	claims := parseClaims(token)
	if now, exp := s.now().Unix(), int64(claims.Expires); claims.Expires != 0 && now >= exp {
		return nil, &apiError{http.StatusBadRequest, "ExpiredTokenException",
			fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now, exp)}
	}
	duration := requestedDuration(params, defaultDuration)

	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[params.Get("RoleArn")]
	if !ok || r.requireMFA {
		return nil, &apiError{http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	}
	if apiErr := r.checkDuration(duration); apiErr != nil {
		return nil, apiErr
	}
	creds, user := s.issueRoleSession(r, params, duration, expired, false, sessionTokenLen)
	provider := params.Get("ProviderId")
	if provider == "" {
		provider = claims.Issuer
	}
	return &assumeRoleWithWebIdentityResponse{Result: assumeRoleWithWebIdentityResult{
		SubjectFromWebIdentityToken: claims.Subject,
		Audience:                    audience(claims.Audience),
		AssumedRoleUser:             user,
		Credentials:                 creds,
		Provider:                    provider,
		PackedPolicySize:            packedPolicySize(params),
	}}, nil
}

// checkWebIdentityToken accepts a token that was added, or that the check accepts.
func (s *Server) checkWebIdentityToken(token string) *apiError {
	s.mu.Lock()
	added, check := s.webTokens[token], s.webTokenCheck
	s.mu.Unlock()
	if added {
		return nil
	}
	msg := "The web identity token that was passed could not be validated by AWS. " +
		"Get a new identity token from the identity provider and then retry the request."
	if check != nil {
		err := check(token)
		if err == nil {
			return nil
		}
		msg = err.Error()
	}
	return &apiError{http.StatusBadRequest, "InvalidIdentityToken", msg}
}

// parseClaims returns the claims of a JWT, or none for a token that is not one.
func parseClaims(token string) tokenClaims {
	var c tokenClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return tokenClaims{}
	}
	return c
}

// audience is the aud claim as STS reports it: the audience, or the first of a list.
func audience(aud any) string {
	switch a := aud.(type) {
	case string:
		return a
	case []any:
		if len(a) > 0 {
			s, _ := a[0].(string)
			return s
		}
	}
	return ""
}

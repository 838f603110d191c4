package ststest

import (
	"net/http"
	"net/url"
	"time"
)

// Call is one request the server received, whatever its outcome. It never holds a secret,
// a session token or a signature.
type Call struct {
	Time   time.Time // on this machine's clock, whatever SetClockSkew set
	Action string    // "AssumeRole", "GetSessionToken", or whatever the request asked for

	// AccessKeyID is the key in the request's SigV4 Credential, known to the server or not;
	// "" for an unsigned request, such as AssumeRoleWithWebIdentity from the SDK.
	AccessKeyID string

	// The parameters of AssumeRole, AssumeRoleWithWebIdentity and GetSessionToken, as sent;
	// DurationSeconds is 0 when omitted or not a number. The WebIdentityToken is not kept.
	RoleARN         string
	RoleSessionName string
	DurationSeconds int32
	ExternalID      string
	SerialNumber    string
	TokenCode       string
	SourceIdentity  string
	ProviderID      string

	// Fault and Delay are what Fail, Delay, FailAction or DelayAction injected into this
	// call, if anything.
	Fault FaultKind
	Delay time.Duration

	// ErrorCode is the STS error code the call was answered with; "" means success, or no
	// answer at all for ConnectionReset and for a Delay the client gave up on.
	ErrorCode string
}

// Calls returns a copy of every call received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// answer records the outcome of call id before the client can see it, then writes it.
func (s *Server) answer(w http.ResponseWriter, id int, out response, apiErr *apiError) {
	if apiErr != nil {
		s.mu.Lock()
		s.calls[id].ErrorCode = apiErr.code
		s.mu.Unlock()
		writeError(w, apiErr)
		return
	}
	writeResponse(w, out)
}

func (s *Server) record(c Call) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	return len(s.calls) - 1
}

func newCall(r *http.Request, params url.Values) Call {
	c := Call{
		Time:            time.Now(),
		Action:          params.Get("Action"),
		AccessKeyID:     parseAuthorization(r.Header.Get("Authorization")).accessKeyID,
		RoleARN:         params.Get("RoleArn"),
		RoleSessionName: params.Get("RoleSessionName"),
		ExternalID:      params.Get("ExternalId"),
		SerialNumber:    params.Get("SerialNumber"),
		TokenCode:       params.Get("TokenCode"),
		SourceIdentity:  params.Get("SourceIdentity"),
		ProviderID:      params.Get("ProviderId"),
	}
	if d, ok := durationSeconds(params); ok {
		c.DurationSeconds = d
	}
	return c
}

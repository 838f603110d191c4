package ststest

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"
)

// FaultKind is a way for a call to go wrong, injected with Fail.
type FaultKind int

const (
	// Throttling answers 400 Throttling "Rate exceeded", which the SDK retries with backoff.
	Throttling FaultKind = iota + 1
	// InternalFailure answers 500 InternalFailure, which the SDK retries.
	InternalFailure
	// ServiceUnavailable answers 503 ServiceUnavailable, which the SDK retries.
	ServiceUnavailable
	// MalformedResponse answers 200 with truncated XML, which the SDK cannot deserialize.
	MalformedResponse
	// ConnectionReset resets the TCP connection (SO_LINGER 0) instead of answering.
	ConnectionReset
	// ExpiredCredentials lets a call that issues credentials (AssumeRole,
	// AssumeRoleWithWebIdentity, GetSessionToken) succeed with credentials whose Expiration
	// has passed on the server's clock. Only those calls take it; other calls pass it by.
	ExpiredCredentials
	// EmptyResponse answers 200 with no body at all, as a broken proxy might.
	EmptyResponse
)

func (k FaultKind) String() string {
	switch k {
	case 0:
		return "none"
	case Throttling:
		return "Throttling"
	case InternalFailure:
		return "InternalFailure"
	case ServiceUnavailable:
		return "ServiceUnavailable"
	case MalformedResponse:
		return "MalformedResponse"
	case ConnectionReset:
		return "ConnectionReset"
	case ExpiredCredentials:
		return "ExpiredCredentials"
	case EmptyResponse:
		return "EmptyResponse"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// fault is one injection waiting in the queue, with the number of calls it still applies to.
type fault struct {
	action string // "" for any
	kind   FaultKind
	delay  time.Duration
	left   int
}

// The STS actions the server serves, and those of them that issue credentials.
var (
	credentialActions = []string{"AssumeRole", "AssumeRoleWithWebIdentity", "GetSessionToken", "CreateSession"}
	actions           = append(slices.Clone(credentialActions), "GetCallerIdentity")
)

// Fail makes the next n calls fail with kind, before their signature is checked. Faults queue
// up in the order they are injected: Fail(Throttling, 2) then Fail(InternalFailure, 1)
// throttles two calls and fails the third. It panics on a kind not declared here.
func (s *Server) Fail(kind FaultKind, n int) {
	s.FailAction("", kind, n)
}

// FailAction is Fail for the calls of one action only, such as "GetSessionToken"; calls of
// other actions pass these faults by. action "" means any action, as in Fail. It panics on an
// action the server does not serve.
func (s *Server) FailAction(action string, kind FaultKind, n int) {
	if kind < Throttling || kind > EmptyResponse {
		panic(fmt.Sprintf("ststest: Fail: unknown %v", kind))
	}
	s.inject(fault{action: action, kind: kind, left: n})
}

// Delay holds each of the next n calls for d before serving it normally. A client that gives
// up, or Close, ends the wait early and the connection is reset.
func (s *Server) Delay(d time.Duration, n int) {
	s.DelayAction("", d, n)
}

// DelayAction is Delay for the calls of one action only, as FailAction is for Fail.
func (s *Server) DelayAction(action string, d time.Duration, n int) {
	s.inject(fault{action: action, delay: d, left: n})
}

// Recover drops every fault and delay still queued, so the next call is served normally.
// Calls already being delayed finish their wait.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) inject(f fault) {
	if f.action != "" && !slices.Contains(actions, f.action) {
		panic(fmt.Sprintf("ststest: no fault can apply to %q: the server serves %v", f.action, actions))
	}
	if f.left <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// takeFault removes one use of the first queued fault that applies to action.
func (s *Server) takeFault(action string) fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.action != "" && f.action != action || f.kind == ExpiredCredentials && !slices.Contains(credentialActions, action) {
			continue
		}
		taken := *f
		f.left--
		if f.left == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return taken
	}
	return fault{}
}

func faultError(k FaultKind) *apiError {
	switch k {
	case Throttling:
		return &apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded"}
	case InternalFailure:
		return &apiError{status: http.StatusInternalServerError, code: "InternalFailure",
			message: "The request processing has failed because of an unknown error, exception or failure."}
	default:
		return &apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable",
			message: "The request has failed due to a temporary failure of the server."}
	}
}

// resetConnection takes the connection from net/http and closes it with SO_LINGER 0, so the
// client reads a TCP RST rather than a response or a clean EOF.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// begin records call with the fault queued for its action, and waits out that fault's delay.
// It returns the call's id and fault, and false once it has reset the connection: for a
// ConnectionReset fault, or a client that left during the delay.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, call Call) (int, fault, bool) {
	f := s.takeFault(call.Action)
	call.Fault, call.Delay = f.kind, f.delay
	id := s.record(call)
	if f.delay > 0 {
		if !s.wait(r, f.delay) {
			resetConnection(w)
			return id, f, false
		}
		s.setDate(w)
	}
	if f.kind == ConnectionReset {
		resetConnection(w)
		return id, f, false
	}
	return id, f, true
}

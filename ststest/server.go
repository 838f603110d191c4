package ststest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// The IAM user that owns every access key given to AddUser, as GetCallerIdentity reports it
// and as AccessDenied messages name it.
const (
	Account = "123456789012"
	UserARN = "arn:aws:iam::" + Account + ":user/ststest"
	UserID  = "AIDAQSTSTESTEXAMPLE00"
)

const (
	apiVersion        = "2011-06-15"
	defaultMaxSession = time.Hour
	maxRequestBody    = 1 << 16
)

// Server is a local STS endpoint. Create it with NewServer or NewInMemoryServer and stop it
// with Close. All methods are safe for concurrent use, also while requests are being served.
type Server struct {
	// URL is the base URL of the server for aws.Config.BaseEndpoint: http://127.0.0.1:PORT,
	// or http://ststest.invalid in memory.
	URL string

	hs        *httptest.Server
	client    *http.Client
	done      chan struct{}
	closeOnce sync.Once

	skew      atomic.Int64 // the server's clock minus this machine's, in nanoseconds
	regionOff atomic.Bool  // SetRegionDisabled

	mu            sync.Mutex
	users         map[string]string  // access key ID → secret access key
	roles         map[string]role    // role ARN → role
	sessions      map[string]session // issued access key ID → temporary credentials
	mfaCodes      map[string]string  // MFA device serial number → its current code
	webTokens     map[string]bool    // web identity tokens that AddWebIdentityToken accepted
	webTokenCheck func(token string) error
	faults        []fault
	calls         []Call
	ra            rolesAnywhere // Roles Anywhere's trust anchors and profiles
	limit         rateLimit
}

type role struct {
	arn        string
	account    string
	name       string
	id         string // AROA…
	maxSession time.Duration
	requireMFA bool
}

// NewServer starts a Server on a random port of 127.0.0.1. It has no users and no roles yet.
func NewServer() *Server {
	s := newServer(httptest.NewServer)
	s.URL = s.hs.URL
	s.client = s.hs.Client()
	return s
}

func newServer(start func(http.Handler) *httptest.Server) *Server {
	s := &Server{
		done:      make(chan struct{}),
		users:     make(map[string]string),
		roles:     make(map[string]role),
		sessions:  make(map[string]session),
		mfaCodes:  make(map[string]string),
		webTokens: make(map[string]bool),
	}
	s.hs = start(http.HandlerFunc(s.serveHTTP))
	return s
}

// Client returns an HTTP client that reaches the server, for aws.Config.HTTPClient. It is
// required for NewInMemoryServer; with NewServer any client works.
func (s *Server) Client() *http.Client {
	return s.client
}

// Close stops the server and waits for calls in progress, cutting short any Delay.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.hs.Close()
		s.client.CloseIdleConnections()
	})
}

// AddUser registers a long-term access key of the IAM user UserARN. Requests signed with it
// may assume any role added with AddRole (with MFA, if RequireMFA says so) and call
// GetSessionToken.
func (s *Server) AddUser(accessKeyID, secretAccessKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[accessKeyID] = secretAccessKey
}

// AddRole creates the IAM role roleARN, which any known caller may assume. maxSessionDuration
// is the role's MaxSessionDuration: whole seconds from 1 h to 12 h, or 0 for IAM's default 1 h.
// It panics on a role ARN that IAM would reject or an out-of-range maxSessionDuration.
func (s *Server) AddRole(roleARN string, maxSessionDuration time.Duration) {
	a, err := arn.Parse(roleARN)
	name, ok := strings.CutPrefix(a.Resource, "role/")
	if err != nil || a.Service != "iam" || !ok || name == "" || strings.HasSuffix(name, "/") {
		panic(fmt.Sprintf("ststest: AddRole: %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", roleARN))
	}
	if maxSessionDuration == 0 {
		maxSessionDuration = defaultMaxSession
	}
	if maxSessionDuration < time.Hour || maxSessionDuration > 12*time.Hour || maxSessionDuration%time.Second != 0 {
		panic(fmt.Sprintf("ststest: AddRole: MaxSessionDuration %v is not whole seconds from 1h to 12h", maxSessionDuration))
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	r := role{arn: roleARN, account: a.AccountID, name: name, id: "AROA" + randomID(17), maxSession: maxSessionDuration}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[roleARN] = r
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == rolesAnywherePath {
		s.serveCreateSession(w, r)
		return
	}
	s.setDate(w)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeError(w, errMalformedQuery("the request body could not be read: "+err.Error()))
		return
	}
	params, err := requestParams(r, body)
	if err != nil {
		writeError(w, errMalformedQuery(err.Error()))
		return
	}
	call := newCall(r, params)
	id, f, ok := s.begin(w, r, call)
	if !ok {
		return
	}
	switch f.kind {
	case MalformedResponse:
		writeMalformed(w, call.Action)
		return
	case EmptyResponse:
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	case Throttling, InternalFailure, ServiceUnavailable:
		s.answer(w, id, nil, faultError(f.kind))
		return
	}
	if !s.allow(time.Now()) {
		s.answer(w, id, nil, faultError(Throttling))
		return
	}

	var p principal
	if call.Action != "AssumeRoleWithWebIdentity" || r.Header.Get("Authorization") != "" {
		var apiErr *apiError
		if p, apiErr = s.authenticate(r, body); apiErr != nil {
			s.answer(w, id, nil, apiErr)
			return
		}
	}
	if v := params.Get("Version"); v != apiVersion {
		s.answer(w, id, nil, errInvalidAction(call.Action, v))
		return
	}
	if apiErr := s.regionDisabled(call.Action, p.account); apiErr != nil {
		s.answer(w, id, nil, apiErr)
		return
	}
	expired := f.kind == ExpiredCredentials
	var out response
	var apiErr *apiError
	switch call.Action {
	case "AssumeRole":
		out, apiErr = s.assumeRole(p, params, expired)
	case "AssumeRoleWithWebIdentity":
		out, apiErr = s.assumeRoleWithWebIdentity(params, expired)
	case "GetSessionToken":
		out, apiErr = s.getSessionToken(p, params, expired)
	case "GetCallerIdentity":
		out = getCallerIdentity(p)
	default:
		apiErr = errInvalidAction(call.Action, apiVersion)
	}
	s.answer(w, id, out, apiErr)
}

// wait sleeps for d and reports whether it did, rather than the client leaving or the server
// closing first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// requestParams returns the query-protocol parameters: the form body of a POST, or the query
// string of a GET, which the SDK can also send.
func requestParams(r *http.Request, body []byte) (url.Values, error) {
	switch r.Method {
	case http.MethodPost:
		return url.ParseQuery(string(body))
	case http.MethodGet:
		return url.ParseQuery(r.URL.RawQuery)
	}
	return nil, fmt.Errorf("method %s is not supported", r.Method)
}

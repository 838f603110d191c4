package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/aws/smithy-go"
	"github.com/awssts/awssts"
)

// credentialsPath is where the endpoint answers; every other path is refused.
const credentialsPath = "/credentials"

// credentialServer serves the Provider's credentials in the container-credentials protocol,
// on a loopback address only, to requests that carry its random token.
type credentialServer struct {
	srv   *http.Server
	url   string
	token string
}

// serveCredentials listens on addr, which the caller has checked is loopback, with a new token.
func serveCredentials(p *awssts.Provider, addr string) (*credentialServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return serveOn(ln, p, newToken()), nil
}

func newToken() string {
	secret := make([]byte, 32) // 256 bits
	rand.Read(secret)
	return hex.EncodeToString(secret)
}

func serveOn(ln net.Listener, p *awssts.Provider, token string) *credentialServer {
	s := &credentialServer{url: "http://" + ln.Addr().String() + credentialsPath, token: token}
	s.srv = &http.Server{Handler: credentialHandler(p, token), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s
}

// env is the two variables that point an SDK at the server.
func (s *credentialServer) env() []string {
	return []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + s.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN=" + s.token}
}

func (s *credentialServer) Close() error { return s.srv.Close() }

// Shutdown stops accepting requests and waits up to five seconds for those in progress.
func (s *credentialServer) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// containerCredentials is the body the SDKs' container providers read.
type containerCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	Expiration      string
	AccountID       string `json:"AccountId,omitempty"`
}

// credentialHandler answers GET credentialsPath with the current credentials. A missing token
// is 401, a wrong one 403; the comparison takes the same time wherever the tokens differ.
func credentialHandler(p *awssts.Provider, token string) http.Handler {
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case r.URL.Path != credentialsPath:
			writeError(w, http.StatusNotFound, "NotFound", "no such path")
			return
		case r.Method != http.MethodGet:
			w.Header().Set("Allow", http.MethodGet)
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only GET is allowed")
			return
		case r.Header.Get("Authorization") == "":
			writeError(w, http.StatusUnauthorized, "Unauthorized", "the Authorization header is missing")
			return
		case subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1:
			writeError(w, http.StatusForbidden, "Forbidden", "the Authorization token is wrong")
			return
		}
		creds, err := p.Retrieve(r.Context())
		if err != nil {
			code := "AssumeRoleFailed"
			if apiErr := smithy.APIError(nil); errors.As(err, &apiErr) {
				code = apiErr.ErrorCode()
			}
			writeError(w, http.StatusBadGateway, code, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(containerCredentials{
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, Token: creds.SessionToken,
			Expiration: realExpiry(p, creds).UTC().Format(time.RFC3339), AccountID: creds.AccountID,
		})
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

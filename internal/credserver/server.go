package credserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
)

// Paths the server answers; every other path is 404.
const (
	CredentialsPath = "/credentials"
	HealthPath      = "/healthz"
)

// Provider is what the server serves: an *awssts.Provider.
type Provider interface {
	Retrieve(ctx context.Context) (aws.Credentials, error)
	Stats() awssts.Stats
}

// Options tune the server; the zero value means the defaults.
type Options struct {
	IdleTimeout time.Duration // keep-alive connections idle this long are closed; 0 = 30 s
	MaxConns    int           // connections held at once; 0 = 64
}

// Server is a running endpoint.
type Server struct {
	srv   *http.Server
	url   string
	token string
}

// Listen listens on addr and refuses, after binding, an address that is not loopback: the
// SDKs take credentials over plain HTTP only from there, and anywhere else the token would
// cross a network in clear.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := CheckLoopback(ln); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// CheckLoopback refuses a listener bound to anything but a loopback IP address.
func CheckLoopback(ln net.Listener) error {
	a, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !a.IP.IsLoopback() {
		return fmt.Errorf("the endpoint is bound to %s, which is not a loopback address; the SDKs fetch credentials over plain HTTP only from loopback (127.0.0.1, ::1)", ln.Addr())
	}
	return nil
}

// NewToken is a new random token of 256 bits.
func NewToken() string {
	secret := make([]byte, 32)
	rand.Read(secret)
	return hex.EncodeToString(secret)
}

// URL is the credentials URL of a server on ln.
func URL(ln net.Listener) string { return "http://" + ln.Addr().String() + CredentialsPath }

// Env is the two variables that point an SDK at a server of url and token.
func Env(url, token string) []string {
	return []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + url, "AWS_CONTAINER_AUTHORIZATION_TOKEN=" + token}
}

// Serve serves p on ln with token until Close or Shutdown.
func Serve(ln net.Listener, p Provider, token string, opts Options) *Server {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 64
	}
	conns := newTracker(opts.MaxConns)
	s := &Server{url: URL(ln), token: token}
	s.srv = &http.Server{
		Handler:           handler(p, token),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      time.Minute + 10*time.Second, // a Retrieve is bounded at a minute
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    8 << 10,
		ConnState:         conns.update,
	}
	go s.srv.Serve(ln)
	return s
}

// Env is the two variables that point an SDK at s.
func (s *Server) Env() []string { return Env(s.url, s.token) }

func (s *Server) Close() error { return s.srv.Close() }

// Shutdown stops accepting requests and waits up to five seconds for those in progress.
func (s *Server) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

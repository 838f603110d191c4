package ststest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
)

// pipeHost is the URL host of an in-memory server: a reserved name that no DNS resolves, so
// a client that does not use Server.Client fails at once instead of reaching a real host.
const pipeHost = "ststest.invalid"

// NewInMemoryServer starts a Server that exchanges HTTP over in-memory pipes (net.Pipe)
// instead of TCP, for tests inside a testing/synctest bubble: a bubble's fake clock only
// advances while every goroutine waits on something in the bubble, which a TCP socket is not.
// Create it inside the bubble, reach it only through Client, and Close it before the bubble
// ends. Its URL is http://ststest.invalid. ConnectionReset closes the pipe, so the client
// reads an unexpected EOF rather than a TCP reset.
func NewInMemoryServer() *Server {
	l := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	s := newServer(func(h http.Handler) *httptest.Server {
		hs := httptest.NewUnstartedServer(h)
		hs.Listener = l
		hs.Start()
		return hs
	})
	s.URL = "http://" + pipeHost
	s.client = &http.Client{Transport: &http.Transport{DialContext: l.dial}}
	return s
}

// pipeListener accepts the server ends of the pipes that dial creates.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		err := &net.OpError{Op: "dial", Net: network, Addr: pipeAddr{}, Err: net.ErrClosed}
		_, _ = client.Close(), server.Close()
		return nil, err
	case <-ctx.Done():
		_, _ = client.Close(), server.Close()
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return pipeHost + ":80" }

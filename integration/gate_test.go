package integration

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// gate is a reverse proxy in front of a peer. It records the access key IDs that keysIn finds
// in the peer's answers, so a test sees every call that reached the peer and what it returned,
// and closing it is an outage of the peer as its clients see one: connections are refused.
type gate struct {
	srv *httptest.Server

	mu   sync.Mutex
	keys []string
}

func newGate(t *testing.T, target string, keysIn func(body []byte) []string) *gate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if keys := keysIn(body); len(keys) > 0 {
			g.mu.Lock()
			g.keys = append(g.keys, keys...)
			g.mu.Unlock()
		}
		return nil
	}
	g.srv = httptest.NewServer(proxy)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gate) URL() string { return g.srv.URL }

// close cuts the peer off; it is safe to call again.
func (g *gate) close() { g.srv.Close() }

func (g *gate) issued() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.keys...)
}

package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// stsProxy stands in front of an STS endpoint, such as moto_server, that keeps no record of
// its calls: it counts the AssumeRole calls that pass, and answers those past allow with a
// 500 when allow is not negative.
type stsProxy struct {
	URL   string
	mu    sync.Mutex
	n     int
	allow int
	delay time.Duration // added to each AssumeRole
}

func newSTSProxy(t *testing.T, target string, allow int) *stsProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &stsProxy{allow: allow}
	forward := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), "Action=AssumeRole&") {
			p.mu.Lock()
			p.n++
			over, delay := p.allow >= 0 && p.n > p.allow, p.delay
			p.mu.Unlock()
			time.Sleep(delay) // a slow STS, so that processes started together overlap
			if over {
				http.Error(w, "<ErrorResponse><Error><Code>InternalFailure</Code><Message>the proxy refuses</Message></Error></ErrorResponse>", http.StatusInternalServerError)
				return
			}
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// slow makes each AssumeRole take d longer.
func (p *stsProxy) slow(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// assumeRoles is how many AssumeRole calls came through, refused ones included.
func (p *stsProxy) assumeRoles() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

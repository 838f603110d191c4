package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// endpoint is a container credentials endpoint, as ECS and EKS Pod Identity run one for each
// task or pod, in process. Each request that carries its token gets new keys for an hour.
type endpoint struct {
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	requests int
}

func startEndpoint() *endpoint {
	e := &endpoint{token: random(24)}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	return e
}

func (e *endpoint) URL() string { return e.srv.URL + "/credentials" }

func (e *endpoint) Close() { e.srv.Close() }

// Requests is how many requests for credentials the endpoint has answered.
func (e *endpoint) Requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

func (e *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/credentials" || subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(e.token)) != 1 {
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]string{"code": "Forbidden", "message": "wrong path or token"})
		return
	}
	e.mu.Lock()
	e.requests++
	n := e.requests
	e.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{
		"AccessKeyId":     fmt.Sprintf("ASIAWRAPDEMO%08d", n),
		"SecretAccessKey": random(30),
		"Token":           random(96),
		"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

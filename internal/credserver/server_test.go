package credserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/goleak"

	"github.com/awssts/awssts"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeProvider holds one set of credentials, or none, and counts Retrieve calls.
type fakeProvider struct {
	mu      sync.Mutex
	creds   aws.Credentials // Expires is when caches should ask again
	real    time.Time       // the real expiry that Stats reports
	refused bool            // the source refused: Retrieve fails although credentials are held
	calls   int
}

func held(left time.Duration) *fakeProvider {
	real := time.Now().Add(left)
	return &fakeProvider{creds: aws.Credentials{AccessKeyID: "ASIAFAKE", SecretAccessKey: "secret", SessionToken: "token",
		CanExpire: true, Expires: real.Add(-10 * time.Minute), AccountID: "123456789012"}, real: real}
}

// refused is f after the source refused a renewal past the credentials' refresh time: they
// are held, with an hour left, but no longer served.
func refused(f *fakeProvider) *fakeProvider {
	f.refused = true
	return f
}

func (f *fakeProvider) Retrieve(context.Context) (aws.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.creds.AccessKeyID == "" || f.refused {
		return aws.Credentials{}, errors.New("no credentials")
	}
	return f.creds, nil
}

func (f *fakeProvider) Stats() awssts.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	usable := f.creds.AccessKeyID != "" && !f.refused && time.Until(f.real) > time.Minute
	return awssts.Stats{AccessKeyID: f.creds.AccessKeyID, Expiration: f.real, Usable: usable}
}

func get(h http.Handler, method, path, auth string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandler_RefusesWithoutTheToken_AndOtherPathsOrMethods(t *testing.T) {
	h := handler(held(time.Hour), "right-token")
	for _, tc := range []struct {
		method, path, auth string
		want               int
	}{
		{"GET", CredentialsPath, "", http.StatusUnauthorized},
		{"GET", CredentialsPath, "wrong-token", http.StatusForbidden},
		{"GET", CredentialsPath, "right-token-and-more", http.StatusForbidden},
		{"GET", "/other", "right-token", http.StatusNotFound},
		{"POST", CredentialsPath, "right-token", http.StatusMethodNotAllowed},
		{"POST", HealthPath, "", http.StatusMethodNotAllowed},
		{"GET", CredentialsPath, "right-token", http.StatusOK},
	} {
		if w := get(h, tc.method, tc.path, tc.auth); w.Code != tc.want {
			t.Errorf("%s %s with %q: %d, want %d", tc.method, tc.path, tc.auth, w.Code, tc.want)
		}
	}
}

// The body is what the SDKs read, with the real expiry rather than Retrieve's.
func TestHandler_Body_RealExpiry(t *testing.T) {
	p := held(time.Hour)
	w := get(handler(p, "tok"), "GET", CredentialsPath, "tok")
	var c containerCredentials
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &c) != nil {
		t.Fatalf("status %d, body %q", w.Code, w.Body.String())
	}
	if c.AccessKeyID != "ASIAFAKE" || c.SecretAccessKey != "secret" || c.Token != "token" || c.AccountID != "123456789012" ||
		c.Expiration != p.real.UTC().Format(time.RFC3339) {
		t.Errorf("body %+v, want the credentials with Expiration %s", c, p.real.UTC().Format(time.RFC3339))
	}
}

// /healthz needs no token, makes no call, and says 200 with the remaining seconds while
// usable credentials are held, else 503; the body is the number and nothing else.
func TestHealthz(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *fakeProvider
		code int
		lo   int64
		hi   int64
	}{
		{"held", held(time.Hour), http.StatusOK, 3590, 3600},
		{"none yet", &fakeProvider{}, http.StatusServiceUnavailable, 0, 0},
		{"under a minute left", held(30 * time.Second), http.StatusServiceUnavailable, 20, 30},
		{"expired", held(-time.Minute), http.StatusServiceUnavailable, 0, 0},
		{"refused", refused(held(time.Hour)), http.StatusServiceUnavailable, 3590, 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(handler(tc.p, "tok"), "GET", HealthPath, "")
			body := w.Body.String()
			n, err := strconv.ParseInt(body, 10, 64)
			if w.Code != tc.code || err != nil || n < tc.lo || n > tc.hi || !regexp.MustCompile(`^[0-9]+$`).MatchString(body) {
				t.Errorf("%d %q, want %d and %d..%d seconds alone", w.Code, body, tc.code, tc.lo, tc.hi)
			}
			if tc.p.calls != 0 {
				t.Errorf("%d Retrieve calls, want none", tc.p.calls)
			}
		})
	}
}

func TestListen_LoopbackOnlyAfterBinding(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if ln, err := Listen("0.0.0.0:0"); err == nil {
		ln.Close()
		t.Error("Listen on 0.0.0.0 succeeded, want a refusal of the bound address")
	}
	any, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer any.Close()
	if err := CheckLoopback(any); err == nil {
		t.Errorf("CheckLoopback(%s) passed", any.Addr())
	}
}

// 1,100 idle connections, half after an unauthenticated request and half silent, do not
// keep the token holder out, and the server closes all but MaxConns of them.
func TestServer_IdleConnectionsCannotLockOutTheTokenHolder(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const maxConns, idle = 32, 1100
	srv := Serve(ln, held(time.Hour), "tok", Options{MaxConns: maxConns, IdleTimeout: time.Hour})
	defer srv.Close()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range idle {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if i%2 == 0 {
			io.WriteString(c, "GET /credentials HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil {
				resp.Body.Close()
			}
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("GET", URL(ln), nil)
	req.Header.Set("Authorization", "tok")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the token holder's request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the token holder got %d", resp.StatusCode)
	}

	deadline := time.Now().Add(5 * time.Second)
	var closed sync.WaitGroup
	var mu sync.Mutex
	open := 0
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		closed.Go(func() {
			_, err := io.Copy(io.Discard, c)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				mu.Lock()
				open++
				mu.Unlock()
			}
		})
	}
	closed.Wait()
	if open > maxConns {
		t.Errorf("the server holds %d of %d idle connections open, want at most %d", open, idle, maxConns)
	}
}

// An idle keep-alive connection is closed after IdleTimeout.
func TestServer_IdleTimeout(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := Serve(ln, held(time.Hour), "tok", Options{IdleTimeout: 50 * time.Millisecond})
	defer srv.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: %v, want EOF once the idle timeout passed", err)
	}
}

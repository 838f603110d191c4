package ststest_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	anchorARN  = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/t1"
	profileARN = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p1"
	raRoleARN  = "arn:aws:iam::123456789012:role/onprem"
)

// tamper is a transport that changes a signed request before it leaves.
type tamper struct {
	next   http.RoundTripper
	change func(*http.Request)
	seen   http.Header // of the last request, as sent
	status int
	body   []byte
}

func (tp *tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	tp.change(r)
	tp.seen = r.Header.Clone()
	resp, err := tp.next.RoundTrip(r)
	if err == nil {
		tp.status = resp.StatusCode
		tp.body, _ = io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(tp.body))
	}
	return resp, err
}

// A request that awssts signed passes; changed after signing in any signed part, it does not.
func TestCreateSession_VerifiesTheSignature(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	ca := ststest.IssueCertificate("ca", caKey.Public(), nil, caKey, true, now.Add(-time.Hour), now.Add(time.Hour))
	leaf := ststest.IssueCertificate("leaf", key.Public(), ca, caKey, false, now.Add(-time.Hour), now.Add(time.Hour))
	other := ststest.IssueCertificate("other", key.Public(), ca, caKey, false, now.Add(-time.Hour), now.Add(time.Hour))
	srv.AddTrustAnchor(anchorARN, ca)
	srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: profileARN, RoleARNs: []string{raRoleARN}, AcceptRoleSessionName: true})

	for _, c := range []struct {
		name, code string
		change     func(*http.Request)
	}{
		{"untouched", "", func(*http.Request) {}},
		{"body", "InvalidSignatureException", func(r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			b = bytes.Replace(b, []byte(`"durationSeconds":`), []byte(`"durationSeconds":1`), 1) // another duration, whatever the build's default
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}},
		{"query", "InvalidSignatureException", func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "onprem", "admin", 1)
		}},
		{"signature", "InvalidSignatureException", func(r *http.Request) {
			h := r.Header.Get("Authorization")
			last := h[len(h)-1]
			flip := map[byte]byte{'0': '1'}[last]
			if flip == 0 {
				flip = '0'
			}
			r.Header.Set("Authorization", h[:len(h)-1]+string(flip))
		}},
		{"another certificate of the same key", "InvalidSignatureException", func(r *http.Request) {
			r.Header.Set("X-Amz-X509", base64Std(other.Raw))
		}},
		{"x-amz-x509 not signed", "IncompleteSignatureException", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-x509", "", 1))
		}},
		{"HMAC signing", "IncompleteSignatureException", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-X509-ECDSA-SHA256", "AWS4-HMAC-SHA256", 1))
		}},
		{"unsigned", "MissingAuthenticationTokenException", func(r *http.Request) { r.Header.Del("Authorization") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := &tamper{next: srv.Client().Transport, change: c.change}
			p, err := awssts.NewRolesAnywhere(leaf, key, anchorARN, profileARN, raRoleARN, func(o *awssts.RolesAnywhereOptions) {
				o.BaseEndpoint, o.HTTPClient = srv.URL, &http.Client{Transport: tp}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			_, err = p.Retrieve(context.Background())
			calls := srv.Calls()
			got := calls[len(calls)-1].ErrorCode
			if got != c.code || (err == nil) != (c.code == "") {
				t.Fatalf("answered %q (Retrieve: %v), want %q", got, err, c.code)
			}
			if c.code == "" {
				if tp.status != http.StatusCreated || !strings.Contains(tp.seen.Get("Authorization"), "SignedHeaders=content-type;host;x-amz-date;x-amz-x509,") {
					t.Errorf("status %d, Authorization %q: want 201 and the signed headers of the service", tp.status, tp.seen.Get("Authorization"))
				}
				return
			}
			var doc struct{ Type, Message string }
			_ = json.Unmarshal(tp.body, &struct {
				Type    *string `json:"__type"`
				Message *string `json:"message"`
			}{&doc.Type, &doc.Message})
			if doc.Type != c.code || doc.Message == "" {
				t.Errorf("body %s: want __type %q and a message", tp.body, c.code)
			}
		})
	}
}

// Faults answer in the REST-JSON shape, with the code in X-Amzn-Errortype and __type.
func TestCreateSession_FaultsAreRESTJSON(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	for kind, want := range map[ststest.FaultKind]struct {
		status int
		code   string
	}{
		ststest.Throttling:         {429, "ThrottlingException"},
		ststest.InternalFailure:    {500, "InternalServerException"},
		ststest.ServiceUnavailable: {503, "ServiceUnavailableException"},
	} {
		srv.FailAction("CreateSession", kind, 1)
		resp, err := srv.Client().Post(srv.URL+"/sessions?roleArn="+raRoleARN, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want.status || resp.Header.Get("X-Amzn-Errortype") != want.code || !strings.Contains(string(body), `"__type":"`+want.code+`"`) {
			t.Errorf("%v: %d %q %s, want %d %s", kind, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body, want.status, want.code)
		}
	}
	if n := len(srv.Calls()); n != 3 || srv.Calls()[0].Action != "CreateSession" || srv.Calls()[0].RoleARN != raRoleARN {
		t.Errorf("calls %+v, want 3 CreateSession calls recorded with their role", srv.Calls())
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/awssts/awssts"
)

// fakeSTS issues numbered credentials that live for the requested duration.
type fakeSTS struct {
	mu sync.Mutex
	n  int
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	exp := time.Now().Add(time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second)
	return &sts.AssumeRoleOutput{
		Credentials: &types.Credentials{AccessKeyId: aws.String(fmt.Sprintf("ASIAFAKE%012d", n)), SecretAccessKey: aws.String("secret"),
			SessionToken: aws.String("token"), Expiration: &exp},
		AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/demo/s")},
	}, nil
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

func TestServe_RefusesWithoutTheToken_AndOtherPathsOrMethods(t *testing.T) {
	p, err := awssts.New(&fakeSTS{}, roleARN)
	if err != nil {
		t.Fatal(err)
	}
	h := credentialHandler(p, "right-token")
	for _, tc := range []struct {
		method, path, auth string
		want               int
	}{
		{"GET", credentialsPath, "", http.StatusUnauthorized},
		{"GET", credentialsPath, "wrong-token", http.StatusForbidden},
		{"GET", credentialsPath, "right-token-and-more", http.StatusForbidden},
		{"GET", "/other", "right-token", http.StatusNotFound},
		{"POST", credentialsPath, "right-token", http.StatusMethodNotAllowed},
		{"GET", credentialsPath, "right-token", http.StatusOK},
	} {
		if w := get(h, tc.method, tc.path, tc.auth); w.Code != tc.want {
			t.Errorf("%s %s with %q: %d, want %d", tc.method, tc.path, tc.auth, w.Code, tc.want)
		}
	}
}

// The endpoint serves the body SDKs expect, with the real expiry, and after a prefetch the
// new credentials.
func TestServe_BodyAndRefreshWhileServing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := awssts.New(&fakeSTS{}, roleARN, func(o *awssts.Options) { o.Prefetch = true })
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		h := credentialHandler(p, "tok")
		first := decode(t, get(h, "GET", credentialsPath, "tok"))
		if first.AccessKeyID != "ASIAFAKE000000000001" || first.SecretAccessKey != "secret" || first.Token != "token" || first.AccountID != "123456789012" {
			t.Errorf("body %+v", first)
		}
		if want := time.Now().Add(awssts.DefaultDuration).UTC().Format(time.RFC3339); first.Expiration != want {
			t.Errorf("Expiration %s, want the real expiry %s", first.Expiration, want)
		}
		time.Sleep(awssts.DefaultDuration - awssts.DefaultExpiryWindow)
		if second := decode(t, get(h, "GET", credentialsPath, "tok")); second.AccessKeyID != "ASIAFAKE000000000002" || second.Expiration <= first.Expiration {
			t.Errorf("after one session: %+v, want the prefetched second credentials", second)
		}
	})
}

func decode(t *testing.T, w *httptest.ResponseRecorder) containerCredentials {
	t.Helper()
	var c containerCredentials
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &c) != nil {
		t.Fatalf("status %d, body %q", w.Code, w.Body.String())
	}
	return c
}

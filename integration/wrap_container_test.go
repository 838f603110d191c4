package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

const containerAccount = "444455556666"

// containerEndpoint is a container credentials endpoint, as ECS and EKS Pod Identity run one,
// in the protocol of the SDK's endpointcreds provider. Every request with the token gets new
// keys that expire life later.
type containerEndpoint struct {
	srv   *httptest.Server
	token string
	life  time.Duration

	mu   sync.Mutex
	keys []string
}

func newContainerEndpoint(t *testing.T, life time.Duration) *containerEndpoint {
	t.Helper()
	e := &containerEndpoint{token: randomHex(16), life: life}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *containerEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/credentials" || r.Header.Get("Authorization") != e.token {
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]string{"code": "Forbidden", "message": "wrong path or token"})
		return
	}
	e.mu.Lock()
	key := fmt.Sprintf("ASIACONTAINER%07d", len(e.keys)+1)
	e.keys = append(e.keys, key)
	e.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]string{
		"AccessKeyId": key, "SecretAccessKey": randomHex(20), "Token": randomHex(32),
		"Expiration": time.Now().Add(e.life).UTC().Format(time.RFC3339), "AccountId": containerAccount,
	})
}

// env points the SDK's default chain at the endpoint, as ECS and EKS do.
func (e *containerEndpoint) env() map[string]string {
	return map[string]string{
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": e.srv.URL + "/credentials",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":  e.token,
	}
}

func (e *containerEndpoint) issued() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.keys...)
}

// The SDK's cache for container endpoints subtracts 5 minutes from every expiry before Wrap
// sees it, which would make the short-lived credentials of these tests look expired; an
// ExpiryWindow of 0 hands Wrap the expiry the endpoint wrote. TestWrapContainerEndpoint_Recipe
// uses the chain as it comes.
var noSDKExpiryWindow = config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 0 })

// TestWrapContainerEndpoint_RenewalsReachTheEndpoint: the default chain finds the endpoint
// through AWS_CONTAINER_CREDENTIALS_FULL_URI, and each of Wrap's renewals is a request to it
// that brings new keys, on demand and from the prefetch goroutine.
func TestWrapContainerEndpoint_RenewalsReachTheEndpoint(t *testing.T) {
	ctx := testContext(t)
	e := newContainerEndpoint(t, shortLife)
	cfg := defaultChain(ctx, t, e.env(), noSDKExpiryWindow)
	p := wrapChain(t, &cfg)
	checkRenewals(ctx, t, cfg, p, e, endpointcreds.ProviderName, aws.CredentialSourceHTTP)
}

// TestWrapContainerEndpoint_Recipe runs the README's recipe unchanged against an endpoint that
// serves 6-hour credentials, as ECS does: 100 goroutines share one request, the credentials
// carry the endpoint's account, and Invalidate reaches the endpoint through the SDK's cache.
func TestWrapContainerEndpoint_Recipe(t *testing.T) {
	ctx := testContext(t)
	e := newContainerEndpoint(t, 6*time.Hour)
	cfg := defaultChain(ctx, t, e.env())
	p := wrapChain(t, &cfg, withPrefetch)

	keys := make([]string, 100)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			c, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				t.Errorf("Retrieve: %v", err)
			}
			keys[i] = c.AccessKeyID
		})
	}
	wg.Wait()
	issued := e.issued()
	if len(issued) != 1 {
		t.Fatalf("100 goroutines made %d requests to the endpoint, want 1", len(issued))
	}
	for _, k := range keys {
		if k != issued[0] {
			t.Fatalf("a goroutine got %q, want the endpoint's %s", k, issued[0])
		}
	}

	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccountID != containerAccount || c.Source != endpointcreds.ProviderName {
		t.Errorf("credentials of account %q from %q, want %q from %q", c.AccountID, c.Source, containerAccount, endpointcreds.ProviderName)
	}
	if !slices.Contains(p.ProviderSources(), aws.CredentialSourceHTTP) {
		t.Errorf("ProviderSources = %v, want the container endpoint's %v", p.ProviderSources(), aws.CredentialSourceHTTP)
	}
	if st := p.Stats(); st.NextPrefetch.IsZero() || !st.NextPrefetch.Before(st.Expiration) {
		t.Errorf("Stats = %+v, want a prefetch scheduled before the expiry", st)
	}

	p.Invalidate()
	c, err = cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve after Invalidate: %v", err)
	}
	if issued := e.issued(); len(issued) != 2 || c.AccessKeyID != issued[1] {
		t.Errorf("after Invalidate, Retrieve returned %s; the endpoint gave %s; want a second request and its key", c.AccessKeyID, answers(issued))
	}
}

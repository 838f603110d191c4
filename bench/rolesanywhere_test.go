package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	raAnchor  = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/bench"
	raProfile = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/bench"
)

// raIdentity is a certificate that ststest's trust anchor trusts, with its key.
type raIdentity struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// raContender is one way to get credentials from Roles Anywhere.
type raContender struct {
	name string
	open func(testing.TB, raIdentity, *ststest.Server, *http.Client) aws.CredentialsProvider
}

func (c raContender) label() string { return c.name }

func raOurs(prefetch bool) func(testing.TB, raIdentity, *ststest.Server, *http.Client) aws.CredentialsProvider {
	return func(tb testing.TB, id raIdentity, srv *ststest.Server, client *http.Client) aws.CredentialsProvider {
		p, err := awssts.NewRolesAnywhere(id.cert, id.key, raAnchor, raProfile, roleARN, raOptions(srv, client, prefetch))
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
}

func raOptions(srv *ststest.Server, client *http.Client, prefetch bool) func(*awssts.RolesAnywhereOptions) {
	return func(o *awssts.RolesAnywhereOptions) {
		o.BaseEndpoint, o.HTTPClient = srv.URL, client
		o.Duration, o.ExpiryWindow, o.Prefetch = time.Hour, 10*time.Minute, prefetch
	}
}

// raAnchorContender is what `credential_process = aws_signing_helper credential-process …`
// gives an SDK: its aws.CredentialsCache (ExpiryWindow 10 min) runs the helper at each miss, a
// new process that signs one CreateSession (with its SDK's retries) and keeps nothing. Here a
// new awssts Provider per miss stands in for the new process.
var raAnchorContender = raContender{"anchor", func(tb testing.TB, id raIdentity, srv *ststest.Server, client *http.Client) aws.CredentialsProvider {
	process := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		p, err := awssts.NewRolesAnywhere(id.cert, id.key, raAnchor, raProfile, roleARN, raOptions(srv, client, false))
		if err != nil {
			return aws.Credentials{}, err
		}
		defer p.Close()
		c, err := p.Retrieve(ctx)
		if err == nil {
			c.Expires = p.Stats().Expiration // the real expiry, as credential_process prints it
		}
		return c, err
	})
	return aws.NewCredentialsCache(process, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 10 * time.Minute })
}}

var raEveryone = []raContender{{prefetch.name, raOurs(true)}, {onDemand.name, raOurs(false)}, raAnchorContender}

// raRequests counts the CreateSession requests that leave a client, and the operations among
// them: the SDK's retryer marks each request with its attempt in Amz-Sdk-Request.
type raRequests struct {
	next http.RoundTripper
	mu   sync.Mutex
	ops  []time.Time // when each operation's first attempt left
	reqs []time.Time
}

func (a *raRequests) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	now := time.Now()
	a.reqs = append(a.reqs, now)
	if strings.HasPrefix(r.Header.Get("Amz-Sdk-Request"), "attempt=1;") {
		a.ops = append(a.ops, now)
	}
	a.mu.Unlock()
	return a.next.RoundTrip(r)
}

// before counts the operations and requests that left before t.
func (a *raRequests) before(t time.Time) (ops, reqs int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, at := range a.ops {
		if at.Before(t) {
			ops++
		}
	}
	for _, at := range a.reqs {
		if at.Before(t) {
			reqs++
		}
	}
	return ops, reqs
}

// Row 7b: row 7 for Roles Anywhere. Nothing was ever issued, and CreateSession answers 503
// ServiceUnavailable for 10 minutes while 50 callers a second ask, spread over each second;
// then the service recovers. The requests go through the SDK's HTTP stack to ststest in memory,
// whose emulator verifies each signature and certificate chain.
func TestRolesAnywhereLongOutage(t *testing.T) {
	forEach(t, raEveryone, func(t *testing.T, c raContender) {
		caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		from, to := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		ca := ststest.IssueCertificate("bench CA", caKey.Public(), nil, caKey, true, from, to)
		id := raIdentity{ststest.IssueCertificate("bench host", key.Public(), ca, caKey, false, from, to), key}
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddTrustAnchor(raAnchor, ca)
		srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: raProfile, RoleARNs: []string{roleARN}, AcceptRoleSessionName: true})
		srv.FailAction("CreateSession", ststest.ServiceUnavailable, 1<<30)
		counter := &raRequests{next: srv.Client().Transport}
		p := c.open(t, id, srv, &http.Client{Transport: counter})

		recovered := time.Now().Add(longOutage)
		done := make(chan spreadResult)
		go func() { done <- callSpread(p, 50, recovered, recovered.Add(2*maxRecovery)) }()
		time.Sleep(time.Until(recovered))
		srv.Recover()
		got := <-done
		shut(p)
		ops, reqs := counter.before(recovered)
		recovery := got.firstOK.Sub(recovered)
		if got.firstOK.IsZero() {
			recovery = -time.Millisecond // reported as "none"
		}
		report(t, Result{Row: "ra-long-outage", Case: c.name, Calls: ops, Requests: reqs, Retrieves: got.retrieves,
			Waited: got.waited, WorstMS: ms(got.worst), Errors: got.errors, RecoveryMS: ms(recovery)})

		switch {
		case c.name == raAnchorContender.name && ops < 1000:
			t.Errorf("anchor: %d CreateSession calls in the outage, expected about one per cache miss", ops)
		case c.name != raAnchorContender.name && (ops > longOutageCalls || recovery < 0 || recovery > maxRecovery):
			t.Errorf("%d CreateSession calls (%d requests) in a %v outage, first credentials %v after recovery; want at most %d calls and within %v",
				ops, reqs, longOutage, recovery, longOutageCalls, maxRecovery)
		}
	})
}

package awssts_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	raAnchor  = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/a1b2c3d4-0000-4000-8000-000000000001"
	raProfile = "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/a1b2c3d4-0000-4000-8000-000000000002"
	raRole    = "arn:aws:iam::123456789012:role/onprem"
)

// pki is a trust anchor's CA, maybe an intermediate, and a leaf certificate with its key.
type pki struct {
	ca, intermediate, leaf *x509.Certificate
	caKey, key             crypto.Signer
}

func newKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "RSA":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "P-256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		t.Fatalf("no key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newPKI issues a CA and a leaf with a key of kind, through an intermediate if asked.
func newPKI(t testing.TB, kind string, intermediate bool) pki {
	t.Helper()
	from, to := time.Now().Add(-time.Hour), time.Now().Add(48*time.Hour)
	var p pki
	p.caKey = newKey(t, "P-256")
	p.ca = ststest.IssueCertificate("ststest root CA", p.caKey.Public(), nil, p.caKey, true, from, to)
	issuer, issuerKey := p.ca, p.caKey
	if intermediate {
		k := newKey(t, "P-384")
		p.intermediate = ststest.IssueCertificate("ststest intermediate CA", k.Public(), p.ca, p.caKey, true, from, to)
		issuer, issuerKey = p.intermediate, k
	}
	p.key = newKey(t, kind)
	p.leaf = ststest.IssueCertificate("host-1.example.com", p.key.Public(), issuer, issuerKey, false, from, to)
	return p
}

func (p pki) chain() []*x509.Certificate {
	if p.intermediate == nil {
		return nil
	}
	return []*x509.Certificate{p.intermediate}
}

// raServer is a server that trusts p's CA under raAnchor and lets raProfile assume raRole.
func raServer(t testing.TB, srv *ststest.Server, p pki) {
	srv.AddTrustAnchor(raAnchor, p.ca)
	srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: raProfile, RoleARNs: []string{raRole}, AcceptRoleSessionName: true})
}

// raProvider is NewRolesAnywhere for p against srv.
func raProvider(t testing.TB, srv *ststest.Server, p pki, optFns ...func(*awssts.RolesAnywhereOptions)) *awssts.Provider {
	t.Helper()
	fns := append([]func(*awssts.RolesAnywhereOptions){func(o *awssts.RolesAnywhereOptions) {
		o.Chain, o.BaseEndpoint, o.HTTPClient = p.chain(), srv.URL, srv.Client()
	}}, optFns...)
	pr, err := awssts.NewRolesAnywhere(p.leaf, p.key, raAnchor, raProfile, raRole, fns...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	return pr
}

func TestRolesAnywhere_KeysAndChains(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	for _, kind := range []string{"RSA", "P-256", "P-384"} {
		for _, inter := range []bool{false, true} {
			name := kind
			if inter {
				name += "/intermediate"
			}
			t.Run(name, func(t *testing.T) {
				p := newPKI(t, kind, inter)
				raServer(t, srv, p)
				before := len(srv.Calls())
				creds, err := raProvider(t, srv, p).Retrieve(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				calls := srv.Calls()[before:]
				if len(calls) != 1 || calls[0].Action != "CreateSession" || calls[0].ErrorCode != "" {
					t.Fatalf("calls %+v, want one CreateSession that succeeded", calls)
				}
				c := calls[0]
				if c.RoleARN != raRole || !strings.HasPrefix(c.RoleSessionName, awssts.DefaultRoleSessionNamePrefix) ||
					time.Duration(c.DurationSeconds)*time.Second != awssts.DefaultDuration {
					t.Errorf("CreateSession %+v: want role %s, a session name starting %q and durationSeconds %v",
						c, raRole, awssts.DefaultRoleSessionNamePrefix, awssts.DefaultDuration)
				}
				if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.AccountID != "123456789012" || !creds.CanExpire {
					t.Errorf("credentials %v: want ASIA keys of account 123456789012 that expire", creds.AccessKeyID)
				}
				// The credentials are a real session of the role on the same server.
				client := sts.New(sts.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
					Credentials: credentials.StaticCredentialsProvider{Value: creds}})
				id, err := client.GetCallerIdentity(context.Background(), nil)
				if err != nil {
					t.Fatal(err)
				}
				if want := "arn:aws:sts::123456789012:assumed-role/onprem/" + c.RoleSessionName; aws.ToString(id.Arn) != want {
					t.Errorf("GetCallerIdentity says %s, want %s", aws.ToString(id.Arn), want)
				}
			})
		}
	}
}

func TestRolesAnywhere_DurationAndPrefix(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, srv := raInMemory(t, "P-256", false)
		pr := raProvider(t, srv, p, func(o *awssts.RolesAnywhereOptions) {
			o.Duration, o.RoleSessionNamePrefix, o.ExpiryWindow = 2*time.Hour, "ci-runner-", 5*time.Minute
		})
		for range 2 {
			if _, err := pr.Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			if exp := pr.Stats().Expiration; time.Until(exp) != 2*time.Hour {
				t.Errorf("Stats().Expiration is %v ahead, want 2h", time.Until(exp))
			}
			time.Sleep(2 * time.Hour)
		}
		calls := srv.Calls()
		if len(calls) != 2 || calls[0].RoleSessionName == calls[1].RoleSessionName {
			t.Fatalf("calls %+v: want two with different session names", calls)
		}
		for _, c := range calls {
			if c.DurationSeconds != 7200 || !strings.HasPrefix(c.RoleSessionName, "ci-runner-") {
				t.Errorf("CreateSession %+v: want durationSeconds 7200 and the prefix ci-runner-", c)
			}
		}
		pr.Close()
	})
}

func TestNewRolesAnywhere_BadInput(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	good := newPKI(t, "RSA", false)
	other := newPKI(t, "P-256", false)
	now := time.Now()
	expired := ststest.IssueCertificate("old", good.key.Public(), good.ca, good.caKey, false, now.Add(-48*time.Hour), now.Add(-time.Hour))
	future := ststest.IssueCertificate("soon", good.key.Public(), good.ca, good.caKey, false, now.Add(time.Hour), now.Add(48*time.Hour))
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edCert := ststest.IssueCertificate("ed", edPub, good.ca, good.caKey, false, now.Add(-time.Hour), now.Add(time.Hour))
	opt := func(f func(*awssts.RolesAnywhereOptions)) []func(*awssts.RolesAnywhereOptions) {
		return []func(*awssts.RolesAnywhereOptions){f}
	}
	cases := []struct {
		name                  string
		cert                  *x509.Certificate
		key                   crypto.Signer
		anchor, profile, role string
		opts                  []func(*awssts.RolesAnywhereOptions)
		want                  string
	}{
		{name: "anchor of another service", anchor: "arn:aws:iam::123456789012:role/x", want: "trustAnchorARN"},
		{name: "profile ARN as anchor", anchor: raProfile, want: "trustAnchorARN"},
		{name: "anchor as profile", profile: raAnchor, want: "profileARN"},
		{name: "not an ARN", profile: "profile/x", want: "profileARN"},
		{name: "regions differ", profile: strings.Replace(raProfile, "eu-west-1", "us-east-1", 1), want: "same region"},
		{name: "role ARN of a user", role: "arn:aws:iam::123456789012:user/x", want: "roleARN"},
		{name: "nil certificate", cert: nil, key: good.key, want: "cert is nil"},
		{name: "nil key", cert: good.leaf, key: nil, want: "key is nil"},
		{name: "key of another certificate", cert: good.leaf, key: other.key, want: "key: its"},
		{name: "expired certificate", cert: expired, key: good.key, want: "cert (serial " + expired.SerialNumber.String() + ") expired at"},
		{name: "certificate not yet valid", cert: future, key: good.key, want: "not valid until"},
		{name: "Ed25519 key", cert: edCert, key: edKey, want: "RSA-PSS keys are not supported"},
		{name: "Duration too short", opts: opt(func(o *awssts.RolesAnywhereOptions) { o.Duration = 899 * time.Second }), want: "Duration 14m59s"},
		{name: "Duration too long", opts: opt(func(o *awssts.RolesAnywhereOptions) { o.Duration = 43201 * time.Second }), want: "Duration"},
		{name: "ExpiryWindow over Duration", opts: opt(func(o *awssts.RolesAnywhereOptions) { o.Duration, o.ExpiryWindow = time.Hour, time.Hour }), want: "ExpiryWindow"},
		{name: "prefix", opts: opt(func(o *awssts.RolesAnywhereOptions) { o.RoleSessionNamePrefix = "a b" }), want: "RoleSessionNamePrefix"},
		{name: "region", opts: opt(func(o *awssts.RolesAnywhereOptions) { o.Region = "eu-west-1.evil.example/" }), want: "Region"},
		{name: "endpoint", opts: opt(func(o *awssts.RolesAnywhereOptions) { o.BaseEndpoint = "ftp://x" }), want: "BaseEndpoint"},
		{name: "nil in Chain", opts: opt(func(o *awssts.RolesAnywhereOptions) { o.Chain = []*x509.Certificate{nil} }), want: "Chain[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.cert == nil && c.key == nil && !strings.Contains(c.want, "nil") {
				c.cert, c.key = good.leaf, good.key
			}
			anchor, profile, role := or(c.anchor, raAnchor), or(c.profile, raProfile), or(c.role, raRole)
			opts := append([]func(*awssts.RolesAnywhereOptions){func(o *awssts.RolesAnywhereOptions) {
				o.BaseEndpoint, o.HTTPClient = srv.URL, srv.Client()
			}}, c.opts...)
			p, err := awssts.NewRolesAnywhere(c.cert, c.key, anchor, profile, role, opts...)
			if err == nil {
				p.Close()
				t.Fatalf("no error, want one naming %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("bad input made %d calls, want none", n)
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestRolesAnywhere_ErrorsExplained(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	p := newPKI(t, "P-256", true)
	raServer(t, srv, p)
	const otherRole = "arn:aws:iam::123456789012:role/elsewhere"
	const strictProfile = "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/strict"
	srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: strictProfile, RoleARNs: []string{raRole}})
	stranger := newPKI(t, "RSA", false)

	cases := []struct {
		name          string
		cert          *x509.Certificate
		key           crypto.Signer
		chain         []*x509.Certificate
		profile, role string
		message, says string
	}{
		{"certificate of another CA", stranger.leaf, stranger.key, nil, raProfile, raRole, "Untrusted Signing Certificate", "not trusted"},
		{"intermediate missing", p.leaf, p.key, nil, raProfile, raRole, "Untrusted Signing Certificate", "pass the intermediates in Chain"},
		{"role not in the profile", p.leaf, p.key, p.chain(), raProfile, otherRole, "Unable to assume role for " + otherRole, "profile " + raProfile + " lists the role"},
		{"profile refuses session names", p.leaf, p.key, p.chain(), strictProfile, raRole, "Not authorized to set roleSessionName", "acceptRoleSessionName"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(srv.Calls())
			pr, err := awssts.NewRolesAnywhere(c.cert, c.key, raAnchor, c.profile, c.role, func(o *awssts.RolesAnywhereOptions) {
				o.Chain, o.BaseEndpoint, o.HTTPClient = c.chain, srv.URL, srv.Client()
			})
			if err != nil {
				t.Fatal(err)
			}
			defer pr.Close()
			_, err = pr.Retrieve(context.Background())
			var apiErr smithy.APIError
			var respErr *awshttp.ResponseError
			switch {
			case !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" || !strings.Contains(apiErr.ErrorMessage(), c.message):
				t.Fatalf("error %v: want an AccessDeniedException saying %q that errors.As finds", err, c.message)
			case !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusForbidden:
				t.Errorf("error %v: want the HTTP response (403) reachable", err)
			case !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), c.message):
				t.Errorf("error %q: want it to say %q and carry the service's message", err, c.says)
			}
			if n := len(srv.Calls()) - before; n != 1 {
				t.Errorf("a refusal made %d calls, want 1 (not retried)", n)
			}
		})
	}
}

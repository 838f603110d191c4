package awssts_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// writePEM writes the leaf and chain to cert.pem and the key to key.pem (PKCS#1 for RSA, SEC1
// for ECDSA, as openssl writes them) in dir.
func writePEM(t *testing.T, dir string, p pki) (certFile, keyFile string) {
	t.Helper()
	var certs []byte
	for _, c := range append([]*x509.Certificate{p.leaf}, p.chain()...) {
		certs = append(certs, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	var block *pem.Block
	switch k := p.key.(type) {
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certs, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// The README library recipe, as written, from PEM files: tls.LoadX509KeyPair, pair.Leaf,
// pair.PrivateKey.(crypto.Signer), the intermediates as Chain; RSA and ECDSA, with and without
// an intermediate. The build's default Duration and prefix are sent; Env gives the real
// expiry in AWS_CREDENTIAL_EXPIRATION. Run with and without -tags dev.
func TestUser2_RolesAnywhere_READMERecipeFromPEMFiles(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	for _, kind := range []string{"RSA", "P-256", "P-384"} {
		for _, inter := range []bool{false, true} {
			name := kind
			if inter {
				name += " via intermediate"
			}
			t.Run(name, func(t *testing.T) {
				pk := newPKI(t, kind, inter)
				raServer(t, srv, pk)
				certFile, keyFile := writePEM(t, t.TempDir(), pk)

				pair, err := tls.LoadX509KeyPair(certFile, keyFile) // the recipe
				if err != nil {
					t.Fatal(err)
				}
				var intermediates []*x509.Certificate
				for _, der := range pair.Certificate[1:] {
					c, err := x509.ParseCertificate(der)
					if err != nil {
						t.Fatal(err)
					}
					intermediates = append(intermediates, c)
				}
				before := len(calls(srv, "CreateSession"))
				p, err := awssts.NewRolesAnywhere(pair.Leaf, pair.PrivateKey.(crypto.Signer), raAnchor, raProfile, raRole,
					func(o *awssts.RolesAnywhereOptions) {
						o.Chain = intermediates
						o.Prefetch = true
						o.BaseEndpoint, o.HTTPClient = srv.URL, srv.Client()
					})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				env, err := p.Env(t.Context(), "eu-west-1")
				if err != nil {
					t.Fatalf("Env: %v", err)
				}
				all := calls(srv, "CreateSession")
				if len(all) != before+1 {
					t.Fatalf("%d CreateSession calls, want 1", len(all)-before)
				}
				c := all[len(all)-1]
				if c.DurationSeconds != int32(awssts.DefaultDuration/time.Second) || !strings.HasPrefix(c.RoleSessionName, awssts.DefaultRoleSessionNamePrefix) {
					t.Errorf("CreateSession sent durationSeconds %d, session name %q; want %d and the prefix %q",
						c.DurationSeconds, c.RoleSessionName, int(awssts.DefaultDuration/time.Second), awssts.DefaultRoleSessionNamePrefix)
				}
				wantExp := "AWS_CREDENTIAL_EXPIRATION=" + p.Stats().Expiration.UTC().Format(time.RFC3339)
				joined := strings.Join(env, "\n")
				if !strings.Contains(joined, wantExp) || !strings.Contains(joined, "AWS_SESSION_TOKEN=") || !strings.Contains(joined, "AWS_REGION=eu-west-1") {
					t.Errorf("Env = %v, want the session keys, the region and %s", strings.Join(redact(env), " "), wantExp)
				}
				if p.Stats().Region != "eu-west-1" {
					t.Errorf("Stats().Region = %q, want eu-west-1", p.Stats().Region)
				}
			})
		}
	}
}

func redact(env []string) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "AWS_SECRET_ACCESS_KEY" || k == "AWS_SESSION_TOKEN" {
			v = "…"
		}
		out[i] = k + "=" + v
	}
	return out
}

// Duration, RoleSessionNamePrefix and ExpiryWindow follow New's rules, and a bad value is an
// error that names the field and the allowed range, as New's does.
func TestUser2_RolesAnywhere_OptionRulesAsNew(t *testing.T) {
	pk := newPKI(t, "P-256", false)
	for _, tc := range []struct {
		name  string
		set   func(*awssts.RolesAnywhereOptions)
		field string
	}{
		{"Duration too short", func(o *awssts.RolesAnywhereOptions) { o.Duration = 10 * time.Minute }, "Duration"},
		{"Duration too long", func(o *awssts.RolesAnywhereOptions) { o.Duration = 13 * time.Hour }, "Duration"},
		{"Duration not whole seconds", func(o *awssts.RolesAnywhereOptions) { o.Duration = time.Hour + time.Millisecond }, "Duration"},
		{"prefix", func(o *awssts.RolesAnywhereOptions) { o.RoleSessionNamePrefix = "bad prefix!" }, "RoleSessionNamePrefix"},
		{"prefix too long", func(o *awssts.RolesAnywhereOptions) { o.RoleSessionNamePrefix = strings.Repeat("a", 55) }, "RoleSessionNamePrefix"},
		{"window", func(o *awssts.RolesAnywhereOptions) { o.Duration, o.ExpiryWindow = time.Hour, time.Hour }, "ExpiryWindow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, newErr := awssts.New(stubAssumer{}, raRole, func(o *awssts.Options) {
				var ra awssts.RolesAnywhereOptions
				tc.set(&ra)
				o.Duration, o.RoleSessionNamePrefix, o.ExpiryWindow = ra.Duration, ra.RoleSessionNamePrefix, ra.ExpiryWindow
			})
			p, err := awssts.NewRolesAnywhere(pk.leaf, pk.key, raAnchor, raProfile, raRole, tc.set)
			if err == nil {
				p.Close()
				t.Fatalf("NewRolesAnywhere accepted it; New says %v", newErr)
			}
			if newErr == nil {
				t.Errorf("New accepted what NewRolesAnywhere refused: %v", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
		})
	}
}

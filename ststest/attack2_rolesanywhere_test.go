package ststest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// Expected: CreateSession refuses an end-entity certificate that IAM Roles Anywhere refuses:
// its documented signature-validation rules say the end-entity certificate's Basic
// Constraints MUST include CA: false and its Key Usage MUST include Digital Signature.
//
// The emulator only checks the chain (x509.Verify with ExtKeyUsageAny), so a request signed
// with the trust anchor's own CA certificate and key, or with a leaf whose key usage is
// KeyEncipherment only, is issued credentials; a client that gets this wrong passes every
// test against ststest and fails against the service.
func TestAttack2_CreateSession_RefusesCertificatesTheServiceRefuses(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	ca := ststest.IssueCertificate("ca", caKey.Public(), nil, caKey, true, now.Add(-time.Hour), now.Add(time.Hour))
	srv.AddTrustAnchor(anchorARN, ca)
	srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: profileARN, RoleARNs: []string{raRoleARN}, AcceptRoleSessionName: true})

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(424242), Subject: pkix.Name{CommonName: "no-digital-signature"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageKeyAgreement, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	noSig, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}

	for name, c := range map[string]struct {
		cert *x509.Certificate
		key  *ecdsa.PrivateKey
	}{
		"the CA certificate itself":      {ca, caKey},
		"no Digital Signature key usage": {noSig, key},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := awssts.NewRolesAnywhere(c.cert, c.key, anchorARN, profileARN, raRoleARN, func(o *awssts.RolesAnywhereOptions) {
				o.BaseEndpoint, o.HTTPClient = srv.URL, &http.Client{Transport: srv.Client().Transport}
			})
			if err != nil {
				return // refused before any call: fine too
			}
			defer p.Close()
			if creds, err := p.Retrieve(context.Background()); err == nil {
				t.Errorf("CreateSession signed with %s issued %s, want AccessDeniedException", name, creds.AccessKeyID)
			}
		})
	}
}

// Expected: SetRateLimit panics on a rate that is not a number, as it does on a negative
// one; a NaN rate is accepted and then lets every call through, silently unlimited.
func TestAttack2_SetRateLimit_NaN(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	defer func() {
		if recover() == nil {
			t.Error("SetRateLimit(NaN, 1) did not panic, want the panic of a bad rate")
		}
	}()
	var zero float64
	srv.SetRateLimit(zero/zero, 1)
}

package ststest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"
)

// IssueCertificate makes an X.509 certificate for commonName and pub, valid from notBefore to
// notAfter, signed by issuer with issuerKey, or self-signed by issuerKey when issuer is nil.
// isCA makes it a CA that may issue further certificates, as a trust anchor or an
// intermediate; otherwise it is an end-entity certificate for client authentication, as
// Roles Anywhere takes. Its serial number is random. It panics when signing fails.
func IssueCertificate(commonName string, pub crypto.PublicKey, issuer *x509.Certificate, issuerKey crypto.Signer, isCA bool, notBefore, notAfter time.Time) *x509.Certificate {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("ststest: IssueCertificate: %v", err))
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"ststest"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.ExtKeyUsage = nil
	}
	if issuer == nil {
		issuer = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, pub, issuerKey)
	if err != nil {
		panic(fmt.Sprintf("ststest: IssueCertificate %q: %v", commonName, err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("ststest: IssueCertificate %q: %v", commonName, err))
	}
	return cert
}

package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	trustAnchorARN = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta-1"
	raProfileARN   = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p-1"
)

// pki is a CA that a trust anchor of srv trusts, and a leaf certificate it issued with its key.
type pki struct {
	ca    *x509.Certificate
	caKey crypto.Signer
	leaf  *x509.Certificate
	key   crypto.Signer
}

// rolesAnywhereSTS is localSTS with a trust anchor, a profile that allows the test role, and
// the variable that points awssts's Roles Anywhere client at it.
func rolesAnywhereSTS(t *testing.T, key crypto.Signer) (*ststest.Server, pki) {
	t.Helper()
	srv := localSTS(t)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	ca := ststest.IssueCertificate("test CA", &caKey.PublicKey, nil, caKey, true, now.Add(-time.Hour), now.Add(24*time.Hour))
	srv.AddTrustAnchor(trustAnchorARN, ca)
	srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: raProfileARN, RoleARNs: []string{roleARN}, AcceptRoleSessionName: true})
	t.Setenv(rolesAnywhereEndpointVariable, srv.URL)
	leaf := ststest.IssueCertificate("client", key.Public(), ca, caKey, false, now.Add(-time.Hour), now.Add(24*time.Hour))
	return srv, pki{ca: ca, caKey: caKey, leaf: leaf, key: key}
}

func createSessions(srv *ststest.Server) int { return callsOf(srv, "CreateSession") }

func pemFile(t *testing.T, name, typ string, der []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func pkcs8(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// raArgs are the Roles Anywhere flags for the certificate and key files.
func raArgs(cert, key string) []string {
	return []string{"export", "--certificate", cert, "--private-key", key,
		"--trust-anchor-arn", trustAnchorARN, "--profile-arn", raProfileARN, "--role-arn", roleARN}
}

func newRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEC(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Each key encoding that PEM files carry works; the second export of the same certificate is
// a hit: one CreateSession for both.
func TestRolesAnywhere_Export_KeyFormats_OneCreateSession(t *testing.T) {
	cases := map[string]func(t *testing.T) (crypto.Signer, string, []byte){
		"PKCS#8 RSA": func(t *testing.T) (crypto.Signer, string, []byte) {
			k := newRSA(t)
			return k, "PRIVATE KEY", pkcs8(t, k)
		},
		"PKCS#1 RSA": func(t *testing.T) (crypto.Signer, string, []byte) {
			k := newRSA(t)
			return k, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)
		},
		"PKCS#8 P-384": func(t *testing.T) (crypto.Signer, string, []byte) {
			k := newEC(t, elliptic.P384())
			return k, "PRIVATE KEY", pkcs8(t, k)
		},
		"SEC1 P-256": func(t *testing.T) (crypto.Signer, string, []byte) {
			k := newEC(t, elliptic.P256())
			der, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return k, "EC PRIVATE KEY", der
		},
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			key, typ, der := make(t)
			srv, p := rolesAnywhereSTS(t, key)
			cert := pemFile(t, "cert.pem", "CERTIFICATE", p.leaf.Raw, 0o644)
			keyFile := pemFile(t, "key.pem", typ, der, 0o600)
			code, first, stderr := runCLI(t, "", raArgs(cert, keyFile)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			code, second, stderr := runCLI(t, "", raArgs(cert, keyFile)...)
			if code != 0 || stderr != "" || accessKey(t, second) != accessKey(t, first) || !strings.HasPrefix(accessKey(t, first), "ASIA") {
				t.Errorf("second export: exit %d, stderr %q, %s; want the first one's keys, silently", code, stderr, second)
			}
			if n := createSessions(srv); n != 1 {
				t.Errorf("%d CreateSession calls for two exports, want 1", n)
			}
		})
	}
}

// A certificate that an intermediate issued is trusted with --intermediates, and not without;
// the two are different cache entries.
func TestRolesAnywhere_Intermediates(t *testing.T) {
	key := newEC(t, elliptic.P256())
	srv, p := rolesAnywhereSTS(t, key)
	interKey := newEC(t, elliptic.P256())
	now := time.Now()
	inter := ststest.IssueCertificate("intermediate", &interKey.PublicKey, p.ca, p.caKey, true, now.Add(-time.Hour), now.Add(24*time.Hour))
	leaf := ststest.IssueCertificate("client", &key.PublicKey, inter, interKey, false, now.Add(-time.Hour), now.Add(24*time.Hour))
	cert := pemFile(t, "cert.pem", "CERTIFICATE", leaf.Raw, 0o644)
	keyFile := pemFile(t, "key.pem", "PRIVATE KEY", pkcs8(t, key), 0o600)
	if code, _, stderr := runCLI(t, "", raArgs(cert, keyFile)...); code != exitFailure || !strings.Contains(stderr, "not trusted") {
		t.Errorf("without --intermediates: exit %d, stderr %q; want 1 and an untrusted certificate", code, stderr)
	}
	inters := pemFile(t, "chain.pem", "CERTIFICATE", inter.Raw, 0o644)
	if code, _, stderr := runCLI(t, "", append(raArgs(cert, keyFile), "--intermediates", inters)...); code != 0 {
		t.Errorf("with --intermediates: exit %d: %s", code, stderr)
	}
	if n := createSessions(srv); n != 2 {
		t.Errorf("%d CreateSession calls, want 2: the refusal is not cached, and the chain is part of the key", n)
	}
}

// A key file that others may read draws one warning that names it and shows none of it; a
// private one draws none.
func TestRolesAnywhere_ReadableKey_Warns(t *testing.T) {
	key := newEC(t, elliptic.P256())
	_, p := rolesAnywhereSTS(t, key)
	cert := pemFile(t, "cert.pem", "CERTIFICATE", p.leaf.Raw, 0o644)
	der := pkcs8(t, key)
	open := pemFile(t, "key.pem", "PRIVATE KEY", der, 0o644)
	os.Chmod(open, 0o644) // past the umask
	code, _, stderr := runCLI(t, "", append(raArgs(cert, open), "--no-cache")...)
	body := strings.TrimSpace(strings.SplitN(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "\n", 3)[1])
	if code != 0 || !strings.Contains(stderr, "--private-key "+open) || !strings.Contains(stderr, "chmod 600") || strings.Contains(stderr, body[:20]) {
		t.Errorf("mode 0644: exit %d, stderr %q; want 0 and a warning that names the file and shows none of it", code, stderr)
	}
	if os.Getuid() == 0 {
		return
	}
	private := pemFile(t, "private.pem", "PRIVATE KEY", der, 0o600)
	if code, _, stderr := runCLI(t, "", append(raArgs(cert, private), "--no-cache")...); code != 0 || stderr != "" {
		t.Errorf("mode 0600: exit %d, stderr %q; want 0 and no warning", code, stderr)
	}
}

// A refusal from Roles Anywhere removes the cached entry: it is never served in place of the
// error.
func TestRolesAnywhere_RefusalDropsTheEntry(t *testing.T) {
	key := newEC(t, elliptic.P256())
	srv, p := rolesAnywhereSTS(t, key)
	cert := pemFile(t, "cert.pem", "CERTIFICATE", p.leaf.Raw, 0o644)
	keyFile := pemFile(t, "key.pem", "PRIVATE KEY", pkcs8(t, key), 0o600)
	if code, _, stderr := runCLI(t, "", raArgs(cert, keyFile)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files := entryFiles(t)
	if len(files) != 1 {
		t.Fatalf("entries %v, want one", files)
	}
	// The entry is due (within the refresh window) but still usable in an outage.
	b, _ := os.ReadFile(files[0])
	due := time.Now().Add(awssts.DefaultExpiryWindow - 10*time.Second).UTC().Format(time.RFC3339Nano)
	b = regexpReplace(b, `"Expiration":"[^"]*"`, `"Expiration":"`+due+`"`)
	if err := os.WriteFile(files[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: raProfileARN, RoleARNs: []string{"arn:aws:iam::123456789012:role/other"}, AcceptRoleSessionName: true})
	code, stdout, stderr := runCLI(t, "", raArgs(cert, keyFile)...)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "AccessDeniedException") {
		t.Errorf("after the profile dropped the role: exit %d, stdout %q, stderr %q; want 1 and the refusal", code, stdout, stderr)
	}
	if files := entryFiles(t); len(files) != 0 {
		t.Errorf("entries %v after a refusal, want none", files)
	}
}

// Bad input exits 2 with one line that names the flag, before any call, and never shows a key.
func TestRolesAnywhere_BadInput_Exit2(t *testing.T) {
	key := newEC(t, elliptic.P256())
	srv, p := rolesAnywhereSTS(t, key)
	cert := pemFile(t, "cert.pem", "CERTIFICATE", p.leaf.Raw, 0o644)
	keyFile := pemFile(t, "key.pem", "PRIVATE KEY", pkcs8(t, key), 0o600)
	otherKey := pemFile(t, "other.pem", "PRIVATE KEY", pkcs8(t, newEC(t, elliptic.P256())), 0o600)
	rsaPSS := pemFile(t, "ed.pem", "PUBLIC KEY", []byte("not a key"), 0o600)
	encrypted := pemFile(t, "enc.pem", "ENCRYPTED PRIVATE KEY", []byte("opaque"), 0o600)
	notPEM := filepath.Join(t.TempDir(), "key.der")
	os.WriteFile(notPEM, pkcs8(t, key), 0o600)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	huge := filepath.Join(t.TempDir(), "huge.pem")
	os.WriteFile(huge, make([]byte, 2<<20), 0o600)
	set := func(args []string, flag, v string) []string {
		out := append([]string(nil), args...)
		for i := range out {
			if out[i] == flag {
				out[i+1] = v
				return out
			}
		}
		return append(out, flag, v)
	}
	base := raArgs(cert, keyFile)
	cases := map[string]struct {
		args []string
		want string
	}{
		"no key":            {base[:3], "--private-key is required"},
		"no profile":        {append(base[:7:7], "--role-arn", roleARN), "--profile-arn is required"},
		"missing cert":      {set(base, "--certificate", "/nonexistent/cert.pem"), "--certificate /nonexistent/cert.pem"},
		"key not PEM":       {set(base, "--private-key", notPEM), "--private-key " + notPEM + ": no PEM"},
		"key of another":    {set(base, "--private-key", otherKey), "--private-key"},
		"not a private key": {set(base, "--private-key", rsaPSS), "--private-key"},
		"encrypted":         {set(base, "--private-key", encrypted), "encrypted"},
		"FIFO":              {set(base, "--private-key", fifo), "not a regular file"},
		"huge":              {set(base, "--certificate", huge), "larger than"},
		"/dev/zero":         {set(base, "--private-key", "/dev/zero"), "not a regular file"},
		"cert is a key":     {set(base, "--certificate", keyFile), "--certificate " + keyFile + ": no CERTIFICATE"},
		"intermediates":     {set(base, "--intermediates", keyFile), "--intermediates"},
		"anchor ARN":        {set(base, "--trust-anchor-arn", "arn:aws:iam::123456789012:role/x"), "--trust-anchor-arn"},
		"profile ARN":       {set(base, "--profile-arn", trustAnchorARN), "--profile-arn"},
		"external id":       {set(base, "--external-id", "ext-12345"), "--external-id does not apply"},
		"failover":          {set(base, "--failover-region", "us-west-2"), "--failover-region does not apply"},
		"endpoint":          {base, "AWS_ENDPOINT_URL_ROLESANYWHERE"},
		"duration":          {set(base, "--duration", "60"), "--duration"},
		"region":            {set(base, "--region", "us east"), "--region"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if name == "endpoint" {
				t.Setenv(rolesAnywhereEndpointVariable, "not a url")
			}
			code, stdout, stderr := runCLI(t, "", tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line with %q", code, stdout, stderr, tc.want)
			}
			if strings.Contains(stderr, "PRIVATE KEY-----") {
				t.Errorf("stderr shows a key: %q", stderr)
			}
		})
	}
	if n := createSessions(srv); n != 0 {
		t.Errorf("%d CreateSession calls for bad input, want 0", n)
	}
}

func regexpReplace(b []byte, expr, repl string) []byte {
	return regexp.MustCompile(expr).ReplaceAll(b, []byte(repl))
}

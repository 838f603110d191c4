package integration

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	helperModule = "github.com/aws/rolesanywhere-credential-helper@v1.4.0"
	raAnchor     = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0b1c2d3e-0000-4000-8000-00000000aaaa"
	raProfile    = "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/0b1c2d3e-0000-4000-8000-00000000bbbb"
	raRole       = "arn:aws:iam::123456789012:role/onprem"
)

// signingHelper finds AWS's Roles Anywhere client: aws_signing_helper as AWS ships it, or
// rolesanywhere-credential-helper as go install names it.
func signingHelper(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"aws_signing_helper", "rolesanywhere-credential-helper"} {
		if bin, err := findGoBinary(name); err == nil {
			return bin
		}
	}
	skipOrFail(t, "aws_signing_helper (rolesanywhere-credential-helper) is not in PATH, GOBIN or GOPATH/bin. Install it with: go install "+helperModule)
	return ""
}

// raFiles is one certificate set as PEM files: the CA (parsed, for the trust anchor), the
// leaf, its key, and the intermediates bundle ("" when there is none).
type raFiles struct {
	ca                        *x509.Certificate
	leaf                      *x509.Certificate
	key                       crypto.Signer
	chain                     []*x509.Certificate
	certPath, keyPath, bundle string
}

func writeRAFiles(t *testing.T, kind string, intermediate bool) raFiles {
	t.Helper()
	from, to := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	caKey := raKey(t, "P-256")
	f := raFiles{ca: ststest.IssueCertificate("integration root CA", caKey.Public(), nil, caKey, true, from, to)}
	issuer, issuerKey := f.ca, caKey
	if intermediate {
		k := raKey(t, "RSA")
		inter := ststest.IssueCertificate("integration intermediate", k.Public(), f.ca, caKey, true, from, to)
		f.chain, issuer, issuerKey = []*x509.Certificate{inter}, inter, k
	}
	f.key = raKey(t, kind)
	f.leaf = ststest.IssueCertificate("runner-1", f.key.Public(), issuer, issuerKey, false, from, to)

	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	f.certPath, f.keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, f.certPath, "CERTIFICATE", f.leaf.Raw)
	writePEM(t, f.keyPath, "PRIVATE KEY", der)
	if intermediate {
		f.bundle = filepath.Join(dir, "intermediates.pem")
		writePEM(t, f.bundle, "CERTIFICATE", f.chain[0].Raw)
	}
	return f
}

func raKey(t *testing.T, kind string) crypto.Signer {
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
	}
	if err != nil || k == nil {
		t.Fatalf("key %s: %v", kind, err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runHelper runs aws_signing_helper credential-process against srv and returns its JSON, or
// its error output.
func runHelper(t *testing.T, bin, endpoint string, f raFiles, extra ...string) (map[string]any, string, error) {
	t.Helper()
	args := []string{"credential-process", "--endpoint", endpoint, "--certificate", f.certPath, "--private-key", f.keyPath,
		"--trust-anchor-arn", raAnchor, "--profile-arn", raProfile, "--role-arn", raRole}
	if f.bundle != "" {
		args = append(args, "--intermediates", f.bundle)
	}
	cmd := exec.CommandContext(testContext(t), bin, append(args, extra...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), err
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, stderr.String(), errors.New("its output is not credential_process JSON")
	}
	return out, stderr.String(), nil
}

// AWS's own client and awssts sign CreateSession for the same certificates, and ststest's
// emulator accepts both; what it must refuse, it refuses from AWS's client too. So the
// emulator checks what the service checks, and awssts signs as AWS does.
func TestRolesAnywhere_AWSClientAndAwsstsAgainstStstest(t *testing.T) {
	bin := signingHelper(t)
	isolate(t, "http://127.0.0.1:1") // the helper's SDK must find nothing of ours
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: raProfile, RoleARNs: []string{raRole}, AcceptRoleSessionName: true})

	for _, kind := range []string{"RSA", "P-256", "P-384"} {
		for _, inter := range []bool{false, true} {
			name := kind
			if inter {
				name += "/intermediate"
			}
			t.Run(name, func(t *testing.T) {
				f := writeRAFiles(t, kind, inter)
				srv.AddTrustAnchor(raAnchor, f.ca)

				out, stderr, err := runHelper(t, bin, srv.URL, f, "--session-duration", "900")
				if err != nil {
					t.Fatalf("aws_signing_helper: %v; stderr: %s; ststest's last call: %+v", err, stderr, last(srv.Calls()))
				}
				c := last(srv.Calls())
				key, _ := out["AccessKeyId"].(string)
				exp, _ := time.Parse(time.RFC3339, out["Expiration"].(string))
				if c.ErrorCode != "" || c.DurationSeconds != 900 || !strings.HasPrefix(key, "ASIA") || out["Version"] != 1.0 ||
					(time.Until(exp)-15*time.Minute).Abs() > time.Minute {
					t.Errorf("aws_signing_helper printed %v (expiration %v) after %+v; want ASIA keys for 15 minutes", key, exp, c)
				}
				helperCreds := aws.Credentials{AccessKeyID: key, SecretAccessKey: out["SecretAccessKey"].(string), SessionToken: out["SessionToken"].(string)}

				p, err := awssts.NewRolesAnywhere(f.leaf, f.key, raAnchor, raProfile, raRole, func(o *awssts.RolesAnywhereOptions) {
					o.Chain, o.BaseEndpoint = f.chain, srv.URL
				})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				ours, err := p.Retrieve(testContext(t))
				if err != nil {
					t.Fatalf("awssts against the same emulator: %v", err)
				}
				for who, creds := range map[string]aws.Credentials{"aws_signing_helper": helperCreds, "awssts": ours} {
					client := sts.New(sts.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
						Credentials: credentials.StaticCredentialsProvider{Value: creds}})
					id, err := client.GetCallerIdentity(testContext(t), nil)
					if err != nil || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:sts::123456789012:assumed-role/onprem/") {
						t.Errorf("%s's credentials at GetCallerIdentity: %v, %v; want the onprem role", who, err, id)
					}
				}
			})
		}
	}

	t.Run("refusals", func(t *testing.T) {
		f := writeRAFiles(t, "P-256", true)
		srv.AddTrustAnchor(raAnchor, f.ca)
		stranger := writeRAFiles(t, "RSA", false)
		noChain := f
		noChain.bundle = ""
		for _, c := range []struct {
			name  string
			files raFiles
			extra []string
			want  string
		}{
			{"a certificate of another CA", stranger, nil, "Untrusted Signing Certificate"},
			{"the intermediate left out", noChain, nil, "Untrusted Signing Certificate"},
			{"a duration out of range", f, []string{"--session-duration", "50000"}, "ValidationException"},
		} {
			before := len(srv.Calls())
			_, stderr, err := runHelper(t, bin, srv.URL, c.files, c.extra...)
			if err == nil || !strings.Contains(stderr, c.want) {
				t.Errorf("%s: aws_signing_helper gave %v, stderr %q; want a failure saying %q", c.name, err, stderr, c.want)
			}
			if c.name != "a duration out of range" && len(srv.Calls()) == before {
				t.Errorf("%s: the request never reached ststest", c.name)
			}
		}
	})
}

func last(calls []ststest.Call) ststest.Call {
	if len(calls) == 0 {
		return ststest.Call{}
	}
	return calls[len(calls)-1]
}

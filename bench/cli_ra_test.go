package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/awssts/awssts/ststest"
)

const (
	helperModule = "github.com/aws/rolesanywhere-credential-helper@v1.4.0"
	raCLIAnchor  = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/bench"
	raCLIProfile = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/bench"
)

// signingHelper is AWS's Roles Anywhere client, as AWS ships it (aws_signing_helper) or as go
// install names it, from PATH, GOBIN or GOPATH/bin. Without it the test skips, except under CI.
func signingHelper(t *testing.T) string {
	t.Helper()
	dirs := []string{os.Getenv("GOBIN")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, name := range []string{"aws_signing_helper", "rolesanywhere-credential-helper"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
		for _, dir := range dirs {
			if fi, err := os.Stat(filepath.Join(dir, name)); dir != "" && err == nil && fi.Mode()&0o111 != 0 {
				return filepath.Join(dir, name)
			}
		}
	}
	msg := "aws_signing_helper is not in PATH, GOBIN or GOPATH/bin. Install it with: go install " + helperModule
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Row 10c: CreateSession calls for 100 credential_process runs with a certificate, one after
// another: 'awssts export --format process --certificate …' through the shared cache, and, as
// the anchor, AWS's 'aws_signing_helper credential-process …' with the same files.
func TestCLIRolesAnywhere(t *testing.T) {
	helper := signingHelper(t)
	cli := newCLI(t)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	from, to := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	ca := ststest.IssueCertificate("bench CA", &caKey.PublicKey, nil, caKey, true, from, to)
	leaf := ststest.IssueCertificate("bench client", &key.PublicKey, ca, caKey, false, from, to)
	cli.srv.AddTrustAnchor(raCLIAnchor, ca)
	cli.srv.AddRolesAnywhereProfile(ststest.RolesAnywhereProfile{ARN: raCLIProfile, RoleARNs: []string{roleARN}, AcceptRoleSessionName: true})
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for name, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: leaf.Raw}, keyFile: {Type: "PRIVATE KEY", Bytes: der}} {
		if err := os.WriteFile(name, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cli.env = append(cli.env, "AWS_ENDPOINT_URL_ROLESANYWHERE="+cli.srv.URL)
	files := []string{"--certificate", certFile, "--private-key", keyFile, "--trust-anchor-arn", raCLIAnchor,
		"--profile-arn", raCLIProfile, "--role-arn", roleARN}
	const runs = 100
	for _, c := range []struct {
		name, bin string
		args      []string
	}{
		{"awssts-on-demand", cli.bin, append([]string{"export", "--format", "process"}, files...)},
		{"anchor", helper, append([]string{"credential-process", "--endpoint", cli.srv.URL}, files...)},
	} {
		before := cli.createSessions()
		for range runs {
			cmd := exec.Command(c.bin, c.args...)
			cmd.Env = cli.env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s %v: %v\n%s", c.name, c.args, err, out)
			}
		}
		calls := cli.createSessions() - before
		report(t, Result{Row: "cli-ra", Case: c.name, Calls: calls})
		want := 1
		if c.name == "anchor" {
			want = runs
		}
		if calls != want {
			t.Errorf("%s: %d CreateSession calls for %d credential_process runs, want %d", c.name, calls, runs, want)
		}
	}
}

func (c *cli) createSessions() int { return c.calls("CreateSession") }

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
)

// credentialScript is a credential_process: each run prints new keys that expire %[2]d seconds
// later and appends the key to issued; once the file down exists, each run fails instead and
// appends a line to refused. date -d is GNU, date -r BSD.
const credentialScript = `#!/bin/sh
dir='%[1]s'
if [ -e "$dir/down" ]; then
	echo refused >>"$dir/refused"
	exit 1
fi
n=$(($(wc -l <"$dir/issued") + 1))
key=$(printf 'ASIAPROCESS%%09d' "$n")
exp=$(($(date +%%s) + %[2]d))
when=$(date -u -d "@$exp" +%%Y-%%m-%%dT%%H:%%M:%%SZ 2>/dev/null || date -u -r "$exp" +%%Y-%%m-%%dT%%H:%%M:%%SZ)
echo "$key" >>"$dir/issued"
printf '{"Version": 1, "AccessKeyId": "%%s", "SecretAccessKey": "process-secret-%%s", "SessionToken": "process-token-%%s", "Expiration": "%%s"}\n' "$key" "$n" "$n" "$when"
`

// credentialProcess is credentialScript, named by credential_process in the default profile of
// its own AWS_CONFIG_FILE.
type credentialProcess struct{ dir, config string }

func newCredentialProcess(t *testing.T, life time.Duration) *credentialProcess {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		skipOrFail(t, "sh is not in PATH; the credential_process test runs a shell script")
	}
	dir := t.TempDir()
	if strings.ContainsAny(dir, " \t'\"\\") {
		t.Fatalf("temporary directory %q: the script's path must need no quoting in the config file", dir)
	}
	script := filepath.Join(dir, "credentials.sh")
	c := &credentialProcess{dir: dir, config: filepath.Join(dir, "config")}
	for _, f := range []struct {
		path, body string
		mode       os.FileMode
	}{
		{script, fmt.Sprintf(credentialScript, dir, int(life/time.Second)), 0o700},
		{filepath.Join(dir, "issued"), "", 0o600},
		{c.config, "[default]\ncredential_process = sh " + script + "\n", 0o600},
	} {
		if err := os.WriteFile(f.path, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (c *credentialProcess) env() map[string]string {
	return map[string]string{"AWS_CONFIG_FILE": c.config}
}

func (c *credentialProcess) issued() []string { return c.lines("issued") }

// down makes every later run fail.
func (c *credentialProcess) down() error {
	return os.WriteFile(filepath.Join(c.dir, "down"), nil, 0o600)
}

// refused counts the runs that failed.
func (c *credentialProcess) refused() int { return len(c.lines("refused")) }

func (c *credentialProcess) lines(name string) []string {
	b, _ := os.ReadFile(filepath.Join(c.dir, name))
	return strings.Fields(string(b))
}

// TestWrapCredentialProcess_RenewalsRunTheProcess: the default chain finds credential_process
// in AWS_CONFIG_FILE, and each of Wrap's renewals is a run of it that brings new keys, on
// demand and from the prefetch goroutine.
func TestWrapCredentialProcess_RenewalsRunTheProcess(t *testing.T) {
	ctx := testContext(t)
	c := newCredentialProcess(t, shortLife)
	cfg := defaultChain(ctx, t, c.env())
	p := wrapChain(t, &cfg)
	checkRenewals(ctx, t, cfg, p, c, processcreds.ProviderName, aws.CredentialSourceProcess)
}

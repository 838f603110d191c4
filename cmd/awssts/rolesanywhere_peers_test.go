package main

import (
	"crypto/elliptic"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// awsCLIRuns is how many AWS CLI processes the credential_process test runs: enough to show
// that a loop shares one session, few enough for go test (an AWS CLI process takes 0.5 s to
// 3 s on a busy machine; 100 took 5 minutes). BENCHMARKS.md has the row for 100 runs,
// against AWS's own helper.
const awsCLIRuns = 10

// The AWS CLI, with 'awssts export --certificate …' as a profile's credential_process, runs
// as the role: awsCLIRuns calls, two at a time, make one CreateSession between them.
func TestAWSCLI_CredentialProcess_RolesAnywhere_OneCreateSession(t *testing.T) {
	awsCLI := need(t, "aws")
	bin := binary(t)
	key := newEC(t, elliptic.P256())
	srv, p := rolesAnywhereSTS(t, key)
	cert := pemFile(t, "cert.pem", "CERTIFICATE", p.leaf.Raw, 0o644)
	keyFile := pemFile(t, "key.pem", "PRIVATE KEY", pkcs8(t, key), 0o600)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	writeFile(t, cfgFile, "[profile ra]\nregion = us-east-1\ncredential_process = "+bin+" export --format process "+
		strings.Join(raArgs(cert, keyFile)[1:], " ")+"\n")
	env := append(withoutSource(os.Environ()), "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PROFILE=ra", "AWS_EC2_METADATA_DISABLED=true", "HOME="+dir)

	var wg sync.WaitGroup
	errs := make(chan string, awsCLIRuns)
	next := make(chan int, awsCLIRuns)
	for i := range awsCLIRuns {
		next <- i
	}
	close(next)
	for range 2 {
		wg.Go(func() {
			for range next {
				cmd := exec.Command(awsCLI, "sts", "get-caller-identity", "--output", "json")
				cmd.Env = env
				out, err := cmd.Output()
				var id struct{ Arn string }
				if err != nil || json.Unmarshal(out, &id) != nil || !strings.Contains(id.Arn, ":assumed-role/demo/") {
					errs <- string(out) + stderrOf(err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("aws sts get-caller-identity did not run as the role: %s", e)
		break
	}
	if n := createSessions(srv); n != 1 {
		t.Errorf("%d CreateSession calls for %d AWS CLI runs, want 1", n, awsCLIRuns)
	}
}

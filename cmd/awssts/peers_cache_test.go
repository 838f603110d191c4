package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

// awsCLI prepares the AWS CLI against moto, through a counting proxy: a profile "role"
// whose credential_process is awssts export, and a fresh cache.
func awsCLI(t *testing.T) (run func(args ...string) (string, error), proxy *stsProxy) {
	t.Helper()
	ep := motoEndpoint(t)
	aws := need(t, "aws")
	bin := binary(t)
	proxy = newSTSProxy(t, ep, -1)
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	writeFile(t, cfgFile, "[profile src]\nregion = us-east-1\n\n[profile role]\nregion = us-east-1\n"+
		"credential_process = "+bin+" export --format process --profile src --role-arn "+roleARN+"\n")
	writeFile(t, credFile, "[src]\naws_access_key_id = AKIASOURCEKEY0000000\naws_secret_access_key = source-secret\n")
	env := append(without(os.Environ(), sourceVariables...), "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+credFile,
		"AWS_ENDPOINT_URL_STS="+proxy.URL, "AWS_EC2_METADATA_DISABLED=true", "HOME="+dir, credcache.DirVariable+"="+filepath.Join(dir, "cache"))
	return func(args ...string) (string, error) {
		cmd := exec.Command(aws, args...)
		cmd.Env = env
		out, err := cmd.Output()
		return string(out), err
	}, proxy
}

func callerARN(t *testing.T, out string) string {
	t.Helper()
	var id struct{ Arn string }
	if err := json.Unmarshal([]byte(out), &id); err != nil || !strings.Contains(id.Arn, ":assumed-role/demo/"+awssts.DefaultRoleSessionNamePrefix) {
		t.Fatalf("aws said %q (%v), want the assumed role", out, err)
	}
	return id.Arn
}

// The loop: 100 'aws sts get-caller-identity' through credential_process, one after
// another, make one AssumeRole call between them.
func TestAWSCLI_100Sequential_OneAssumeRole_Moto(t *testing.T) {
	if repeatedRun {
		t.Skip("about 100 s of the AWS CLI: it runs once, in the plain go test ./... of .ci/run")
	}
	aws, proxy := awsCLI(t)
	var first string
	for i := range 100 {
		out, err := aws("--profile", "role", "sts", "get-caller-identity", "--output", "json")
		if err != nil {
			t.Fatalf("call %d: %v: %s", i, err, stderrOf(err))
		}
		if arn := callerARN(t, out); first == "" {
			first = arn
		} else if arn != first {
			t.Errorf("call %d ran as %s, call 0 as %s: want one session", i, arn, first)
		}
	}
	if n := proxy.assumeRoles(); n != 1 {
		t.Errorf("%d AssumeRole calls for 100 commands, want 1", n)
	}
}

// 20 AWS CLI processes started together with an empty cache, while STS is slow, make one
// AssumeRole call between them.
func TestAWSCLI_20Concurrent_OneAssumeRole_Moto(t *testing.T) {
	aws, proxy := awsCLI(t)
	proxy.slow(time.Second)
	var wg sync.WaitGroup
	arns := make([]string, 20)
	for i := range arns {
		wg.Go(func() {
			out, err := aws("--profile", "role", "sts", "get-caller-identity", "--output", "json")
			if err != nil {
				t.Errorf("process %d: %v: %s", i, err, stderrOf(err))
				return
			}
			arns[i] = out
		})
	}
	wg.Wait()
	if n := proxy.assumeRoles(); n != 1 {
		t.Errorf("%d AssumeRole calls from 20 processes, want 1", n)
	}
	for i, out := range arns {
		if out != "" && callerARN(t, out) != callerARN(t, arns[0]) {
			t.Errorf("process %d ran as another session", i)
		}
	}
}

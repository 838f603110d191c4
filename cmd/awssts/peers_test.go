package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/awssts/awssts"
)

// motoEndpoint is the moto_server that .ci/run starts (AWSSTS_MOTO_ENDPOINT). The AWS CLI and
// boto3 tests need it; without it they skip, except under CI, where they must run.
func motoEndpoint(t *testing.T) string {
	t.Helper()
	ep := os.Getenv("AWSSTS_MOTO_ENDPOINT")
	if ep == "" {
		msg := "AWSSTS_MOTO_ENDPOINT is not set: run .ci/run, or start moto_server -H 127.0.0.1 -p PORT (pip install 'moto[server]==5.2.1') and set it to http://127.0.0.1:PORT"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return ep
}

func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed", tool)
		}
		t.Skipf("%s is not installed", tool)
	}
	return path
}

var built struct {
	once      sync.Once
	dir, path string
	err       error
}

// binary builds this command once per test run, for programs that run it themselves and for
// exec, which replaces its own process.
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "awssts-cli-test-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "awssts")
		if out, err := exec.Command("go", "build", "-tags", buildTags, "-o", built.path, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// command is the built command with args, in the test's environment.
func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(binary(t), args...)
}

// runBinary runs the built command with the test's environment.
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	cmd := command(t, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// The AWS CLI runs 'awssts export --format process' as a profile's credential_process and
// signs with the role's credentials: moto reports the assumed role as the caller.
func TestAWSCLI_CredentialProcess_Moto(t *testing.T) {
	ep := motoEndpoint(t)
	aws := need(t, "aws")
	bin := binary(t)
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	writeFile(t, cfgFile, "[profile src]\nregion = us-east-1\n\n[profile role]\nregion = us-east-1\n"+
		"credential_process = "+bin+" export --format process --profile src --role-arn "+roleARN+"\n")
	writeFile(t, credFile, "[src]\naws_access_key_id = AKIASOURCEKEY0000000\naws_secret_access_key = source-secret\n")

	cmd := exec.Command(aws, "--profile", "role", "sts", "get-caller-identity", "--output", "json")
	cmd.Env = append(withoutSource(os.Environ()), "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+credFile,
		"AWS_ENDPOINT_URL_STS="+ep, "AWS_EC2_METADATA_DISABLED=true", "HOME="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, stderrOf(err))
	}
	var id struct{ Arn string }
	if err := json.Unmarshal(out, &id); err != nil {
		t.Fatalf("aws output %q: %v", out, err)
	}
	if !strings.Contains(id.Arn, ":assumed-role/demo/"+awssts.DefaultRoleSessionNamePrefix) { // the binary has the test's build tags
		t.Errorf("caller %q, want the role assumed with an %s session", id.Arn, awssts.DefaultRoleSessionNamePrefix)
	}
}

// boto3 in an 'exec --serve' child finds no keys, takes the container-credentials endpoint,
// and calls STS as the assumed role.
func TestBoto3_ExecServe_Moto(t *testing.T) {
	ep := motoEndpoint(t)
	python := need(t, "python3")
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", ep)
	t.Setenv("HOME", t.TempDir())
	script := "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
	code, stdout, stderr := runCLI(t, "", "exec", "--serve", "--role-arn", roleARN, "--", python, "-c", script)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, ":assumed-role/demo/"+awssts.DefaultRoleSessionNamePrefix) {
		t.Errorf("boto3 caller %q, want the assumed role", stdout)
	}
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func stderrOf(err error) string {
	if e, ok := err.(*exec.ExitError); ok {
		return string(e.Stderr)
	}
	return ""
}

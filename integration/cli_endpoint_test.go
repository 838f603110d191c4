//go:build unix

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCLIEndpointWins: with the source keys in [default] of ~/.aws/credentials (and of
// ~/.aws/config), the most common setup, the AWS CLI and boto3 run as the role under
// 'awssts exec --serve' and in a shell that evaluated 'awssts serve --background', never
// as the source user: moto names the caller.
func TestCLIEndpointWins(t *testing.T) {
	motoURL := moto.require(t)["AWSSTS_MOTO_ENDPOINT"]
	for _, tool := range []string{"aws", "python3", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" is not in PATH; install the AWS CLI v1 and boto3 (pip install awscli boto3)")
		}
	}
	ctx := testContext(t)
	bin := filepath.Join(t.TempDir(), "awssts")
	if out, err := exec.CommandContext(ctx, "go", "build", "-tags", buildTags, "-o", bin, "github.com/awssts/awssts/cmd/awssts").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	keys := "aws_access_key_id = " + motoAccessKey + "\naws_secret_access_key = " + motoSecret + "\n"
	for name, body := range map[string]string{"credentials": "[default]\n" + keys, "config": "[default]\nregion = " + region + "\n" + keys} {
		if err := os.WriteFile(filepath.Join(home, ".aws", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "AWSSTS_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "BOTO_") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "AWS_ENDPOINT_URL_STS="+motoURL, "AWS_EC2_METADATA_DISABLED=true", "AWSSTS_CACHE_DIR="+t.TempDir())
	role := motoRole("awssts-cli-wins")
	children := map[string]string{
		"aws":    "aws sts get-caller-identity --output text --query Arn",
		"boto3":  `python3 -c "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"`,
		"source": "", // the check that the setup really has the source user in [default]
	}
	wantRole := regexp.MustCompile(`:assumed-role/awssts-cli-wins/`)
	for name, child := range children {
		if name == "source" {
			cmd := exec.CommandContext(ctx, "aws", "sts", "get-caller-identity", "--output", "text", "--query", "Arn")
			cmd.Env = env
			out, err := cmd.Output()
			if err != nil || wantRole.Match(out) {
				t.Fatalf("without awssts the AWS CLI says %q (%v): want the source user", out, err)
			}
			continue
		}
		t.Run("exec --serve/"+name, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, bin, "exec", "--serve", "--role-arn", role, "--", "sh", "-c", child)
			cmd.Env = env
			out, err := cmd.Output()
			if err != nil || !wantRole.Match(out) {
				t.Errorf("caller %q (%v %s): want the assumed role", out, err, exitStderr(err))
			}
		})
		t.Run("serve --background/"+name, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, "sh", "-c", `eval "$("$0" serve --role-arn "$1" --background)" && `+child, bin, role)
			cmd.Env = env
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if m := regexp.MustCompile(`as process (\d+)`).FindStringSubmatch(stderr.String()); m != nil {
				pid, _ := strconv.Atoi(m[1])
				defer syscall.Kill(pid, syscall.SIGTERM)
			}
			if err != nil || !wantRole.Match(out) {
				t.Errorf("caller %q (%v %s): want the assumed role", out, err, stderr.String())
			}
		})
	}
}

func exitStderr(err error) string {
	if e, ok := err.(*exec.ExitError); ok {
		return string(e.Stderr)
	}
	return ""
}

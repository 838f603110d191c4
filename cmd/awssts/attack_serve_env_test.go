package main

import (
	"encoding/json"
	"os"

	"github.com/awssts/awssts/ststest"
	"path/filepath"
	"strings"
	"testing"
)

// botoCredentials is a boto3 child that prints how it found its credentials and their key ID.
const botoCredentials = "import boto3; c = boto3.Session().get_credentials(); print(c.method, c.access_key)"

// Shared config files that botocore reads static keys from, in forms that INI parsers other
// than awssts's line filter accept: configparser takes ':' as well as '=', keys indented
// under their section, and lines ended by CR alone (Python reads files with universal newlines).
var botoReadableKeys = map[string]string{
	"colon":    "[default]\nregion = us-east-1\naws_access_key_id: AKIACONFIGKEY0000000\naws_secret_access_key: config-secret-must-not-leak\n",
	"indented": "[default]\n  aws_access_key_id = AKIACONFIGKEY0000000\n  aws_secret_access_key = config-secret-must-not-leak\n  region = us-east-1\n",
	"cr-only":  "[default]\rregion = us-east-1\raws_access_key_id = AKIACONFIGKEY0000000\raws_secret_access_key = config-secret-must-not-leak\r",
}

// Expected: a boto3 child of exec --serve takes the role's credentials from the endpoint
// (or awssts refuses with exit 2), never the keys of a profile in the user's config.
func TestAttack_ExecServe_Boto3ReadsKeysTheCopyKept(t *testing.T) {
	python := need(t, "python3")
	for name, body := range botoReadableKeys {
		t.Run(name, func(t *testing.T) {
			localSTS(t)
			cfg := filepath.Join(t.TempDir(), "config")
			writeFile(t, cfg, body)
			t.Setenv("AWS_CONFIG_FILE", cfg)
			t.Setenv("HOME", t.TempDir())
			code, stdout, stderr := runCLI(t, "", "exec", "--serve", "--role-arn", roleARN, "--", python, "-c", botoCredentials)
			if code == exitUsage {
				return // refused, naming the file: allowed
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.HasPrefix(stdout, "container-role ASIA") {
				t.Errorf("boto3 child got %q: want the role's credentials from the endpoint (container-role), not the config file's keys", strings.TrimSpace(stdout))
			}
		})
	}
}

// The Go SDK also reads the source keys from the legacy AWS_ACCESS_KEY and AWS_SECRET_KEY,
// and awssts takes its source from them. Expected: the Go SDK child of exec --serve runs as
// the assumed role, not as the user whose keys are left in those variables.
func TestAttack_ExecServe_LegacyKeyVariablesReachTheChild(t *testing.T) {
	localSTS(t)
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_ACCESS_KEY", key)
	t.Setenv("AWS_SECRET_KEY", secret)
	code, stdout, stderr := runCLI(t, "", append([]string{"exec", "--serve", "--role-arn", roleARN, "--"}, child(t, "sdk")...)...)
	if code == exitUsage {
		return // refused: allowed
	}
	if code != 0 || !strings.HasPrefix(stdout, "arn:aws:sts::"+ststest.Account+":assumed-role/demo/") {
		t.Errorf("exit %d, child's caller %q, stderr %q: want the assumed role", code, strings.TrimSpace(stdout), stderr)
	}
}

// SECURITY.md: the source secret key never goes to the child of exec. Expected: no
// variable of the child's environment holds the source secret, whatever the variable's name.
func TestAttack_Exec_LegacySecretVariableReachesTheChild(t *testing.T) {
	localSTS(t)
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_ACCESS_KEY", key)
	t.Setenv("AWS_SECRET_KEY", secret)
	code, stdout, stderr := runBinary(t, append([]string{"exec", "--role-arn", roleARN, "--"}, child(t, "env")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(stdout), &env); err != nil {
		t.Fatalf("child output %q: %v", stdout, err)
	}
	for k, v := range env {
		if v == secret {
			t.Errorf("the child's %s holds the source secret key", k)
		}
	}
}

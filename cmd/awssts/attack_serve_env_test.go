package main

import (
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

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A user who works with AWS_PROFILE=work, whose profile carries settings other than
// credentials (output, ca_bundle behind a TLS proxy, s3 addressing, retry mode), wraps a
// job in exec --serve. The README promises the child "a copy of the shared config with every
// profile and setting", and a shell after `serve` keeps AWS_PROFILE and so the settings, but
// exec --serve drops AWS_PROFILE: the child silently runs with [default]'s settings.
//
// Expected: the child of exec --serve uses the non-credential settings of the profile
// AWS_PROFILE named (here output = text), as the shell after `serve` does.
func TestUser_ExecServe_KeepsTheAWSProfileSettings(t *testing.T) {
	aws := need(t, "aws")
	localSTS(t)
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	writeFile(t, cfgFile, "[default]\nregion = us-east-1\n\n[profile work]\nregion = us-east-1\noutput = text\n"+
		"aws_access_key_id = "+os.Getenv("AWS_ACCESS_KEY_ID")+"\naws_secret_access_key = "+os.Getenv("AWS_SECRET_ACCESS_KEY")+"\n")
	writeFile(t, credFile, "")
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "work",
		"AWS_CONFIG_FILE": cfgFile, "AWS_SHARED_CREDENTIALS_FILE": credFile, "HOME": dir} {
		t.Setenv(k, v)
	}
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")

	// Without awssts the profile's output setting applies: a bare ARN, no JSON quotes.
	plain := exec.Command(aws, "sts", "get-caller-identity", "--query", "Arn")
	out, err := plain.Output()
	if err != nil || strings.HasPrefix(string(out), `"`) {
		t.Fatalf("without awssts: %q (%v %s), want text output", out, err, stderrOf(err))
	}
	code, stdout, stderr := runBinary(t, "exec", "--serve", "--role-arn", roleARN, "--", aws, "sts", "get-caller-identity", "--query", "Arn")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, ":assumed-role/demo/") {
		t.Fatalf("caller %q, want the role", stdout)
	}
	if strings.HasPrefix(stdout, `"`) {
		t.Errorf("exec --serve child printed %q: the output = text of [profile work] (AWS_PROFILE) was dropped", strings.TrimSpace(stdout))
	}
}

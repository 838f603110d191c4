package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The README's credential_process recipe, as most users' files look: the region is set on the
// profile the AWS CLI uses ([profile app]) and in [default], the source keys live in
// [source] of ~/.aws/credentials, where nobody writes a region. The AWS CLI then runs as the
// role.
//
// Expected: `aws --profile app sts get-caller-identity` succeeds with the README's setup; the
// source profile needs no region of its own (STS is global; awssts can fall back to
// us-east-1, or to the region the consumer passes).
func TestUser_CredentialProcess_READMESetup_SourceWithoutRegion(t *testing.T) {
	aws := need(t, "aws")
	localSTS(t)
	bin := binary(t)
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	writeFile(t, cfgFile, "[default]\nregion = us-east-1\n\n[profile app]\nregion = eu-west-1\n"+
		"credential_process = "+bin+" export --format process --profile source --role-arn "+roleARN+"\n")
	writeFile(t, credFile, "[source]\naws_access_key_id = "+os.Getenv("AWS_ACCESS_KEY_ID")+
		"\naws_secret_access_key = "+os.Getenv("AWS_SECRET_ACCESS_KEY")+"\n")

	cmd := exec.Command(aws, "--profile", "app", "sts", "get-caller-identity", "--output", "json")
	cmd.Env = append(withoutSource(os.Environ()), "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+credFile, "HOME="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws --profile app sts get-caller-identity with the README's setup: %v\n%s", err, stderrOf(err))
	}
	var id struct{ Arn string }
	if err := json.Unmarshal(out, &id); err != nil || !strings.Contains(id.Arn, ":assumed-role/demo/") {
		t.Errorf("caller %q (%v), want the assumed role", out, err)
	}
}

// A first-time user with no credentials anywhere (no keys in the environment, no profiles,
// not on EC2) is told what is missing, not about the EC2 instance metadata service.
//
// Expected: one line on stderr that says no source credentials were found and how to give
// them (--profile, AWS_PROFILE or AWS_ACCESS_KEY_ID).
func TestUser_NoSourceCredentials_SaysHowToGiveThem(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("HOME", t.TempDir())
	code, stdout, stderr := runCLI(t, "", "export", "--role-arn", roleARN)
	if code == 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q: want a failure", code, stdout)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "credentials") || !strings.Contains(stderr, "--profile") ||
		!strings.Contains(stderr, "AWS_ACCESS_KEY_ID") {
		t.Errorf("stderr %q: want one line saying no source credentials were found, naming --profile and AWS_ACCESS_KEY_ID", stderr)
	}
}

// A typo in AWS_PROFILE is bad input, like a typo in --profile.
//
// Expected: exit 2 with one line naming AWS_PROFILE and the profile, as --profile nope does.
func TestUser_AWSProfileTypo_Exit2(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "prodd")
	code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN)
	if code != exitUsage || !strings.Contains(stderr, "AWS_PROFILE") || !strings.Contains(stderr, `"prodd"`) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 2 and one line naming AWS_PROFILE and \"prodd\"", code, stderr)
	}
}

// `cache clear --role-arn` with a mistyped ARN deletes nothing and says "removed 0" with
// exit 0, so the user believes the role's credentials are gone.
//
// Expected: exit 2 with one line naming --role-arn, as every other --role-arn does.
func TestUser_CacheClear_BadRoleARN_Exit2(t *testing.T) {
	isolate(t)
	for _, bad := range []string{"demo", "arn:aws:iam::123456789012:user/demo", "arn:aws:iam::123456789012:role/demo "} {
		code, stdout, stderr := runCLI(t, "", "cache", "clear", "--role-arn", bad)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--role-arn") {
			t.Errorf("cache clear --role-arn %q: exit %d, stdout %q, stderr %q; want 2 and a line naming --role-arn", bad, code, stdout, stderr)
		}
	}
}

// --mfa-serial given the IAM user's ARN instead of the MFA device's, the commonest MFA
// mistake, is caught locally instead of prompting for a code that STS will then reject.
//
// Expected: exit 2 with one line naming --mfa-serial and the arn:aws:iam::ACCOUNT:mfa/NAME form.
func TestUser_MFASerial_UserARN_Exit2(t *testing.T) {
	isolate(t)
	noTTY(t)
	code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--mfa-serial", "arn:aws:iam::123456789012:user/bob")
	if code != exitUsage || !strings.Contains(stderr, "--mfa-serial") || !strings.Contains(stderr, ":mfa/") {
		t.Errorf("exit %d, stderr %q; want 2 and a line naming --mfa-serial and the mfa/ ARN form", code, stderr)
	}
}

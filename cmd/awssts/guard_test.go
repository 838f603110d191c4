package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An awssts that is asked to load a profile that an awssts up the chain is loading exits 2
// with one line naming the profile and the fix.
func TestGuard_NestedLoadOfTheSameProfile_Exit2(t *testing.T) {
	localSTS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_PROFILE", "app")
	t.Setenv(guardVariable, "base\napp")
	code, stdout, stderr := runCLI(t, "", "export", "--role-arn", roleARN)
	if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `profile "app"`) || !strings.Contains(stderr, "--profile SOURCE") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line naming \"app\" and --profile SOURCE", code, stdout, stderr)
	}
}

// The guard follows the SDK's order: with keys in the environment, AWS_PROFILE is not
// loaded, so the same marker stops nothing; and another profile is a chain, not a loop.
func TestGuard_OtherSourcesPass(t *testing.T) {
	localSTS(t)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	writeFile(t, os.Getenv("AWS_CONFIG_FILE"), "[profile app]\n")
	t.Setenv("AWS_PROFILE", "app")
	t.Setenv(guardVariable, "app")
	exportOK(t)
	t.Setenv(guardVariable, "other")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN); code == exitUsage {
		t.Errorf("exit 2 for a profile no awssts up the chain loads: %s", stderr)
	}
}

// The loop of the issue: AWS_PROFILE=app, and app's credential_process runs awssts without
// --profile. It ends at the first nested awssts, which says why.
func TestGuard_CredentialProcessLoop_Ends(t *testing.T) {
	localSTS(t)
	bin := binary(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	writeFile(t, cfgFile, "[profile app]\nregion = us-east-1\ncredential_process = "+bin+" export --role-arn "+roleARN+"\n")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // an unguarded loop never ends
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "export", "--role-arn", roleARN, "--no-cache")
	cmd.Env = append(without(os.Environ(), "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "AWS_PROFILE=app", "AWS_CONFIG_FILE="+cfgFile)
	out, err := cmd.Output()
	stderr := stderrOf(err)
	if ctx.Err() != nil {
		t.Fatal("awssts did not end within a minute")
	}
	if err == nil || len(out) != 0 {
		t.Fatalf("exit %v, stdout %q: want a failure", err, out)
	}
	if strings.Count(stderr, `profile "app" gets its credentials from awssts`) != 1 || !strings.Contains(stderr, "--profile SOURCE") {
		t.Errorf("stderr %q: want the guard's line once", stderr)
	}
}

// A chain through two profiles is not a loop: app's credential_process names its source.
func TestGuard_ChainThroughAProfile_Works(t *testing.T) {
	localSTS(t)
	bin := binary(t)
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	writeFile(t, cfgFile, "[profile app]\nregion = us-east-1\ncredential_process = "+bin+" export --profile base --role-arn "+roleARN+"\n")
	writeFile(t, credFile, "[base]\naws_access_key_id = AKIASOURCEKEY0000000\naws_secret_access_key = source-secret-must-not-leak\n")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	if _, stderr := exportOK(t, "--profile", "app", "--duration", "1h"); stderr != "" {
		t.Errorf("stderr %q", stderr)
	}
}

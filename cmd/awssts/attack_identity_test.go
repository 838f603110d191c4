package main

import (
	"path/filepath"
	"testing"
	"time"
)

// A profile whose role is assumed with credential_source = Environment takes its source
// identity from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Expected: another user's keys in
// the environment get STS's refusal, never the session cached for the first user's keys.
func TestAttack_CredentialSourceEnvironment_OtherKeysGetCachedSession(t *testing.T) {
	srv := localSTS(t)
	const mid = "arn:aws:iam::123456789012:role/mid"
	srv.AddRole(mid, 12*time.Hour)
	cfg := filepath.Join(t.TempDir(), "config")
	writeFile(t, cfg, "[profile chain]\nrole_arn = "+mid+"\ncredential_source = Environment\nregion = us-east-1\n")
	t.Setenv("AWS_CONFIG_FILE", cfg)
	exportOK(t, "--profile", "chain")

	t.Setenv("AWS_ACCESS_KEY_ID", rejectedKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", rejectedSecret)
	code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--profile", "chain", "--no-cache")
	if code != exitFailure {
		t.Fatalf("precondition: --no-cache with the rejected keys exits %d (%s), want STS's refusal", code, stderr)
	}
	wantRefused(t, "credential_source = Environment with another user's keys", "--profile", "chain")
}

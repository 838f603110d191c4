package main

import (
	"os"
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

// A profile with static keys and a role_arn (no source_profile) makes the SDK assume that
// role with the keys: the source is the role's session, not the keys. Expected: once the
// profile names a role that STS refuses, export gets STS's refusal, never the session
// cached while the profile named another role.
func TestAttack_ProfileKeysWithRoleARN_RoleChangedGetsCachedSession(t *testing.T) {
	srv := localSTS(t)
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	const mid = "arn:aws:iam::123456789012:role/mid"
	const refused = "arn:aws:iam::123456789012:role/not-trusted"
	srv.AddRole(mid, 12*time.Hour)
	cfg := filepath.Join(t.TempDir(), "config")
	profile := func(role string) string {
		return "[profile chain]\nregion = us-east-1\naws_access_key_id = " + key + "\naws_secret_access_key = " + secret + "\nrole_arn = " + role + "\n"
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	writeFile(t, cfg, profile(mid))
	exportOK(t, "--profile", "chain")

	writeFile(t, cfg, profile(refused))
	code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--profile", "chain", "--no-cache")
	if code != exitFailure {
		t.Fatalf("precondition: --no-cache with role_arn = %s exits %d (%s), want STS's refusal", refused, code, stderr)
	}
	wantRefused(t, "profile's role_arn changed to one STS refuses", "--profile", "chain")
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The second source user is one STS does not know: a session cached for the first must never
// be handed to it.
const (
	rejectedKey    = "AKIAREJECTEDUSER0000"
	rejectedSecret = "rejected-secret-must-not-leak"
)

// profileSTS is localSTS with no source keys in the environment: they come from files.
func profileSTS(t *testing.T) (srvKey, srvSecret string) {
	t.Helper()
	localSTS(t)
	srvKey, srvSecret = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	return srvKey, srvSecret
}

func keysSection(name, key, secret string) string {
	return "[" + name + "]\naws_access_key_id = " + key + "\naws_secret_access_key = " + secret + "\n"
}

// wantRefused runs export and wants STS's refusal, not the earlier identity's session.
func wantRefused(t *testing.T, what string, args ...string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, "", append([]string{"export", "--role-arn", roleARN}, args...)...)
	checkRefused(t, what, code, stdout, stderr)
}

func checkRefused(t *testing.T, what string, code int, stdout, stderr string) {
	t.Helper()
	if code != exitFailure || stdout != "" {
		t.Errorf("%s: exit %d, stdout %q, stderr %q: want STS's refusal (exit 1) and no credentials", what, code, stdout, stderr)
	}
	if strings.Contains(stderr, "must-not-leak") {
		t.Errorf("%s: stderr leaks a secret: %q", what, stderr)
	}
}

// The [source] keys rewritten to another user's: the cached session of the first is not served.
func TestCacheKey_SourceKeysRewritten(t *testing.T) {
	key, secret := profileSTS(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	writeFile(t, creds, keysSection("source", key, secret))
	exportOK(t, "--profile", "source")
	writeFile(t, creds, keysSection("source", rejectedKey, rejectedSecret))
	wantRefused(t, "rewritten [source]", "--profile", "source")
	// The same key ID with another secret is another credential too.
	writeFile(t, creds, keysSection("source", key, rejectedSecret))
	wantRefused(t, "same key ID, wrong secret", "--profile", "source")
}

// A relative AWS_CONFIG_FILE used from two project directories names two files.
func TestCacheKey_RelativeConfigFile_TwoDirectories(t *testing.T) {
	key, secret := profileSTS(t)
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(a, "aws.ini"), "[profile source]\naws_access_key_id = "+key+"\naws_secret_access_key = "+secret+"\n")
	writeFile(t, filepath.Join(b, "aws.ini"), "[profile source]\naws_access_key_id = "+rejectedKey+"\naws_secret_access_key = "+rejectedSecret+"\n")
	t.Setenv("AWS_CONFIG_FILE", "aws.ini")
	t.Chdir(a)
	exportOK(t, "--profile", "source")
	t.Chdir(b)
	wantRefused(t, "project b", "--profile", "source")
}

// Two HOMEs that share one AWSSTS_CACHE_DIR hold two identities in [default]. The SDK reads
// HOME once per process, so each export is a process of its own.
func TestCacheKey_TwoHomesShareOneCache(t *testing.T) {
	key, secret := profileSTS(t)
	os.Unsetenv("AWS_CONFIG_FILE")
	os.Unsetenv("AWS_SHARED_CREDENTIALS_FILE")
	for _, h := range []struct{ key, secret string }{{key, secret}, {rejectedKey, rejectedSecret}} {
		home := t.TempDir()
		if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(home, ".aws", "credentials"), keysSection("default", h.key, h.secret))
		t.Setenv("HOME", home)
		code, stdout, stderr := runBinary(t, "export", "--role-arn", roleARN)
		if h.key == key && code != 0 {
			t.Fatalf("first HOME: exit %d: %s", code, stderr)
		}
		if h.key != key {
			checkRefused(t, "second HOME", code, stdout, stderr)
		}
	}
}

// A rejected OIDC token written to the same path gets STS's refusal, not the session of the
// token that was there before: in CI, a fork's job must not get the main branch's session.
func TestCacheKey_WebIdentityTokenRewritten(t *testing.T) {
	srv := localSTS(t)
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	const webRole = "arn:aws:iam::123456789012:role/deploy"
	srv.AddRole(webRole, 12*time.Hour)
	good := "main-branch-token"
	srv.AddWebIdentityToken(good)
	token := filepath.Join(t.TempDir(), "token")
	writeFile(t, token, good)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token)
	t.Setenv("AWS_ROLE_ARN", webRole)
	exportOK(t)
	writeFile(t, token, "fork-token-must-not-leak")
	wantRefused(t, "rewritten token")
}

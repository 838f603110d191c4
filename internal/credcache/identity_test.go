package credcache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clean leaves only the variables a test sets.
func clean(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func id(t *testing.T, profile string) Source {
	t.Helper()
	s, err := Identify(t.Context(), profile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.ID, "secret") || strings.Contains(s.ID, "token-content") {
		t.Errorf("ID %q shows a secret", s.ID)
	}
	return s
}

func write(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Each change of identity that the issue lists gives another ID; the same identity the same.
func TestIdentify_TellsIdentitiesApart(t *testing.T) {
	clean(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	write(t, creds, "[source]\naws_access_key_id = AKIAONE\naws_secret_access_key = secret-one\n")
	a := id(t, "source")
	if b := id(t, "source"); b.ID != a.ID || !strings.HasPrefix(a.ID, "access-key AKIAONE sha256:") {
		t.Errorf("same keys: %q then %q", a.ID, b.ID)
	}
	write(t, creds, "[source]\naws_access_key_id = AKIAONE\naws_secret_access_key = secret-two\n")
	if b := id(t, "source"); b.ID == a.ID {
		t.Error("another secret for the same key ID gives the same ID")
	}

	// a relative config file in two directories
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_CONFIG_FILE", "aws.ini")
	p1, p2 := t.TempDir(), t.TempDir()
	write(t, filepath.Join(p1, "aws.ini"), "[profile x]\ncredential_process = /bin/one\n")
	write(t, filepath.Join(p2, "aws.ini"), "[profile x]\ncredential_process = /bin/one\n")
	t.Chdir(p1)
	x1 := id(t, "x")
	t.Chdir(p2)
	x2 := id(t, "x")
	if x1.ID == x2.ID || x1.ConfigFiles[0] != filepath.Join(p1, "aws.ini") {
		t.Errorf("two directories: %q, %q, files %v", x1.ID, x2.ID, x1.ConfigFiles)
	}

	// two HOMEs
	os.Unsetenv("AWS_CONFIG_FILE")
	os.Unsetenv("AWS_SHARED_CREDENTIALS_FILE")
	var ids []string
	for _, key := range []string{"AKIAHOMEONE", "AKIAHOMETWO"} {
		home := t.TempDir()
		os.Mkdir(filepath.Join(home, ".aws"), 0o700)
		write(t, filepath.Join(home, ".aws", "credentials"), "[default]\naws_access_key_id = "+key+"\naws_secret_access_key = secret\n")
		t.Setenv("HOME", home)
		ids = append(ids, id(t, "").ID)
	}
	if ids[0] == ids[1] {
		t.Errorf("two HOMEs: %q", ids)
	}

	// a web identity token rewritten at the same path
	token := filepath.Join(dir, "token")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token)
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/deploy")
	write(t, token, "main-token-content")
	w1 := id(t, "")
	write(t, token, "fork-token-content")
	if w2 := id(t, ""); w1.ID == w2.ID || !strings.Contains(w1.ID, token) {
		t.Errorf("rewritten token: %q then %q", w1.ID, w2.ID)
	}
	os.Remove(token)
	if _, err := Identify(t.Context(), ""); err == nil {
		t.Error("a missing token file gave an ID; a cache hit would then serve without it")
	}
}

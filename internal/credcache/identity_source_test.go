package credcache

import (
	"path/filepath"
	"testing"
)

// distinct fails unless every profile body gives an ID of its own, and the same body the
// same ID again.
func distinct(t *testing.T, cfg string, bodies map[string]string, setup map[string]func()) {
	t.Helper()
	seen := map[string]string{}
	for name, body := range bodies {
		write(t, cfg, body)
		if f := setup[name]; f != nil {
			f()
		}
		s := id(t, "p")
		if again := id(t, "p"); again.ID != s.ID {
			t.Errorf("%s: the same identity gives %q then %q", name, s.ID, again.ID)
		}
		if other, ok := seen[s.ID]; ok {
			t.Errorf("%s and %s give the same ID", name, other)
		}
		seen[s.ID] = name
	}
}

// configOnly leaves only a shared config file, whose name it returns.
func configOnly(t *testing.T) string {
	clean(t)
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	return filepath.Join(dir, "config")
}

// A profile with static keys and a role_arn is the role's session: each of its role settings
// is part of the ID, not only the key ID.
func TestIdentify_KeysWithRoleSettings(t *testing.T) {
	cfg := configOnly(t)
	const keys = "[profile p]\naws_access_key_id = AKIAONE\naws_secret_access_key = secret-one\n"
	distinct(t, cfg, map[string]string{
		"keys only":    keys,
		"role a":       keys + "role_arn = arn:aws:iam::123456789012:role/a\n",
		"role b":       keys + "role_arn = arn:aws:iam::123456789012:role/b\n",
		"external id":  keys + "role_arn = arn:aws:iam::123456789012:role/a\nexternal_id = x\n",
		"mfa serial":   keys + "role_arn = arn:aws:iam::123456789012:role/a\nmfa_serial = arn:aws:iam::123456789012:mfa/u\n",
		"duration":     keys + "role_arn = arn:aws:iam::123456789012:role/a\nduration_seconds = 900\n",
		"session name": keys + "role_arn = arn:aws:iam::123456789012:role/a\nrole_session_name = s\n",
		"other secret": "[profile p]\naws_access_key_id = AKIAONE\naws_secret_access_key = secret-two\nrole_arn = arn:aws:iam::123456789012:role/a\n",
	}, nil)
}

// credential_source takes the source from the environment: the keys there, or the container
// token file's content, are part of the ID.
func TestIdentify_CredentialSourceFromTheEnvironment(t *testing.T) {
	cfg := configOnly(t)
	token := filepath.Join(filepath.Dir(cfg), "token")
	env := "[profile p]\nrole_arn = arn:aws:iam::123456789012:role/a\ncredential_source = Environment\n"
	ecs := "[profile p]\nrole_arn = arn:aws:iam::123456789012:role/a\ncredential_source = EcsContainer\n"
	keys := func(id, secret string) func() {
		return func() {
			t.Setenv("AWS_ACCESS_KEY_ID", id)
			t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
		}
	}
	tokenFile := func(content string) func() {
		return func() {
			keys("", "")()
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds")
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token)
			write(t, token, content)
		}
	}
	distinct(t, cfg, map[string]string{"env one": env, "env two": env, "env one, other secret": env, "ecs token one": ecs, "ecs token two": ecs},
		map[string]func(){
			"env one": keys("AKIAONE", "secret-one"), "env two": keys("AKIATWO", "secret-two"),
			"env one, other secret": keys("AKIAONE", "secret-three"),
			"ecs token one":         tokenFile("token-content-one"), "ecs token two": tokenFile("token-content-two"),
		})
}

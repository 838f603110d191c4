package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

// trickyConfigs hold credentials in every form configparser reads, beside settings the copy
// keeps.
var trickyConfigs = map[string]string{
	"colon":           "[default]\nregion: us-east-1\naws_access_key_id: AKIALEAK\naws_secret_access_key: must-not-leak\n",
	"indented":        "[default]\n  aws_access_key_id = AKIALEAK\n  aws_secret_access_key = must-not-leak\n  region = us-east-1\n",
	"cr-only":         "[default]\rregion = us-east-1\raws_access_key_id = AKIALEAK\raws_secret_access_key = must-not-leak\r",
	"crlf":            "[default]\r\nregion = us-east-1\r\naws_access_key_id = AKIALEAK\r\naws_secret_access_key = must-not-leak\r\n",
	"upper-case key":  "[default]\nregion = us-east-1\nAWS_ACCESS_KEY_ID = AKIALEAK\nAws_Secret_Access_Key = must-not-leak\n",
	"continuation":    "[default]\nregion = us-east-1\noutput = json\n    aws_access_key_id = AKIALEAK\n\n    aws_secret_access_key = must-not-leak\n",
	"comments":        "# [default]\n[default]\n; aws_access_key_id = AKIALEAK\n  # aws_secret_access_key = must-not-leak\nregion = us-east-1\n",
	"nested s3":       "[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 20\n  aws_access_key_id = AKIALEAK\n",
	"role chain":      "[profile base]\naws_access_key_id = AKIALEAK\naws_secret_access_key = must-not-leak\n[default]\nregion = us-east-1\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\nexternal_id = must-not-leak\n",
	"sources":         "[default]\nregion = us-east-1\ncredential_process = /bin/must-not-leak\ncredential_source = Environment\nsso_session = s\nsso_start_url = https://must-not-leak\nweb_identity_token_file = /must-not-leak\nlogin_session = must-not-leak\n[sso-session s]\nsso_start_url = https://must-not-leak\n",
	"DEFAULT":         "[DEFAULT]\naws_access_key_id = AKIALEAK\naws_secret_access_key = must-not-leak\n[default]\nregion = us-east-1\n",
	"profile default": "[profile default]\nregion = us-east-1\naws_access_key_id = AKIALEAK\naws_secret_access_key = must-not-leak\n",
	"services":        "[default]\nregion = us-east-1\nservices = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n  aws_access_key_id = AKIALEAK\naws_access_key_id =\n  endpoint_url = must-not-leak\n",
	"bad header":      "[default] trailing\nregion = us-east-1\n[profile a b]\naws_access_key_id = AKIALEAK\n[profile \"q\"]\naws_secret_access_key = must-not-leak\n",
}

func TestConfigCopy_KeepsSettingsOnly(t *testing.T) {
	for name, body := range trickyConfigs {
		t.Run(name, func(t *testing.T) {
			out := string(configCopy([][]byte{[]byte(body)}, nil))
			for _, leak := range []string{"AKIALEAK", "must-not-leak", "aws_", "role_arn", "credential_", "sso", "source_profile", "login"} {
				if strings.Contains(strings.ToLower(out), strings.ToLower(leak)) {
					t.Errorf("the copy holds %q:\n%s", leak, out)
				}
			}
			if !strings.Contains(out, "[default]\nregion = us-east-1\n") {
				t.Errorf("the copy lost [default]'s region:\n%s", out)
			}
			name := filepath.Join(t.TempDir(), "config")
			writeFile(t, name, out)
			sc, err := config.LoadSharedConfigProfile(t.Context(), "default", func(o *config.LoadSharedConfigOptions) {
				o.ConfigFiles, o.CredentialsFiles = []string{name}, nil
			})
			if err != nil || sc.Region != "us-east-1" || sc.Credentials.HasKeys() || sc.RoleARN != "" || sc.CredentialProcess != "" || sc.CredentialSource != "" {
				t.Errorf("the Go SDK reads [default] of the copy as %+v, %v: want the region and no credentials", sc, err)
			}
		})
	}
}

func TestConfigCopy_Exact(t *testing.T) {
	config := "[default]\nregion = eu-west-1\naws_access_key_id = AKIALEAK\ns3 =\n  addressing_style = path\n[profile dev]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\noutput: json\n" +
		"[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n[plugins]\nx = y\n"
	credentials := "[default]\naws_access_key_id = AKIALEAK\n[ci]\naws_access_key_id = AKIALEAK\n"
	want := "[default]\nregion = eu-west-1\ns3 =\n    addressing_style = path\n\n[profile dev]\noutput = json\n\n" +
		"[services local]\nsts =\n    endpoint_url = http://127.0.0.1:9\n\n[profile ci]\n\n"
	if got := string(configCopy([][]byte{[]byte(config)}, [][]byte{[]byte(credentials)})); got != want {
		t.Errorf("copy:\n%s\nwant:\n%s", got, want)
	}
}

// botocore itself reads each copy: no profile has a setting outside the kept ones, and every
// profile has the region botocore read in the original.
func TestConfigCopy_BotocoreReadsNoCredentials(t *testing.T) {
	python := need(t, "python3")
	const script = `
import json, sys
from botocore.configloader import raw_config_parse, build_profile_map
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = build_profile_map(raw_config_parse(name))["profiles"]
    except Exception as e:
        out[name] = {"error": str(e)}
print(json.dumps(out))
`
	dir := t.TempDir()
	var args []string
	for name, body := range trickyConfigs {
		orig, cp := filepath.Join(dir, name+".orig"), filepath.Join(dir, name+".copy")
		writeFile(t, orig, body)
		writeFile(t, cp, string(configCopy([][]byte{[]byte(body)}, nil)))
		args = append(args, orig, cp)
	}
	b, err := exec.Command(python, append([]string{"-c", script}, args...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	var read map[string]map[string]map[string]any
	if err := json.Unmarshal(b, &read); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	for name := range trickyConfigs {
		orig, cp := read[filepath.Join(dir, name+".orig")], read[filepath.Join(dir, name+".copy")]
		if _, failed := cp["error"]; failed {
			t.Errorf("%s: botocore cannot read the copy: %v", name, cp["error"])
			continue
		}
		for profile, settings := range cp {
			for k := range settings {
				if !slices.Contains(copiedSettings, k) && k != "s3" {
					t.Errorf("%s: botocore reads %s in profile %s of the copy", name, k, profile)
				}
			}
			if _, failed := orig["error"]; !failed && orig[profile]["region"] != settings["region"] {
				t.Errorf("%s: profile %s: region %v in the copy, %v in the original", name, profile, settings["region"], orig[profile]["region"])
			}
		}
	}
}

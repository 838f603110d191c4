package main

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/awssts/awssts/internal/credcache"
)

// shadowingVariables are settings that every SDK uses before a container-credentials
// endpoint: a process given the endpoint must not see them.
var shadowingVariables = append(slices.Clone(sourceKeyVariables),
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_CREDENTIAL_FILE", // botocore's legacy EC2 credentials file
)

// credentialSettings are the shared-config settings that give a profile credentials of its
// own, which the SDKs use before the endpoint.
var credentialSettings = []string{
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
	"credential_process", "credential_source", "role_arn", "source_profile", "role_session_name",
	"external_id", "mfa_serial", "duration_seconds", "web_identity_token_file",
	"sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name", "login_session",
}

// maxConfigSize bounds the shared config file that is copied.
const maxConfigSize = 1 << 20

// endpointFiles is a private directory of files in which the endpoint wins: an empty shared
// credentials file, an empty boto config, and a copy of the user's shared config with every
// profile kept, regions and other settings included, but no credential settings. Profiles
// that only the credentials file named are kept as empty sections, so that AWS_PROFILE still
// names one.
type endpointFiles struct{ dir string }

// newEndpointFiles writes the files. A config file that cannot be read is a usage error that
// names it: its credentials would otherwise win over the endpoint.
func newEndpointFiles(src credcache.Source) (*endpointFiles, error) {
	var config bytes.Buffer
	for _, name := range src.ConfigFiles {
		b, err := readAtMost(name, maxConfigSize+1)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err == nil && len(b) > maxConfigSize:
			err = errors.New("larger than 1 MiB")
		}
		if err != nil {
			return nil, usagef("%s: %v; awssts cannot copy it without credentials, and its profiles' credentials would be used before the endpoint: fix it or point AWS_CONFIG_FILE elsewhere", name, err)
		}
		withoutCredentials(&config, b)
	}
	have := map[string]bool{}
	for _, p := range sections(config.Bytes()) {
		have[strings.TrimPrefix(p, "profile ")] = true
	}
	for _, name := range src.CredentialsFiles {
		b, _ := readAtMost(name, maxConfigSize)
		for _, p := range sections(b) {
			switch {
			case have[p]:
			case p == "default":
				config.WriteString("\n[default]\n")
			default:
				config.WriteString("\n[profile " + p + "]\n")
			}
			have[p] = true
		}
	}
	dir, err := os.MkdirTemp("", "awssts-endpoint-")
	if err != nil {
		return nil, err
	}
	e := &endpointFiles{dir: dir}
	for name, body := range map[string][]byte{"config": config.Bytes(), "credentials": nil, "boto": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			e.Remove()
			return nil, err
		}
	}
	return e, nil
}

// vars are the variables that point the SDKs, the AWS CLI and boto at the files; the Java
// SDK v1 reads its credentials file from AWS_CREDENTIAL_PROFILES_FILE.
func (e *endpointFiles) vars() []string {
	return []string{
		"AWS_CONFIG_FILE=" + filepath.Join(e.dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(e.dir, "credentials"),
		"AWS_CREDENTIAL_PROFILES_FILE=" + filepath.Join(e.dir, "credentials"),
		"BOTO_CONFIG=" + filepath.Join(e.dir, "boto"),
	}
}

func (e *endpointFiles) Remove() { os.RemoveAll(e.dir) }

// withoutCredentials copies an INI shared config to w without the credential settings, and
// without the indented lines that continue a dropped setting.
func withoutCredentials(w *bytes.Buffer, b []byte) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxConfigSize)
	dropping := false
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		indented := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
		switch {
		case strings.HasPrefix(trimmed, "["):
			dropping = false
		case indented && trimmed != "":
			if dropping {
				continue
			}
		default:
			k, _, _ := strings.Cut(trimmed, "=")
			dropping = isCredentialSetting(strings.TrimSpace(k))
			if dropping {
				continue
			}
		}
		w.WriteString(line + "\n")
	}
}

func isCredentialSetting(k string) bool {
	for _, s := range credentialSettings {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// sections are the section names of a shared config or credentials file.
func sections(b []byte) []string {
	var names []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, "["); ok && strings.HasSuffix(name, "]") {
			names = append(names, strings.TrimSpace(strings.TrimSuffix(name, "]")))
		}
	}
	return names
}

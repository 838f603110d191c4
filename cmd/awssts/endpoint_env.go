package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/awssts/awssts/internal/credcache"
)

// shadowingVariables are settings that every SDK uses before a container-credentials
// endpoint: a process given the endpoint must not see them.
var shadowingVariables = append(slices.Clone(sourceKeyVariables),
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_CREDENTIAL_FILE", // botocore's legacy EC2 credentials file
)

// maxConfigSize bounds the shared config file that is copied.
const maxConfigSize = 1 << 20

// endpointFiles is a directory of files in which the endpoint wins, in the awssts cache
// directory so that no other user can make or replace it, before or after it is removed: an empty shared
// credentials file, an empty boto config, and a config written from the user's shared config
// (configCopy) with every profile kept, regions and other settings included, but nothing that
// could give a profile credentials. Profiles that only the credentials file named are kept
// as empty sections, so that AWS_PROFILE still names one.
type endpointFiles struct{ dir string }

// newEndpointFiles writes the files. A config file that cannot be read is a usage error that
// names it: its credentials would otherwise win over the endpoint.
func newEndpointFiles(src credcache.Source) (*endpointFiles, error) {
	var configs, credentials [][]byte
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
		configs = append(configs, b)
	}
	for _, name := range src.CredentialsFiles {
		b, _ := readAtMost(name, maxConfigSize)
		credentials = append(credentials, b)
	}
	config := configCopy(configs, credentials)
	dir, err := credcache.MkdirTemp("endpoint-")
	if err != nil {
		return nil, usagef("a private directory for the endpoint's files: %v", err)
	}
	e := &endpointFiles{dir: dir}
	for name, body := range map[string][]byte{"config": config, "credentials": nil, "boto": nil} {
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

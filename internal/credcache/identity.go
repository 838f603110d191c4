package credcache

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// maxReadSize bounds what is read of a token or an SSO token cache file for a digest; STS
// takes web identity tokens of up to 20,000 characters.
const maxReadSize = 1 << 20

// Source is where the SDK's default chain will take the source credentials from, decided as
// config.LoadDefaultConfig decides it, but without loading them: that may run a
// credential_process or reach the network, which a cache hit must not do.
type Source struct {
	Profile string // the shared-config profile it loads; "" for the environment's keys or a web identity
	ID      string // the source identity for Key.Source: digests, never a secret
	// ConfigFiles and CredentialsFiles are the absolute shared files that ID covers; load
	// the SDK configuration from these, so that it reads what the key was made of.
	ConfigFiles, CredentialsFiles []string
}

// Identify follows the order of the SDK's credential chain: a profile named in code
// (profileFlag), the environment's access key, a web identity token file, and else the
// profile of AWS_PROFILE or AWS_DEFAULT_PROFILE, or "default". ID holds what decides the
// identity and can be read locally:
//   - static keys (the environment's or a profile's): "access-key" with the key ID and a
//     digest of the secret and session token;
//   - a web identity: the role, the token file's absolute path and a digest of its content;
//   - any other profile (a role chain, static keys with a role_arn, SSO, credential_process,
//     or none): a digest of its resolved settings (role_arn, external_id, mfa_serial,
//     duration_seconds, … and the keys), their source profiles, the web identity token and
//     SSO token cache files they name, the container and IMDS settings of the environment
//     and the container token file's content, and where a profile has credential_source =
//     Environment, the environment's access key ID and a digest of its secret and token.
func Identify(ctx context.Context, profileFlag string) (Source, error) {
	env, err := config.NewEnvConfig()
	if err != nil {
		return Source{}, fmt.Errorf("read the AWS environment variables: %w", err)
	}
	src := Source{Profile: profileFlag}
	if src.ConfigFiles, err = absFiles(env.SharedConfigFile, config.DefaultSharedConfigFilename()); err == nil {
		src.CredentialsFiles, err = absFiles(env.SharedCredentialsFile, config.DefaultSharedCredentialsFilename())
	}
	if err != nil {
		return Source{}, err
	}
	switch {
	case src.Profile != "":
	case env.Credentials.HasKeys():
		src.ID = keyID(env.Credentials)
		return src, nil
	case env.WebIdentityTokenFilePath != "":
		src.ID, err = tokenID(env.RoleARN, env.WebIdentityTokenFilePath)
		return src, err
	case env.SharedConfigProfile != "":
		src.Profile = env.SharedConfigProfile
	default:
		src.Profile = "default"
	}
	src.ID, err = src.profileID(ctx, env)
	return src, err
}

func absFiles(set, def string) ([]string, error) {
	name := set
	if name == "" {
		name = def
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, fmt.Errorf("shared config file %q: %w", name, err)
	}
	return []string{abs}, nil
}

func keyID(c aws.Credentials) string {
	return "access-key " + c.AccessKeyID + " " + digest(c.SecretAccessKey, c.SessionToken)
}

func tokenID(roleARN, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("web identity token file %q: %w", path, err)
	}
	b, err := readBounded(abs)
	if err != nil {
		return "", fmt.Errorf("read the web identity token: %w", err)
	}
	return "web-identity " + roleARN + " " + abs + " " + digest(string(b)), nil
}

// identityVariables are the environment's settings that decide what the container and IMDS
// credential sources return.
var identityVariables = []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	"AWS_EC2_METADATA_V1_DISABLED"}

// profileID loads the profile as the SDK will, without running or fetching anything. Only a
// profile whose static keys are its whole source is identified by the keys alone: with a
// role_arn beside them, the SDK assumes that role with them.
func (s Source) profileID(ctx context.Context, env config.EnvConfig) (string, error) {
	sc, err := config.LoadSharedConfigProfile(ctx, s.Profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = s.ConfigFiles, s.CredentialsFiles
	})
	if err == nil && sc.Source == nil && sc.Credentials.HasKeys() && sc.RoleARN == "" {
		return keyID(sc.Credentials), nil
	}
	parts := []string{s.Profile, fmt.Sprint(s.ConfigFiles, s.CredentialsFiles)}
	if err != nil {
		parts = append(parts, "unresolved: "+err.Error()) // the SDK goes on to the container or IMDS
	} else {
		b, _ := json.Marshal(sc)
		parts = append(parts, string(b))
		parts = append(parts, readFiles(&sc)...)
		for p := &sc; p != nil; p = p.Source {
			if p.CredentialSource == "Environment" {
				parts = append(parts, "environment: "+keyID(env.Credentials))
				break
			}
		}
	}
	for _, k := range identityVariables {
		parts = append(parts, k+"="+os.Getenv(k))
	}
	if name := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); name != "" {
		parts = append(parts, fileContent(name))
	}
	return "profile " + s.Profile + " " + digest(parts...), nil
}

// readFiles are the contents of the files that sc and its source profiles read for
// credentials: web identity tokens and SSO token caches. A missing file reads as its error.
func readFiles(sc *config.SharedConfig) []string {
	var out []string
	for ; sc != nil; sc = sc.Source {
		var names []string
		if sc.WebIdentityTokenFile != "" {
			names = append(names, sc.WebIdentityTokenFile)
		}
		home, _ := os.UserHomeDir()
		for _, id := range []string{sc.SSOSessionName, sc.SSOStartURL} {
			if id != "" {
				sum := sha1.Sum([]byte(id)) // the SDK names its SSO token cache so
				names = append(names, filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"))
			}
		}
		for _, name := range names {
			out = append(out, fileContent(name))
		}
	}
	return out
}

// fileContent is name and its content, or the error that reading it got.
func fileContent(name string) string {
	b, err := readBounded(name)
	if err != nil {
		return name + ": " + err.Error()
	}
	return name + ": " + string(b)
}

func readBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReadSize+1))
	if err == nil && len(b) > maxReadSize {
		err = fmt.Errorf("%s is larger than %d bytes", name, maxReadSize)
	}
	return b, err
}

// digest is a SHA-256 of parts, each prefixed by its length so that no two lists collide.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		binary.Write(h, binary.BigEndian, uint64(len(p)))
		io.WriteString(h, p)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

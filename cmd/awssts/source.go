package main

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
)

// source is where the SDK's default chain will take the source credentials from, decided as
// config.LoadDefaultConfig decides it, but without loading them: reading them may run a
// credential_process or reach the network, which a cache hit must not do.
type source struct {
	profile string // the shared-config profile it loads; "" for the environment's keys or a web identity
	id      string // what tells this source from another, for the cache key; no secret
}

// findSource follows the order of the SDK's credential chain: a profile named in code
// (--profile), the environment's access key, a web identity token file, and else the profile
// of AWS_PROFILE or AWS_DEFAULT_PROFILE, or "default".
func findSource(profileFlag string) (source, error) {
	env, err := config.NewEnvConfig()
	if err != nil {
		return source{}, fmt.Errorf("read the AWS environment variables: %w", err)
	}
	profile := profileFlag
	switch {
	case profile != "":
	case env.Credentials.HasKeys():
		return source{id: "access-key " + env.Credentials.AccessKeyID}, nil
	case env.WebIdentityTokenFilePath != "":
		return source{id: "web-identity " + env.RoleARN + " " + env.WebIdentityTokenFilePath}, nil
	case env.SharedConfigProfile != "":
		profile = env.SharedConfigProfile
	default:
		profile = "default"
	}
	return source{profile: profile, id: fmt.Sprintf("profile %q in %q and %q", profile, env.SharedConfigFile, env.SharedCredentialsFile)}, nil
}

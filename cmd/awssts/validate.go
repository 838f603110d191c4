package main

import (
	"errors"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Limits of STS's AssumeRole input.
const (
	maxRoleARN = 2048
	minRoleARN = 20
	maxPolicy  = 2048
)

// checkRoleARN refuses what STS would refuse, and what should never reach it: an ARN that is
// not an IAM role's, too long or short, or not one line of printable ASCII.
func checkRoleARN(v string) error {
	switch {
	case v == "":
		return usagef("--role-arn is required")
	case len(v) > maxRoleARN || len(v) < minRoleARN:
		return usagef("--role-arn: %d characters, want %d to %d", len(v), minRoleARN, maxRoleARN)
	case strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		return usagef("--role-arn %.80q: want one line of printable ASCII with no spaces", v)
	}
	a, err := arn.Parse(v)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return usagef("--role-arn %q: want an IAM role ARN, such as arn:aws:iam::123456789012:role/NAME", v)
	}
	return nil
}

// checkMFASerial refuses an ARN that is not an MFA device's, above all the IAM user's own
// ARN, the commonest mistake: STS takes the device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME) or a
// hardware device's serial number, whose characters and length awssts.NewSessionToken checks.
func checkMFASerial(v string) error {
	if v == "" || !strings.HasPrefix(v, "arn:") {
		return nil
	}
	if a, err := arn.Parse(v); err == nil && a.Service == "iam" && strings.HasPrefix(a.Resource, "mfa/") && len(a.Resource) > len("mfa/") {
		return nil
	}
	return usagef("--mfa-serial %q: not an MFA device; want its ARN, arn:aws:iam::ACCOUNT:mfa/NAME (IAM console: Security credentials, "+
		"Multi-factor authentication), or a hardware device's serial number", v)
}

// regionName is what a region can look like: lower-case letters, digits and dashes.
var regionName = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

func checkRegion(from, v string) error {
	if !regionName.MatchString(v) {
		return usagef("%s %.80q: want a region name such as us-east-1 (lower-case letters, digits and dashes)", from, v)
	}
	return nil
}

// checkEndpoint checks the region and the STS endpoint the configuration resolved, and
// returns the endpoint ("" for STS's own).
func checkEndpoint(cfg aws.Config) (string, error) {
	if err := checkRegion("region (from --region, AWS_REGION or the profile)", cfg.Region); err != nil {
		return "", err
	}
	endpoint := aws.ToString(sts.NewFromConfig(cfg).Options().BaseEndpoint)
	if endpoint == "" {
		return "", nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(endpoint, " \t\r\n") {
		return "", usagef("STS endpoint %.200q (from AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or the profile): want an http:// or https:// URL", endpoint)
	}
	return endpoint, nil
}

// endpointVariableSet reports whether an STS endpoint is set in the environment.
func endpointVariableSet() bool {
	return os.Getenv("AWS_ENDPOINT_URL_STS") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
}

// readPolicy returns the policy, read from @FILE when it starts with @. It reads at most one
// byte more than STS takes, so that no file, not even /dev/zero, costs more than that.
func readPolicy(v string) (string, error) {
	name, isFile := strings.CutPrefix(v, "@")
	if isFile {
		b, err := readAtMost(name, maxPolicy+1)
		if err != nil {
			return "", usagef("--policy %s: %v", v, err)
		}
		v = string(b)
	}
	if len(v) > maxPolicy {
		return "", usagef("--policy: more than %d characters; STS takes a session policy of at most %d", maxPolicy, maxPolicy)
	}
	return v, nil
}

func readAtMost(name string, n int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

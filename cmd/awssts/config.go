package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts/internal/credcache"
)

// caBundleVariable names a PEM file of extra root CAs, which config.LoadDefaultConfig reads
// and parses at once: a few milliseconds for a system bundle, more than the rest of a cache
// hit, which makes no TLS connection at all.
const caBundleVariable = "AWS_CA_BUNDLE"

// loadConfig loads the SDK configuration of the source. The first result is for what a
// cache hit needs, the region and the STS endpoint, and is loaded without AWS_CA_BUNDLE;
// full loads everything, the CA bundle included, once, for the first STS call.
func (c *commonFlags) loadConfig(ctx context.Context, src credcache.Source) (aws.Config, func() (aws.Config, error), error) {
	bundle := os.Getenv(caBundleVariable)
	if bundle != "" {
		os.Unsetenv(caBundleVariable)
	}
	cfg, err := c.loadAll(ctx, src)
	if bundle != "" {
		os.Setenv(caBundleVariable, bundle) // before any credential_process or child inherits the environment
	}
	if err != nil {
		return aws.Config{}, nil, err
	}
	if cfg.Region == "" {
		return aws.Config{}, nil, usagef("--region is required: no region is set in AWS_REGION, AWS_DEFAULT_REGION or profiles %s of %s",
			strings.Join(c.regionProfiles(), ", "), strings.Join(src.ConfigFiles, ", "))
	}
	full := func() (aws.Config, error) { return cfg, nil }
	if bundle != "" {
		full = sync.OnceValues(func() (aws.Config, error) { return c.loadAll(ctx, src) })
	}
	return cfg, full, nil
}

// loadAll loads the configuration from the shared files that src covers, so that the SDK
// reads the identity the cache key was made of.
func (c *commonFlags) loadAll(ctx context.Context, src credcache.Source) (aws.Config, error) {
	load := []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles(src.ConfigFiles), config.WithSharedCredentialsFiles(src.CredentialsFiles),
		config.WithLogger(newSDKLogger()),
	}
	if c.profile != "" {
		load = append(load, config.WithSharedConfigProfile(c.profile))
	}
	if c.region != "" {
		load = append(load, config.WithRegion(c.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil && c.profile != "" {
		return aws.Config{}, usagef("--profile %q: %v", c.profile, err)
	}
	if name, v := profileVariable(); err != nil && v != "" && errors.As(err, new(config.SharedConfigProfileNotExistError)) {
		return aws.Config{}, usagef("%s %q: no such profile in %s or %s", name, v,
			strings.Join(src.ConfigFiles, ", "), strings.Join(src.CredentialsFiles, ", "))
	}
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	cfg.Credentials = hintNoSource(cfg.Credentials, src)
	if cfg.Region == "" {
		cfg.Region, err = c.fallbackRegion(ctx, src)
	}
	return cfg, err
}

// regionProfiles are the profiles whose region awssts takes, in order, when neither --region
// nor the environment sets one: the profile the SDK loaded (the source), then the one
// AWS_PROFILE names (under credential_process, the consumer's own profile when it was chosen
// that way: the AWS CLI and the SDKs pass a credential_process neither the profile nor the
// region), then default. A region is not an identity: any profile's will do for STS.
func (c *commonFlags) regionProfiles() []string {
	_, env := profileVariable()
	var names []string
	for _, n := range []string{c.profile, env, "default"} {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// fallbackRegion is the region of the first profile after the SDK's own that sets one, or "".
func (c *commonFlags) fallbackRegion(ctx context.Context, src credcache.Source) (string, error) {
	for _, name := range c.regionProfiles()[1:] {
		sc, err := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
			o.ConfigFiles, o.CredentialsFiles = src.ConfigFiles, src.CredentialsFiles
		})
		switch {
		case errors.As(err, new(config.SharedConfigProfileNotExistError)):
		case err != nil:
			return "", fmt.Errorf("load the region of profile %q: %w", name, err)
		case sc.Region != "":
			return sc.Region, nil
		}
	}
	return "", nil
}

// profileVariable is the variable that names the SDK's profile, as the SDK reads them, and its value.
func profileVariable() (name, value string) {
	for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if v := os.Getenv(name); v != "" {
			return name, v
		}
	}
	return "", ""
}

// lazySTS is an STS client made at its first call, from the full configuration, with creds
// as its credentials unless nil: a cache hit never makes one.
type lazySTS struct{ client func() (*sts.Client, error) }

func newLazySTS(full func() (aws.Config, error), creds aws.CredentialsProvider) lazySTS {
	return lazySTS{client: sync.OnceValues(func() (*sts.Client, error) {
		cfg, err := full()
		if err != nil {
			return nil, err
		}
		if creds != nil {
			cfg = cfg.Copy()
			cfg.Credentials = creds
		}
		return sts.NewFromConfig(cfg), nil
	})}
}

func (l lazySTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	c, err := l.client()
	if err != nil {
		return nil, err
	}
	return c.AssumeRole(ctx, in, optFns...)
}

func (l lazySTS) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, optFns ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	c, err := l.client()
	if err != nil {
		return nil, err
	}
	return c.GetSessionToken(ctx, in, optFns...)
}

package integration

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	region = "us-east-1"

	// testTimeout bounds each test's network calls, so a peer that stops answering fails the
	// test instead of hanging the run.
	testTimeout = 30 * time.Second
)

// isolate keeps the developer's own AWS setup (profiles, keys, endpoints, IMDS) and awssts
// cache out of the SDK's default chain and the awssts command for the rest of the test, and
// points STS at stsURL.
func isolate(t *testing.T, stsURL string) {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
		"AWS_ROLE_SESSION_NAME",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
		"AWS_CA_BUNDLE",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ENDPOINT_URL_STS", stsURL)
	t.Setenv("AWSSTS_CACHE_DIR", t.TempDir()) // the awssts command's cache, of this test alone
}

// sourceConfig loads the SDK's default config, as a program would, with static long-term
// keys as the source credentials.
func sourceConfig(ctx context.Context, t *testing.T, accessKeyID, secret string, optFns ...func(*config.LoadOptions) error) aws.Config {
	t.Helper()
	optFns = append([]func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKeyID, secret, "")),
	}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg
}

// roleConfig is the config of a program that uses the role: p is its credentials provider,
// wrapped in the SDK's own cache by config.WithCredentialsProvider.
func roleConfig(ctx context.Context, t *testing.T, p aws.CredentialsProvider) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithCredentialsProvider(p))
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// isolatedProfile is the one profile of the demo's own shared config file. Selecting it
// explicitly keeps AWS_PROFILE, ~/.aws/config and ~/.aws/credentials out of the demo.
const isolatedProfile = "awssts-quickstart"

// loadConfig is the usual config.LoadDefaultConfig with the region, the credentials and the
// local endpoint given, and nothing read from ~/.aws or AWS_* variables that could override them.
func loadConfig(ctx context.Context, endpoint string, creds aws.CredentialsProvider) (aws.Config, error) {
	file, err := os.CreateTemp("", "awssts-quickstart-*.ini")
	if err != nil {
		return aws.Config{}, err
	}
	defer os.Remove(file.Name())
	_, err = file.WriteString("[profile " + isolatedProfile + "]\n")
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return aws.Config{}, err
	}

	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(creds),
		config.WithBaseEndpoint(endpoint),
		config.WithSharedConfigProfile(isolatedProfile),
		config.WithSharedConfigFiles([]string{file.Name()}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		return aws.Config{}, err
	}
	// AWS_ENDPOINT_URL_STS and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS would otherwise still win.
	cfg.ConfigSources = nil
	cfg.BaseEndpoint = aws.String(endpoint)
	return cfg, nil
}

package awssts_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
)

// The usual set-up: the default chain supplies the source credentials, the Provider assumes
// the role, and every client built from cfg signs with the temporary credentials.
func ExampleNewFromConfig() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p, err := awssts.NewFromConfig(cfg, "arn:aws:iam::123456789012:role/app", func(o *awssts.Options) {
		o.Prefetch = true
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	cfg.Credentials = p // or config.LoadDefaultConfig(ctx, config.WithCredentialsProvider(p))
	client := s3.NewFromConfig(cfg)
	_ = client
}

// Any provider of the default chain (IMDS, the container endpoint, web identity, SSO,
// credential_process) behind the engine: renewed behind the callers, served through an outage.
func ExampleWrap() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p, err := awssts.Wrap(cfg.Credentials, func(o *awssts.WrapOptions) { o.Prefetch = true })
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	cfg.Credentials = p // clients built from cfg use p directly, with no second cache
	_ = s3.NewFromConfig(cfg)
}

// One MFA code for a whole MFA session of role renewals: GetSessionToken with MFA supplies the
// source credentials of the AssumeRole Provider.
func ExampleNewSessionToken() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	mfa, err := awssts.NewSessionToken(sts.NewFromConfig(cfg), func(o *awssts.Options) {
		o.SerialNumber = aws.String("arn:aws:iam::123456789012:mfa/alice")
		o.TokenProvider = stscreds.StdinTokenProvider
	})
	if err != nil {
		log.Fatal(err)
	}
	defer mfa.Close()
	cfg.Credentials = mfa
	p, err := awssts.NewFromConfig(cfg, "arn:aws:iam::123456789012:role/admin", func(o *awssts.Options) { o.Prefetch = true })
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
}

// Stats is cheap to call; export it to metrics or a health check.
func ExampleProvider_Stats() {
	var p *awssts.Provider // from New or NewFromConfig
	if p == nil {
		return
	}
	s := p.Stats()
	if s.LastError != "" && time.Until(s.Expiration) < 5*time.Minute {
		log.Printf("STS failing (%d failures) and credentials expire at %v: %s", s.Failures, s.Expiration, s.LastError)
	}
}

// Env hands the credentials to a child process.
func ExampleEnv() {
	creds := aws.Credentials{
		AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token",
		CanExpire: true, Expires: time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC),
	}
	cmd := exec.Command("aws", "sts", "get-caller-identity")
	cmd.Env = append(os.Environ(), awssts.Env(creds, "eu-west-1")...)
	env := awssts.Env(creds, "eu-west-1")
	fmt.Println(env[len(env)-1])
	// Output: AWS_CREDENTIAL_EXPIRATION=2026-11-28T13:00:00Z
}

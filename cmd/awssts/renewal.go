package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// renewalLog is the role's STS client in serve and exec --serve: each AssumeRole answer that
// gives the Provider credentials, from STS or from the cache, is one line at Info with the
// role, the expiry and the time remaining, on this machine's clock as the cache, /healthz and
// AWS_CREDENTIAL_EXPIRATION give them. Nothing secret is logged.
type renewalLog struct {
	client  stscreds.AssumeRoleAPIClient
	logger  *slog.Logger
	roleARN string
}

func (r renewalLog) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	out, err := r.client.AssumeRole(ctx, in, optFns...)
	if err == nil && out != nil && out.Credentials != nil && out.Credentials.Expiration != nil {
		exp := onThisClock(aws.ToTime(out.Credentials.Expiration), out.ResultMetadata) // a cache hit's is already, and has no metadata
		r.logger.Info("awssts: renewed credentials", "role", r.roleARN, "expires", exp.UTC().Format(time.RFC3339),
			"remaining", time.Until(exp).Round(time.Second).String())
	}
	return out, err
}

// hasCode reports whether err carries the STS error code.
func hasCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

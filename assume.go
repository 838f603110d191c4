package awssts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// ProviderName is the Source of every aws.Credentials a Provider returns.
const ProviderName = "AwsstsProvider"

var tokenCodeChars = regexp.MustCompile(`^[0-9]{6}$`)

// sessionName is the rule from the README: the prefix, then the Unix seconds of the call,
// so every session in CloudTrail says when it began.
func sessionName(prefix string, now time.Time) string {
	return prefix + strconv.FormatInt(now.Unix(), 10)
}

// assumeRole makes one AssumeRole call and turns the answer into aws.Credentials with the
// real STS expiry.
func (p *Provider) assumeRole(ctx context.Context) (aws.Credentials, error) {
	now := time.Now()
	o := &p.options
	in := &sts.AssumeRoleInput{
		RoleArn:           aws.String(p.roleARN),
		RoleSessionName:   aws.String(sessionName(o.RoleSessionNamePrefix, now)),
		DurationSeconds:   aws.Int32(int32(o.Duration / time.Second)),
		ExternalId:        o.ExternalID,
		Policy:            o.Policy,
		PolicyArns:        o.PolicyARNs,
		SerialNumber:      o.SerialNumber,
		SourceIdentity:    o.SourceIdentity,
		Tags:              o.Tags,
		TransitiveTagKeys: o.TransitiveTagKeys,
	}
	if o.SerialNumber != nil {
		code, err := o.TokenProvider()
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("awssts: TokenProvider for MFA device %s: %w", *o.SerialNumber, err)
		}
		if !tokenCodeChars.MatchString(code) {
			return aws.Credentials{}, fmt.Errorf("awssts: TokenProvider for MFA device %s: the code must be 6 digits", *o.SerialNumber)
		}
		in.TokenCode = aws.String(code)
	}

	out, err := p.client.AssumeRole(ctx, in)
	if err != nil {
		return aws.Credentials{}, p.explain(err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.Expiration == nil {
		return aws.Credentials{}, fmt.Errorf("awssts: AssumeRole %s: the response has no credentials", p.roleARN)
	}
	if arrived := time.Now(); !c.Expiration.After(arrived) {
		return aws.Credentials{}, fmt.Errorf("awssts: AssumeRole %s: STS returned credentials that expired at %s, before they arrived at %s; check this machine's clock",
			p.roleARN, c.Expiration.UTC().Format(time.RFC3339), arrived.UTC().Format(time.RFC3339))
	}
	creds := aws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          ProviderName,
		CanExpire:       true,
		Expires:         *c.Expiration,
	}
	if u := out.AssumedRoleUser; u != nil && u.Arn != nil {
		if a, err := arn.Parse(*u.Arn); err == nil {
			creds.AccountID = a.AccountID
		}
	}
	return creds, nil
}

// explain wraps an AssumeRole error, keeping it reachable by errors.As, and says what to
// change for the two duration limits that a Duration setting runs into.
func (p *Provider) explain(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" {
		msg := apiErr.ErrorMessage()
		switch {
		case strings.Contains(msg, "MaxSessionDuration"):
			return fmt.Errorf("awssts: AssumeRole %s: Duration %v is longer than the role's MaxSessionDuration; lower Duration, or raise the role's MaxSessionDuration (up to 12 h): %w",
				p.roleARN, p.options.Duration, err)
		case strings.Contains(msg, "role chaining"):
			return fmt.Errorf("awssts: AssumeRole %s: Duration %v is over the 1 h limit for role chaining (the source credentials are themselves an assumed role); set Duration to 1h or less, or use long-term source credentials: %w",
				p.roleARN, p.options.Duration, err)
		}
	}
	return fmt.Errorf("awssts: AssumeRole %s: %w", p.roleARN, err)
}

package awssts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// ProviderName is the Source of every aws.Credentials that an STS source of a Provider returns.
const ProviderName = "AwsstsProvider"

// New returns a Provider that assumes roleARN with client, usually an *sts.Client. It checks
// every argument against the rules and STS's limits, and makes no STS call itself.
func New(client stscreds.AssumeRoleAPIClient, roleARN string, optFns ...func(*Options)) (*Provider, error) {
	if client == nil {
		return nil, errors.New("awssts: client is nil: pass an *sts.Client, or use NewFromConfig")
	}
	if _, err := parseRoleARN(roleARN); err != nil {
		return nil, err
	}
	o, err := newOptions(optFns)
	if err != nil {
		return nil, err
	}
	src := &assumeRole{client: client, roleARN: roleARN, o: o, mfa: newMFAPrompt(o.SerialNumber, o.TokenProvider)}
	if src.regions, err = newFailover(client, o.FailoverRegions, o.Logger); err != nil {
		return nil, err
	}
	return newProvider(src, o.engine())
}

// NewFromConfig is New with an STS client built from cfg, so cfg.Credentials are the source
// credentials and the SDK's endpoint settings (AWS_ENDPOINT_URL_STS, BaseEndpoint) apply.
func NewFromConfig(cfg aws.Config, roleARN string, optFns ...func(*Options)) (*Provider, error) {
	if cfg.Region == "" {
		return nil, errors.New("awssts: aws.Config.Region is empty: set AWS_REGION or use config.WithRegion")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("awssts: aws.Config.Credentials is nil: the source credentials are missing")
	}
	return New(sts.NewFromConfig(cfg), roleARN, optFns...)
}

// assumeRole is the AssumeRole source, with the session-name and duration rules.
type assumeRole struct {
	client  stscreds.AssumeRoleAPIClient
	roleARN string
	o       Options
	mfa     *mfaPrompt // nil without SerialNumber
	regions *failover  // nil without FailoverRegions
}

func (s *assumeRole) String() string {
	return fmt.Sprintf("AssumeRole %s, Duration: %v", s.roleARN, s.o.Duration)
}

func (s *assumeRole) action() string { return "AssumeRole" }

func (s *assumeRole) credentialSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceSTSAssumeRole}
}

// sessionName is the rule from the README: the prefix, then the Unix seconds of the call,
// so every session in CloudTrail says when it began.
func sessionName(prefix string, now time.Time) string {
	return prefix + strconv.FormatInt(now.Unix(), 10)
}

// fetch makes one AssumeRole call.
func (s *assumeRole) fetch(ctx context.Context) (answer, error) {
	o := &s.o
	in := &sts.AssumeRoleInput{
		RoleArn:           aws.String(s.roleARN),
		RoleSessionName:   aws.String(sessionName(o.RoleSessionNamePrefix, time.Now())),
		DurationSeconds:   aws.Int32(int32(s.duration() / time.Second)),
		ExternalId:        o.ExternalID,
		Policy:            o.Policy,
		PolicyArns:        o.PolicyARNs,
		SerialNumber:      o.SerialNumber,
		SourceIdentity:    o.SourceIdentity,
		Tags:              o.Tags,
		TransitiveTagKeys: o.TransitiveTagKeys,
	}
	if s.mfa != nil {
		code, err := s.mfa.code(ctx)
		if err != nil {
			return answer{}, err
		}
		in.TokenCode = aws.String(code)
	}
	out, region, err := viaRegions(ctx, s.regions, s.client, func(ctx context.Context, c stscreds.AssumeRoleAPIClient, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
		return c.AssumeRole(ctx, in, opts...)
	})
	if err != nil {
		return answer{}, s.explain(err)
	}
	return answer{assumedRole(out.Credentials, out.AssumedRoleUser), ResponseClockSkew(out.ResultMetadata), region,
		time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second}, nil
}

// duration is the DurationSeconds to ask for: Duration, but when the source credentials are a
// NewSessionToken Provider's MFA session, no longer than it has left, so that the role session
// ends with the MFA session. STS takes no less than 15 minutes.
func (s *assumeRole) duration() time.Duration {
	c, ok := s.client.(*sts.Client)
	if !ok {
		return s.o.Duration
	}
	src, ok := c.Options().Credentials.(*Provider)
	if !ok {
		return s.o.Duration
	}
	if _, ok := src.src.(*sessionToken); !ok {
		return s.o.Duration
	}
	end := src.Stats().Expiration
	if end.IsZero() {
		return s.o.Duration
	}
	return max(min(s.o.Duration, time.Until(end).Truncate(time.Second)), minDuration)
}

// regionOf is the region of an *sts.Client, "" for any other client.
func regionOf(client any) string {
	if c, ok := client.(*sts.Client); ok {
		return c.Options().Region
	}
	return ""
}

// stsCredentials turns STS's Credentials into aws.Credentials, with the expiry on STS's clock.
// A nil or incomplete c gives credentials without keys, which the engine rejects.
func stsCredentials(c *types.Credentials) aws.Credentials {
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.Expiration == nil {
		return aws.Credentials{}
	}
	return aws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          ProviderName,
		CanExpire:       true,
		Expires:         *c.Expiration,
	}
}

// assumedRole is stsCredentials with the account of the assumed-role user, when its ARN parses.
func assumedRole(c *types.Credentials, u *types.AssumedRoleUser) aws.Credentials {
	creds := stsCredentials(c)
	if u != nil {
		if a, err := arn.Parse(aws.ToString(u.Arn)); err == nil {
			creds.AccountID = a.AccountID
		}
	}
	return creds
}

// explain wraps an AssumeRole error, keeping it reachable by errors.As.
func (s *assumeRole) explain(err error) error {
	return explainDuration("AssumeRole", s.roleARN, s.o.Duration, err)
}

// explainDuration wraps an error of an action that assumes roleARN, keeping it reachable by
// errors.As, and says what to change for the two duration limits that Duration runs into.
func explainDuration(action, roleARN string, d time.Duration, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" {
		msg := apiErr.ErrorMessage()
		switch {
		case strings.Contains(msg, "MaxSessionDuration"):
			return fmt.Errorf("awssts: %s %s: Duration %v is longer than the role's MaxSessionDuration; lower Duration, or raise the role's MaxSessionDuration (up to 12 h): %w",
				action, roleARN, d, err)
		case strings.Contains(msg, "role chaining"):
			return fmt.Errorf("awssts: %s %s: Duration %v is over the 1 h limit for role chaining (the source credentials are themselves an assumed role); set Duration to 1h or less, or use long-term source credentials: %w",
				action, roleARN, d, err)
		}
	}
	return onePrefix(fmt.Errorf("awssts: %s %s: %w", action, roleARN, err))
}

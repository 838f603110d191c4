package awssts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// GetSessionTokenAPIClient is the STS client NewSessionToken needs, usually an *sts.Client.
type GetSessionTokenAPIClient interface {
	GetSessionToken(context.Context, *sts.GetSessionTokenInput, ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
}

// maxSessionTokenDuration is GetSessionToken's longest session, 36 h.
const maxSessionTokenDuration = 129600 * time.Second

// NewSessionToken returns a Provider that calls GetSessionToken with the long-term keys of
// client, usually with MFA (Options.SerialNumber and TokenProvider). One MFA code then serves
// many AssumeRole renewals: use it as the source credentials of New.
//
//	mfa, _ := awssts.NewSessionToken(sts.NewFromConfig(cfg), func(o *awssts.Options) {
//		o.SerialNumber, o.TokenProvider = aws.String(serial), stscreds.StdinTokenProvider
//	})
//	cfg.Credentials = mfa
//	p, _ := awssts.NewFromConfig(cfg, roleARN) // asks for a code once per MFA session
//
// Duration is 900 s to 129600 s; 0 means DefaultSessionTokenDuration. Options fields that
// GetSessionToken does not take (RoleSessionNamePrefix, ExternalID, Policy, PolicyARNs,
// SourceIdentity, Tags, TransitiveTagKeys) are an error.
func NewSessionToken(client GetSessionTokenAPIClient, optFns ...func(*Options)) (*Provider, error) {
	if client == nil {
		return nil, errors.New("awssts: client is nil: pass an *sts.Client built with long-term keys")
	}
	o := applyOptions(optFns)
	if err := o.reject("GetSessionToken", "RoleSessionNamePrefix", "ExternalID", "Policy", "PolicyARNs", "SourceIdentity", "Tags", "TransitiveTagKeys"); err != nil {
		return nil, err
	}
	if o.Duration == 0 {
		o.Duration = DefaultSessionTokenDuration
	}
	o = o.withDefaults()
	if err := o.validate(maxSessionTokenDuration); err != nil {
		return nil, err
	}
	src := &sessionToken{client: client, o: o, mfa: newMFAPrompt(o.SerialNumber, o.TokenProvider)}
	var err error
	if src.regions, err = newFailover(client, o.FailoverRegions, o.Logger); err != nil {
		return nil, err
	}
	return newProvider(src, o.engine())
}

// sessionToken is the GetSessionToken source.
type sessionToken struct {
	client  GetSessionTokenAPIClient
	o       Options
	mfa     *mfaPrompt // nil without SerialNumber
	regions *failover  // nil without FailoverRegions
}

func (s *sessionToken) action() string { return "GetSessionToken" }

func (s *sessionToken) String() string {
	if s.mfa != nil {
		return fmt.Sprintf("GetSessionToken with MFA device %s, Duration: %v", s.mfa.serial, s.o.Duration)
	}
	return fmt.Sprintf("GetSessionToken, Duration: %v", s.o.Duration)
}

func (s *sessionToken) credentialSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceSTSSessionToken}
}

// fetch asks for the MFA code, if any, and makes one GetSessionToken call.
func (s *sessionToken) fetch(ctx context.Context) (answer, error) {
	in := &sts.GetSessionTokenInput{
		DurationSeconds: aws.Int32(int32(s.o.Duration / time.Second)),
		SerialNumber:    s.o.SerialNumber,
	}
	if s.mfa != nil {
		code, err := s.mfa.code(ctx)
		if err != nil {
			return answer{}, err
		}
		in.TokenCode = aws.String(code)
	}
	out, region, err := viaRegions(ctx, s.regions, s.client, func(ctx context.Context, c GetSessionTokenAPIClient, opts ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
		return c.GetSessionToken(ctx, in, opts...)
	})
	if err != nil {
		return answer{}, onePrefix(fmt.Errorf("awssts: %s: %w", s, err))
	}
	return answer{stsCredentials(out.Credentials), ResponseClockSkew(out.ResultMetadata), region, s.o.Duration}, nil
}

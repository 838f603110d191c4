package awssts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// NewWebIdentity returns a Provider that calls AssumeRoleWithWebIdentity, as workloads on EKS
// (IRSA) and in GitHub Actions (OIDC) get their credentials, with the session-name and duration
// rules of New. The token is read again at every call, so a file that the kubelet rotates is
// followed: pass stscreds.IdentityTokenFile(path). Options fields that this action does not
// take (ExternalID, SerialNumber, TokenProvider, SourceIdentity, Tags, TransitiveTagKeys) are
// an error; Policy and PolicyARNs pass through.
func NewWebIdentity(client stscreds.AssumeRoleWithWebIdentityAPIClient, roleARN string, token stscreds.IdentityTokenRetriever, optFns ...func(*Options)) (*Provider, error) {
	switch {
	case client == nil:
		return nil, errors.New("awssts: client is nil: pass an *sts.Client")
	case token == nil:
		return nil, errors.New("awssts: token is nil: pass stscreds.IdentityTokenFile(path)")
	}
	if _, err := parseRoleARN(roleARN); err != nil {
		return nil, err
	}
	o := applyOptions(optFns)
	if err := o.reject("AssumeRoleWithWebIdentity", "ExternalID", "SerialNumber", "TokenProvider", "SourceIdentity", "Tags", "TransitiveTagKeys"); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if err := o.validate(maxDuration); err != nil {
		return nil, err
	}
	src := &webIdentity{client: client, roleARN: roleARN, token: token, o: o}
	var err error
	if src.regions, err = newFailover(client, o.FailoverRegions, o.Logger); err != nil {
		return nil, err
	}
	return newProvider(src, o.engine())
}

// NewWebIdentityFromEnv is NewWebIdentity for the variables that EKS sets in a pod with an IAM
// role for its service account: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE. The STS client is
// built from cfg, whose credentials are not used: the call is unsigned.
func NewWebIdentityFromEnv(cfg aws.Config, optFns ...func(*Options)) (*Provider, error) {
	roleARN, file := os.Getenv("AWS_ROLE_ARN"), os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE")
	switch {
	case roleARN == "":
		return nil, errors.New("awssts: AWS_ROLE_ARN is not set: it names the role to assume with the web identity token")
	case file == "":
		return nil, errors.New("awssts: AWS_WEB_IDENTITY_TOKEN_FILE is not set: it names the file that holds the token")
	case cfg.Region == "":
		return nil, errors.New("awssts: aws.Config.Region is empty: set AWS_REGION or use config.WithRegion")
	}
	return NewWebIdentity(sts.NewFromConfig(cfg), roleARN, stscreds.IdentityTokenFile(file), optFns...)
}

// webIdentity is the AssumeRoleWithWebIdentity source.
type webIdentity struct {
	client  stscreds.AssumeRoleWithWebIdentityAPIClient
	roleARN string
	token   stscreds.IdentityTokenRetriever
	o       Options
	regions *failover // nil without FailoverRegions
}

func (s *webIdentity) String() string {
	return fmt.Sprintf("AssumeRoleWithWebIdentity %s, Duration: %v", s.roleARN, s.o.Duration)
}

func (s *webIdentity) action() string { return "AssumeRoleWithWebIdentity" }

func (s *webIdentity) credentialSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceSTSAssumeRoleWebID}
}

// fetch reads the token and makes one AssumeRoleWithWebIdentity call. An IdP that STS could
// not reach is retried as the SDK retries throttling.
func (s *webIdentity) fetch(ctx context.Context) (answer, error) {
	token, err := s.token.GetIdentityToken()
	if err != nil {
		return answer{}, fmt.Errorf("awssts: %s: read the web identity token: %w", s, err)
	}
	in := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(s.roleARN),
		RoleSessionName:  aws.String(sessionName(s.o.RoleSessionNamePrefix, time.Now())),
		WebIdentityToken: aws.String(string(token)),
		DurationSeconds:  aws.Int32(int32(s.o.Duration / time.Second)),
		Policy:           s.o.Policy,
		PolicyArns:       s.o.PolicyARNs,
	}
	out, region, err := viaRegions(ctx, s.regions, s.client, func(ctx context.Context, c stscreds.AssumeRoleWithWebIdentityAPIClient, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return c.AssumeRoleWithWebIdentity(ctx, in, append([]func(*sts.Options){func(o *sts.Options) {
			o.Retryer = retry.AddWithErrorCodes(o.Retryer, "IDPCommunicationError")
		}}, opts...)...)
	})
	if err != nil {
		return answer{}, s.explain(err)
	}
	return answer{assumedRole(out.Credentials, out.AssumedRoleUser), ResponseClockSkew(out.ResultMetadata), region, s.o.Duration}, nil
}

// explain wraps an AssumeRoleWithWebIdentity error, keeping it reachable by errors.As, and
// says what the web-identity errors mean.
func (s *webIdentity) explain(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "InvalidIdentityToken":
			return fmt.Errorf("awssts: AssumeRoleWithWebIdentity %s: STS rejected the token: check its issuer, audience and signature against the role's OIDC provider and trust policy: %w", s.roleARN, err)
		case "ExpiredTokenException", "ExpiredToken":
			return fmt.Errorf("awssts: AssumeRoleWithWebIdentity %s: the web identity token has expired: its issuer must rotate it (the kubelet rewrites the projected file): %w", s.roleARN, err)
		case "IDPCommunicationError":
			return fmt.Errorf("awssts: AssumeRoleWithWebIdentity %s: STS could not reach the identity provider to check the token; it is retried: %w", s.roleARN, err)
		}
	}
	return explainDuration("AssumeRoleWithWebIdentity", s.roleARN, s.o.Duration, err)
}

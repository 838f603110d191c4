package ststest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/awssts/awssts/ststest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRole   = "arn:aws:iam::111122223333:role/deploy"
	longRole   = "arn:aws:iam::111122223333:role/long" // MaxSessionDuration 12 h
)

// newServer starts a server with the test user and two roles, closed when the test ends.
func newServer(t *testing.T) *ststest.Server {
	t.Helper()
	srv := ststest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddUser(testKeyID, testSecret)
	srv.AddRole(testRole, time.Hour)
	srv.AddRole(longRole, 12*time.Hour)
	return srv
}

// newClient returns an unmodified SDK STS client for srv that signs with creds. It does not
// retry unless an option says so.
func newClient(srv *ststest.Server, creds aws.Credentials, optFns ...func(*sts.Options)) *sts.Client {
	opts := sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
		Retryer:      aws.NopRetryer{},
	}
	return sts.New(opts, optFns...)
}

func userCreds() aws.Credentials {
	return aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
}

// fastRetries retries like the SDK's standard retryer, without waiting between attempts.
func fastRetries(o *sts.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func assumeRole(ctx context.Context, c *sts.Client, roleARN, session string, duration int32) (*sts.AssumeRoleOutput, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)}
	if duration != 0 {
		in.DurationSeconds = aws.Int32(duration)
	}
	return c.AssumeRole(ctx, in)
}

// issue assumes testRole as the test user and returns the credentials.
func issue(t *testing.T, srv *ststest.Server, duration int32) aws.Credentials {
	t.Helper()
	out, err := assumeRole(t.Context(), newClient(srv, userCreds()), testRole, "issued", duration)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return sdkCreds(out)
}

func staticSource(c aws.Credentials) aws.CredentialsProvider {
	return credentials.StaticCredentialsProvider{Value: c}
}

func sdkCreds(out *sts.AssumeRoleOutput) aws.Credentials {
	c := out.Credentials
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
}

// checkAPIError fails t unless err is the STS error code with HTTP status, parsed by the SDK.
func checkAPIError(t *testing.T, err error, status int, code string) smithy.APIError {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want an STS API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("error code = %q (%v), want %q", apiErr.ErrorCode(), err, code)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) {
		t.Fatalf("error %v has no HTTP response", err)
	}
	if got := respErr.HTTPStatusCode(); got != status {
		t.Errorf("HTTP status = %d, want %d (%s)", got, status, http.StatusText(status))
	}
	if respErr.ServiceRequestID() == "" {
		t.Error("error has no RequestId")
	}
	return apiErr
}

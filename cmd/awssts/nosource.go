package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/smithy-go/logging"

	"github.com/awssts/awssts/internal/credcache"
)

// noSourceError is the SDK's default chain ending at EC2 instance metadata (IMDS) with
// nothing found: the user has given no source credentials, and needs to hear how to, not
// the IMDS client's error.
type noSourceError struct {
	profile string
	files   []string
	err     error
}

func (e *noSourceError) Error() string {
	return fmt.Sprintf("no source credentials found: none in the environment (AWS_ACCESS_KEY_ID), in profile %q (%s), "+
		"no container endpoint is set (AWS_CONTAINER_CREDENTIALS_FULL_URI) and EC2 instance metadata (IMDS) gave none; "+
		"name a profile that holds them with --profile or AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		e.profile, strings.Join(e.files, ", "))
}

func (e *noSourceError) Unwrap() error { return e.err }

// imdsSource turns the failure of the SDK's last resort, IMDS, into a noSourceError. Other
// sources are left as they are: the user chose them, and their errors say what is wrong.
type imdsSource struct {
	aws.CredentialsProvider
	src credcache.Source
}

// hintNoSource wraps creds when the SDK resolved them to IMDS, its last resort.
func hintNoSource(creds aws.CredentialsProvider, src credcache.Source) aws.CredentialsProvider {
	if creds == nil || !aws.IsCredentialsProvider(creds, (*ec2rolecreds.Provider)(nil)) {
		return creds
	}
	return imdsSource{creds, src}
}

func (s imdsSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := s.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		profile := s.src.Profile
		if profile == "" {
			profile = "default"
		}
		return c, &noSourceError{profile: profile, files: append(s.src.ConfigFiles[:len(s.src.ConfigFiles):len(s.src.ConfigFiles)], s.src.CredentialsFiles...), err: err}
	}
	return c, nil
}

// sdkLogger is the SDK's stderr logger without the IMDS client's "falling back to IMDSv1"
// warning, which every machine that is not on EC2 would otherwise print before the
// noSourceError that says what to do.
type sdkLogger struct{ logging.Logger }

func newSDKLogger() sdkLogger { return sdkLogger{logging.NewStandardLogger(os.Stderr)} }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	if strings.HasPrefix(format, "falling back to IMDSv1") {
		return
	}
	l.Logger.Logf(c, format, v...)
}

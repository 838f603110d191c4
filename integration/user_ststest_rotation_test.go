package integration

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts/ststest"
)

// A user tests "what happens when the source key is rotated" with ststest: AddUser gives the
// key ID a new secret, and a client still signing with the old one must be refused. ststest
// re-signs with a package-level v4.Signer, whose derived-key cache is keyed by access key ID,
// region, service and day, not by the secret, so the old secret keeps working all day.
//
// Expected: after AddUser(id, newSecret), a request signed with the old secret gets
// SignatureDoesNotMatch.
func TestUser_ststest_RotatedSecretIsRefused(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	const id = "AKIAROTATED000000001"
	srv.AddUser(id, "old-secret")
	client := sts.New(sts.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(id, "old-secret", ""),
	})
	ctx := context.Background()
	if _, err := client.GetCallerIdentity(ctx, nil); err != nil {
		t.Fatalf("with the secret on file: %v", err)
	}
	srv.AddUser(id, "new-secret")
	_, err := client.GetCallerIdentity(ctx, nil)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("signed with the replaced secret: %v; want SignatureDoesNotMatch", err)
	}
}

package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/awssts/awssts"
)

// MinIO ignores the role ARN, but the Provider still checks it, so any well-formed one will do.
const minioRole = "arn:aws:iam::123456789012:role/awssts-minio"

// minioProvider returns a Provider whose source is the MinIO root user, with wrongSecret in
// place of its password unless that is "".
func minioProvider(ctx context.Context, t *testing.T, wrongSecret string, optFns ...func(*awssts.Options)) (*awssts.Provider, map[string]string) {
	t.Helper()
	env := minio.require(t)
	isolate(t, env["AWSSTS_MINIO_ENDPOINT"])
	secret := env["AWSSTS_MINIO_ROOT_PASSWORD"]
	if wrongSecret != "" {
		secret = wrongSecret
	}
	minioSTSReady.Do(func() {
		waitMinIOSTS(ctx, t, sourceConfig(ctx, t, env["AWSSTS_MINIO_ROOT_USER"], env["AWSSTS_MINIO_ROOT_PASSWORD"]))
	})
	cfg := sourceConfig(ctx, t, env["AWSSTS_MINIO_ROOT_USER"], secret)
	p, err := awssts.NewFromConfig(cfg, minioRole, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, env
}

var minioSTSReady sync.Once

// waitMinIOSTS polls AssumeRole with the root user until MinIO stops answering "Server not
// initialized": /minio/health/ready turns 200 before its IAM subsystem can serve STS.
func waitMinIOSTS(ctx context.Context, t *testing.T, cfg aws.Config) {
	t.Helper()
	client := sts.NewFromConfig(cfg)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(minioRole), RoleSessionName: aws.String("ready-probe")})
		if err == nil || !strings.Contains(err.Error(), "not initialized") {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("MinIO's STS is still not initialized: %v", err)
		case <-tick.C:
		}
	}
}

// TestMinIOS3RoundTrip assumes a role at MinIO, which checks SigV4 on AssumeRole, and then
// uses the temporary credentials, unchanged, for S3 calls that MinIO also checks.
func TestMinIOS3RoundTrip(t *testing.T) {
	ctx := testContext(t)
	const duration = 1200 * time.Second // not MinIO's default, so the expiry shows it was honoured
	p, env := minioProvider(ctx, t, "", func(o *awssts.Options) { o.Duration = duration })
	before := time.Now()
	creds, err := p.Retrieve(ctx)
	after := time.Now()
	if err != nil {
		t.Fatalf("Retrieve from MinIO with the root user: %v", err)
	}
	if creds.AccessKeyID == "" || creds.AccessKeyID == env["AWSSTS_MINIO_ROOT_USER"] || creds.SessionToken == "" {
		t.Fatalf("credentials %q: want a temporary key with a session token", creds.AccessKeyID)
	}
	checkExpiry(t, p.Stats().Expiration, before, after, duration)

	client := s3.NewFromConfig(roleConfig(ctx, t, p), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(env["AWSSTS_MINIO_ENDPOINT"])
		o.UsePathStyle = true
	})
	bucket := "awssts-" + randomHex(6)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket with the temporary credentials: %v", err)
	}
	body := []byte("assumed through awssts at " + before.UTC().Format(time.RFC3339Nano))
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("hello.txt"), Body: bytes.NewReader(body),
	}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("hello.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("GetObject body = %q, %v; want %q", got, err, body)
	}
	if st := p.Stats(); st.Refreshes != 1 || st.Failures != 0 {
		t.Errorf("Stats = %+v after three S3 calls, want exactly 1 refresh", st)
	}
}

// TestMinIOWrongSecret checks that a source secret MinIO rejects comes back promptly as an
// error that names the role and keeps MinIO's API error reachable, and not as a panic or hang.
func TestMinIOWrongSecret(t *testing.T) {
	ctx := testContext(t)
	const wrong = "not-the-root-password"
	p, _ := minioProvider(ctx, t, wrong)
	creds, err := p.Retrieve(ctx)
	if err == nil {
		t.Fatalf("Retrieve with a wrong secret = %s, want an error", creds.AccessKeyID)
	}
	if ctx.Err() != nil {
		t.Fatalf("Retrieve returned only when the test deadline passed: %v", err)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %q (%T): want errors.As to find a smithy.APIError", err, err)
	}
	// MinIO answers AccessDenied where AWS says SignatureDoesNotMatch; the message is the same.
	if code := apiErr.ErrorCode(); code != "AccessDenied" && code != "SignatureDoesNotMatch" {
		t.Errorf("API error code = %q, want AccessDenied or SignatureDoesNotMatch", code)
	}
	if !strings.Contains(apiErr.ErrorMessage(), "signature") {
		t.Errorf("API error message = %q, want MinIO's word that the signature does not match", apiErr.ErrorMessage())
	}
	msg := err.Error()
	if !strings.Contains(msg, "AssumeRole") || !strings.Contains(msg, minioRole) || !strings.Contains(msg, apiErr.ErrorCode()) {
		t.Errorf("error %q: want it to name AssumeRole, the role and the STS error code", msg)
	}
	if strings.Contains(msg, wrong) {
		t.Errorf("error %q contains the source secret", msg)
	}
	if st := p.Stats(); st.Failures != 1 || st.Refreshes != 0 || st.LastError == "" {
		t.Errorf("Stats = %+v, want one failure and no refresh", st)
	}
}

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awssts/awssts"
)

// TestMotoWebIdentity assumes a role with a web identity token from a file, as on EKS, through
// NewWebIdentityFromEnv; moto records the session name, and the credentials it issued sign a
// GetCallerIdentity that names it.
func TestMotoWebIdentity(t *testing.T) {
	isolate(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"])
	ctx := testContext(t)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAifQ."), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ROLE_ARN", motoRole("awssts-irsa"))
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", file)
	cfg := sourceConfig(ctx, t, motoAccessKey, motoSecret)
	p, err := awssts.NewWebIdentityFromEnv(cfg, func(o *awssts.Options) { o.Duration = 1800 * time.Second })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	before := time.Now()
	creds, err := p.Retrieve(ctx)
	after := time.Now()
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	checkASIA(t, creds)
	checkExpiry(t, p.Stats().Expiration, before, after, 1800*time.Second)
	arn := callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, p)))
	checkSessionARN(t, arn, "awssts-irsa", before, after)
}

// TestMotoSessionTokenThenRole gets session credentials with GetSessionToken (moto checks no
// MFA code) and assumes a role with them: the MFA-once pattern against a server we did not
// write. The session name reaches GetCallerIdentity.
func TestMotoSessionTokenThenRole(t *testing.T) {
	isolate(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"])
	ctx := testContext(t)
	cfg := sourceConfig(ctx, t, motoAccessKey, motoSecret)
	prompts := 0
	session, err := awssts.NewSessionToken(sts.NewFromConfig(cfg), func(o *awssts.Options) {
		o.Duration = 3 * time.Hour
		o.SerialNumber = aws.String("arn:aws:iam::" + motoAccount + ":mfa/awssts")
		o.TokenProvider = func() (string, error) { prompts++; return "123456", nil }
	})
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	sessionCreds, err := session.Retrieve(ctx)
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	if sessionCreds.SessionToken == "" || !sessionCreds.CanExpire || !session.Stats().Expiration.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("session credentials %s: want a session token and a 3 h expiry, Stats %+v", sessionCreds.AccessKeyID, session.Stats())
	}

	cfg.Credentials = session
	role, err := awssts.NewFromConfig(cfg, motoRole("awssts-mfa"))
	if err != nil {
		t.Fatal(err)
	}
	defer role.Close()
	before := time.Now()
	for range 3 {
		role.Invalidate()
		if _, err := role.Retrieve(ctx); err != nil {
			t.Fatalf("AssumeRole with the session credentials: %v", err)
		}
	}
	after := time.Now()
	if prompts != 1 {
		t.Errorf("%d MFA prompts for three AssumeRole calls, want 1", prompts)
	}
	arn := callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, role)))
	checkSessionARN(t, arn, "awssts-mfa", before, after)
	if strings.Contains(arn, sessionCreds.AccessKeyID) {
		t.Errorf("caller ARN %s names the session key", arn)
	}
}

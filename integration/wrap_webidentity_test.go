package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const webIdentitySession = "awssts-wrap-web-identity"

var webIdentityKey = regexp.MustCompile(`<AssumeRoleWithWebIdentityResult>[\s\S]*?<AccessKeyId>([^<]+)</AccessKeyId>`)

// webIdentity is the source of EKS's IRSA and GitHub Actions' OIDC: a role ARN and a token file
// in the environment, for the SDK's stscreds.WebIdentityRoleProvider. Its
// AssumeRoleWithWebIdentity calls go to moto through a gate, which records the keys moto
// issued. moto does not check the token.
type webIdentity struct {
	*gate
	env  map[string]string
	life config.LoadOptionsFunc // the DurationSeconds the provider asks for
}

func newWebIdentity(t *testing.T, motoURL, role string, life time.Duration) *webIdentity {
	t.Helper()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhd3NzdHMifQ."), 0o600); err != nil {
		t.Fatal(err)
	}
	g := newGate(t, motoURL, func(body []byte) []string {
		if m := webIdentityKey.FindSubmatch(body); m != nil {
			return []string{string(bytes.TrimSpace(m[1]))}
		}
		return nil
	})
	return &webIdentity{
		gate: g,
		env: map[string]string{
			"AWS_ROLE_ARN":                role,
			"AWS_WEB_IDENTITY_TOKEN_FILE": token,
			"AWS_ROLE_SESSION_NAME":       webIdentitySession,
			"AWS_ENDPOINT_URL_STS":        g.URL(),
		},
		life: config.WithWebIdentityRoleCredentialOptions(func(o *stscreds.WebIdentityRoleOptions) { o.Duration = life }),
	}
}

// TestWrapWebIdentity_RenewalsReachSTS: the default chain finds the web identity through
// AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, and each of Wrap's renewals is an
// AssumeRoleWithWebIdentity call to moto that brings new keys, on demand and from the prefetch
// goroutine. moto knows the last keys as a session of the role.
func TestWrapWebIdentity_RenewalsReachSTS(t *testing.T) {
	motoURL := moto.require(t)["AWSSTS_MOTO_ENDPOINT"]
	ctx := testContext(t)
	w := newWebIdentity(t, motoURL, motoRole("awssts-web-identity"), shortLife)
	cfg := defaultChain(ctx, t, w.env, w.life)
	p := wrapChain(t, &cfg)
	checkRenewals(ctx, t, cfg, p, w, stscreds.WebIdentityProviderName, aws.CredentialSourceEnvVarsSTSWebIDToken)
	if t.Failed() {
		return
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkASIA(t, c)
	static := credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	arn := callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, static)))
	if want := "arn:aws:sts::" + motoAccount + ":assumed-role/awssts-web-identity/" + webIdentitySession; arn != want {
		t.Errorf("moto says the keys are %s's, want %s", arn, want)
	}
}

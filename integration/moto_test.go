package integration

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awssts/awssts"
)

// moto checks no signatures, so any long-term key pair will do as the source.
const (
	motoAccount   = "111122223333"
	motoAccessKey = "AKIAIOSFODNN7EXAMPLE"
	motoSecret    = "moto-does-not-check-this-secret"

	// clockSlack allows for moto's fractional seconds and the time between our clock readings
	// and moto's; both run on this machine.
	clockSlack = 2 * time.Second
)

func motoRole(name string) string { return "arn:aws:iam::" + motoAccount + ":role/" + name }

// TestMotoProvider assumes a role through NewFromConfig with AWS_ENDPOINT_URL_STS pointing at
// moto, and checks the credentials, the real expiry and the session name moto recorded.
func TestMotoProvider(t *testing.T) {
	isolate(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"])
	ctx := testContext(t)
	const duration, window = 1800 * time.Second, 300 * time.Second
	rec := &recorder{}
	cfg := sourceConfig(ctx, t, motoAccessKey, motoSecret)
	cfg.APIOptions = append(cfg.APIOptions, rec.apiOption)
	p, err := awssts.NewFromConfig(cfg, motoRole("awssts-provider"), func(o *awssts.Options) {
		o.Duration, o.ExpiryWindow = duration, window
	})
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
	if creds.AccountID != motoAccount {
		t.Errorf("AccountID = %q, want %q from the assumed-role ARN", creds.AccountID, motoAccount)
	}
	if creds.Source != awssts.ProviderName {
		t.Errorf("Source = %q, want %q", creds.Source, awssts.ProviderName)
	}

	st := p.Stats()
	if st.Refreshes != 1 || st.Failures != 0 || st.LastError != "" {
		t.Errorf("Stats = %+v, want 1 refresh and no failure", st)
	}
	if calls := rec.snapshot(); len(calls) != 1 || calls[0].sent != int32(duration/time.Second) {
		t.Errorf("AssumeRole calls = %+v, want one with DurationSeconds %d", calls, int(duration/time.Second))
	}
	checkExpiry(t, st.Expiration, before, after, duration)
	if want := st.Expiration.Add(-window); !creds.Expires.Equal(want) {
		t.Errorf("Retrieve's Expires = %v, want the real expiry %v minus ExpiryWindow %v", creds.Expires, st.Expiration, window)
	}

	// The temporary keys, through the SDK's own cache, sign a GetCallerIdentity that moto
	// answers from the AssumeRole it recorded for that access key.
	arn := callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, p)))
	checkSessionARN(t, arn, "awssts-provider", before, after)
	if st := p.Stats(); st.Refreshes != 1 {
		t.Errorf("Refreshes = %d after using the credentials, want still 1", st.Refreshes)
	}
}

// TestMotoDefaultRules checks the build's default Duration, ExpiryWindow and session prefix
// on the wire, with no options set.
func TestMotoDefaultRules(t *testing.T) {
	isolate(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"])
	ctx := testContext(t)
	p, err := awssts.NewFromConfig(sourceConfig(ctx, t, motoAccessKey, motoSecret), motoRole("awssts-defaults"))
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
	st := p.Stats()
	checkExpiry(t, st.Expiration, before, after, wantDuration)
	if want := st.Expiration.Add(-wantExpiryWindow); !creds.Expires.Equal(want) {
		t.Errorf("Retrieve's Expires = %v, want the real expiry %v minus %v", creds.Expires, st.Expiration, wantExpiryWindow)
	}
	checkSessionARN(t, callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, p))), "awssts-defaults", before, after)
}

// TestMotoGet checks that Get builds its STS client from the default config, so
// AWS_ENDPOINT_URL_STS reaches moto, and that repeated calls share one set of credentials.
func TestMotoGet(t *testing.T) {
	isolate(t, moto.require(t)["AWSSTS_MOTO_ENDPOINT"])
	ctx := testContext(t)
	role := motoRole("awssts-get")
	first, err := awssts.Get(ctx, motoAccessKey, motoSecret, role, region)
	after := time.Now()
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	checkASIA(t, first)
	second, err := awssts.Get(ctx, motoAccessKey, motoSecret, role, region)
	if err != nil {
		t.Fatalf("second Get: %v", err)
	}
	if second.AccessKeyID != first.AccessKeyID || second.SessionToken != first.SessionToken {
		t.Errorf("second Get returned %s, want the cached %s", second.AccessKeyID, first.AccessKeyID)
	}
	other, err := awssts.Get(ctx, motoAccessKey, motoSecret, motoRole("awssts-get-other"), region)
	if err != nil {
		t.Fatalf("Get for another role: %v", err)
	}
	if other.AccessKeyID == first.AccessKeyID {
		t.Errorf("Get for another role returned the same key %s, want its own", other.AccessKeyID)
	}

	static := credentials.NewStaticCredentialsProvider(first.AccessKeyID, first.SecretAccessKey, first.SessionToken)
	arn := callerARN(t, sts.NewFromConfig(roleConfig(ctx, t, static)))
	// An earlier run in this process (-count) may have made the shared Provider, so the
	// session may be older than this test.
	checkSessionARN(t, arn, "awssts-get", time.Unix(0, 0), after)
}

func checkASIA(t *testing.T, c aws.Credentials) {
	t.Helper()
	if !regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`).MatchString(c.AccessKeyID) {
		t.Errorf("AccessKeyID = %q, want ASIA and 16 more characters", c.AccessKeyID)
	}
	if c.SecretAccessKey == "" || c.SessionToken == "" || !c.CanExpire {
		t.Errorf("credentials %s: want a secret, a session token and CanExpire", c.AccessKeyID)
	}
}

// checkExpiry checks that the real expiry is d after the AssumeRole call, which happened
// between before and after.
func checkExpiry(t *testing.T, exp, before, after time.Time, d time.Duration) {
	t.Helper()
	lo, hi := before.Add(d-clockSlack), after.Add(d+clockSlack)
	if exp.Before(lo) || exp.After(hi) {
		t.Errorf("Expiration = %v, want %v after the call (between %v and %v)", exp, d, lo, hi)
	}
}

// callerARN asks moto who the client's credentials belong to. moto looks the access key up
// among the roles it issued; for a key it did not issue it answers user/moto.
func callerARN(t *testing.T, client *sts.Client) string {
	t.Helper()
	out, err := client.GetCallerIdentity(testContext(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Account) != motoAccount {
		t.Errorf("GetCallerIdentity Account = %q, want %q", aws.ToString(out.Account), motoAccount)
	}
	return aws.ToString(out.Arn)
}

// checkSessionARN checks that arn is the assumed role's, with a session named by the rule:
// the build's prefix and the Unix seconds of an AssumeRole call made between before and after.
func checkSessionARN(t *testing.T, arn, role string, before, after time.Time) {
	t.Helper()
	want := "arn:aws:sts::" + motoAccount + ":assumed-role/" + role + "/" + wantSessionPrefix
	secs, ok := strings.CutPrefix(arn, want)
	if !ok {
		t.Fatalf("caller ARN = %q, want %s<unix seconds>", arn, want)
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || n < before.Unix() || n > after.Unix() {
		t.Errorf("session name time %q: want Unix seconds from %d to %d", secs, before.Unix(), after.Unix())
	}
}

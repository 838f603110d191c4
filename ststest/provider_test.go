package ststest_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// End-to-end tests: an awssts.Provider built by NewFromConfig with the SDK's own STS client,
// talking HTTP to the server.

var sessionNameRule = regexp.MustCompile(`^` + regexp.QuoteMeta(awssts.DefaultRoleSessionNamePrefix) + `[0-9]+$`)

// providerConfig is an aws.Config for srv whose source credentials are creds. retryer nil
// means the SDK's default.
func providerConfig(srv *ststest.Server, creds aws.CredentialsProvider, retryer func() aws.Retryer) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  creds,
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   srv.Client(),
		Retryer:      retryer,
	}
}

func noRetries() aws.Retryer { return aws.NopRetryer{} }

func quickRetries() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func userSource() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")
}

func newProvider(t *testing.T, cfg aws.Config, roleARN string, optFns ...func(*awssts.Options)) *awssts.Provider {
	t.Helper()
	p, err := awssts.NewFromConfig(cfg, roleARN, optFns...)
	if err != nil {
		t.Fatalf("NewFromConfig: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestProviderAssumesRole(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
	creds, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !asiaKeyID.MatchString(creds.AccessKeyID) || creds.SessionToken == "" || creds.AccountID != "111122223333" || !creds.CanExpire {
		t.Errorf("credentials: key %q, account %q, CanExpire %v", creds.AccessKeyID, creds.AccountID, creds.CanExpire)
	}
	st := p.Stats()
	if st.Refreshes != 1 || st.AccessKeyID != creds.AccessKeyID || !creds.Expires.Equal(st.Expiration.Add(-awssts.DefaultExpiryWindow)) {
		t.Errorf("Stats = %+v; Expires %v, want Expiration minus %v", st, creds.Expires, awssts.DefaultExpiryWindow)
	}
	again, err := p.Retrieve(t.Context())
	if err != nil || again.AccessKeyID != creds.AccessKeyID {
		t.Errorf("second Retrieve = %q, %v; want the cached %q", again.AccessKeyID, err, creds.AccessKeyID)
	}

	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d STS calls, want 1", len(calls))
	}
	if c := calls[0]; !sessionNameRule.MatchString(c.RoleSessionName) || c.DurationSeconds != int32(awssts.DefaultDuration/time.Second) {
		t.Errorf("AssumeRole call = %+v, want session %s<unix seconds> for %v", c, awssts.DefaultRoleSessionNamePrefix, awssts.DefaultDuration)
	}
	id, err := newClient(srv, creds).GetCallerIdentity(t.Context(), nil)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if want := "arn:aws:sts::111122223333:assumed-role/deploy/" + calls[0].RoleSessionName; aws.ToString(id.Arn) != want {
		t.Errorf("caller = %q, want %q", aws.ToString(id.Arn), want)
	}
}

func TestProviderPassesOptions(t *testing.T) {
	srv := newServer(t)
	srv.AddMFADevice("arn:aws:iam::123456789012:mfa/ststest", "123456")
	p := newProvider(t, providerConfig(srv, userSource(), noRetries), longRole, func(o *awssts.Options) {
		o.Duration = 2 * time.Hour
		o.RoleSessionNamePrefix = "ci-job-7-"
		o.ExternalID = aws.String("ext-42")
		o.SerialNumber = aws.String("arn:aws:iam::123456789012:mfa/ststest")
		o.TokenProvider = func() (string, error) { return "123456", nil }
	})
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	c := srv.Calls()[0]
	if !strings.HasPrefix(c.RoleSessionName, "ci-job-7-") || c.DurationSeconds != 7200 || c.ExternalID != "ext-42" ||
		c.SerialNumber != "arn:aws:iam::123456789012:mfa/ststest" || c.TokenCode != "123456" {
		t.Errorf("AssumeRole call = %+v", c)
	}
}

// checkProviderError fails t unless Retrieve failed with the STS error code, reachable with
// errors.As through the Provider's wrapping.
func checkProviderError(t *testing.T, p *awssts.Provider, code string, wantText ...string) {
	t.Helper()
	creds, err := p.Retrieve(t.Context())
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Fatalf("Retrieve = %q, %v; want STS error %s", creds.AccessKeyID, err, code)
	}
	for _, s := range wantText {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if st := p.Stats(); st.Failures != 1 || !strings.Contains(st.LastError, code) {
		t.Errorf("Stats = %+v, want 1 failure with %s", st, code)
	}
}

func TestProviderSTSErrors(t *testing.T) {
	srv := newServer(t)
	expired := func() aws.Credentials {
		srv.Fail(ststest.ExpiredCredentials, 1)
		return issue(t, srv, 0)
	}()
	chained := issue(t, srv, 0)
	static := func(c aws.Credentials) aws.CredentialsProvider {
		return credentials.StaticCredentialsProvider{Value: c}
	}

	for _, tc := range []struct {
		name     string
		source   aws.CredentialsProvider
		role     string
		duration time.Duration
		code     string
		text     []string
	}{
		{"unknown key", static(aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000000", SecretAccessKey: "x"}), testRole, 0, "InvalidClientTokenId", nil},
		{"wrong secret", static(aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: "x"}), testRole, 0, "SignatureDoesNotMatch", nil},
		{"expired source", static(expired), testRole, 0, "ExpiredToken", nil},
		{"unknown role", userSource(), "arn:aws:iam::111122223333:role/nobody", 0, "AccessDenied", []string{"not authorized to perform: sts:AssumeRole"}},
		{"over MaxSessionDuration", userSource(), testRole, 2 * time.Hour, "ValidationError", []string{"2h0m0s", "MaxSessionDuration"}},
		{"role chaining over 1 h", static(chained), longRole, 2 * time.Hour, "ValidationError", []string{"2h0m0s", "role chaining"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t, providerConfig(srv, tc.source, noRetries), tc.role, func(o *awssts.Options) { o.Duration = tc.duration })
			checkProviderError(t, p, tc.code, tc.text...)
		})
	}
}

// The limits that STS answers with ValidationError are checked by New, so they never cost a call.
func TestProviderRejectsWhatSTSWould(t *testing.T) {
	srv := newServer(t)
	for name, fn := range map[string]func(*awssts.Options){
		"duration below 900 s":     func(o *awssts.Options) { o.Duration = 899 * time.Second },
		"duration above 43200 s":   func(o *awssts.Options) { o.Duration = 43201 * time.Second },
		"session name too long":    func(o *awssts.Options) { o.RoleSessionNamePrefix = strings.Repeat("a", 60) },
		"session name with ':'":    func(o *awssts.Options) { o.RoleSessionNamePrefix = "a:b-" },
		"session name with spaces": func(o *awssts.Options) { o.RoleSessionNamePrefix = "a b-" },
	} {
		if _, err := awssts.NewFromConfig(providerConfig(srv, userSource(), noRetries), testRole, fn); err == nil {
			t.Errorf("%s: NewFromConfig accepted it", name)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d STS calls, want none", n)
	}
}

func TestProviderRoleChaining(t *testing.T) {
	srv := newServer(t)
	first := newProvider(t, providerConfig(srv, userSource(), noRetries), testRole)
	second := newProvider(t, providerConfig(srv, first, noRetries), longRole, func(o *awssts.Options) { o.Duration = time.Hour })
	creds, err := second.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("chained Retrieve: %v", err)
	}
	id, err := newClient(srv, creds).GetCallerIdentity(t.Context(), nil)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	calls := srv.Calls()
	if len(calls) != 3 || calls[1].AccessKeyID != first.Stats().AccessKeyID {
		t.Fatalf("calls = %+v, want the second AssumeRole signed by the first role's key", calls)
	}
	if want := "arn:aws:sts::111122223333:assumed-role/long/" + calls[1].RoleSessionName; aws.ToString(id.Arn) != want {
		t.Errorf("caller = %q, want %q", aws.ToString(id.Arn), want)
	}
}

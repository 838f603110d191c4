package awssts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

func TestNew_BadInput_NamesFieldAndRange_NoSTSCall(t *testing.T) {
	long := strings.Repeat("a", 55)
	cases := []struct {
		name, roleARN string
		opt           func(*Options)
		want          []string
	}{
		{"empty ARN", "", nil, []string{"roleARN", "arn:aws:iam::123456789012:role/NAME"}},
		{"user ARN", "arn:aws:iam::123456789012:user/bob", nil, []string{"roleARN", "IAM role ARN"}},
		{"s3 ARN", "arn:aws:s3:::bucket", nil, []string{"roleARN"}},
		{"role without name", "arn:aws:iam::123456789012:role/", nil, []string{"roleARN"}},
		{"prefix too long", testRoleARN, func(o *Options) { o.RoleSessionNamePrefix = long }, []string{"RoleSessionNamePrefix", "55", "at most 54"}},
		{"prefix bad char", testRoleARN, func(o *Options) { o.RoleSessionNamePrefix = "a b" }, []string{"RoleSessionNamePrefix", "+=,.@_-"}},
		{"duration short", testRoleARN, func(o *Options) { o.Duration = 899 * time.Second }, []string{"Duration", "14m59s", "900 s", "43200 s"}},
		{"duration long", testRoleARN, func(o *Options) { o.Duration = 12*time.Hour + time.Second }, []string{"Duration", "43200 s"}},
		{"duration fraction", testRoleARN, func(o *Options) { o.Duration = time.Hour + time.Millisecond }, []string{"Duration", "whole seconds"}},
		{"duration negative", testRoleARN, func(o *Options) { o.Duration = -time.Hour }, []string{"Duration", "900 s"}},
		{"window negative", testRoleARN, func(o *Options) { o.ExpiryWindow = -time.Second }, []string{"ExpiryWindow", "more than 0", "less than Duration"}},
		{"window = duration", testRoleARN, func(o *Options) { o.Duration = 900 * time.Second; o.ExpiryWindow = 900 * time.Second }, []string{"ExpiryWindow", "15m0s"}},
		{"external id short", testRoleARN, func(o *Options) { o.ExternalID = aws.String("x") }, []string{"ExternalID", "2 to 1224"}},
		{"external id chars", testRoleARN, func(o *Options) { o.ExternalID = aws.String("a b") }, []string{"ExternalID"}},
		{"serial short", testRoleARN, func(o *Options) {
			o.SerialNumber = aws.String("arn:x")
			o.TokenProvider = func() (string, error) { return "", nil }
		}, []string{"SerialNumber", "9 to 256"}},
		{"serial no token", testRoleARN, func(o *Options) { o.SerialNumber = aws.String("arn:aws:iam::123456789012:mfa/bob") }, []string{"SerialNumber", "TokenProvider"}},
		{"source identity", testRoleARN, func(o *Options) { o.SourceIdentity = aws.String("a") }, []string{"SourceIdentity", "2 to 64"}},
		{"policy not json", testRoleARN, func(o *Options) { o.Policy = aws.String("{") }, []string{"Policy", "JSON"}},
		{"policy too long", testRoleARN, func(o *Options) { o.Policy = aws.String(strings.Repeat(" ", 2049)) }, []string{"Policy", "1 to 2048"}},
		{"policy arns", testRoleARN, func(o *Options) { o.PolicyARNs = []types.PolicyDescriptorType{{Arn: aws.String("nope")}} }, []string{"PolicyARNs[0]"}},
		{"too many policy arns", testRoleARN, func(o *Options) { o.PolicyARNs = make([]types.PolicyDescriptorType, 11) }, []string{"PolicyARNs", "at most 10"}},
		{"tag key", testRoleARN, func(o *Options) { o.Tags = []types.Tag{{Key: aws.String(""), Value: aws.String("v")}} }, []string{"Tags[0].Key", "1 to 128"}},
		{"tag value", testRoleARN, func(o *Options) { o.Tags = []types.Tag{{Key: aws.String("k"), Value: aws.String("<>")}} }, []string{"Tags[0].Value", "0 to 256"}},
		{"too many tags", testRoleARN, func(o *Options) { o.Tags = make([]types.Tag, 51) }, []string{"Tags", "at most 50"}},
		{"transitive key", testRoleARN, func(o *Options) { o.TransitiveTagKeys = []string{""} }, []string{"TransitiveTagKeys[0]", "1 to 128"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSTS{}
			var opts []func(*Options)
			if tc.opt != nil {
				opts = append(opts, tc.opt, func(o *Options) { o.Prefetch = true })
			}
			p, err := New(f, tc.roleARN, opts...)
			if err == nil {
				p.Close()
				t.Fatal("New succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if f.count() != 0 {
				t.Errorf("New made %d STS calls for bad input", f.count())
			}
		})
	}
	if _, err := New(nil, testRoleARN); err == nil || !strings.Contains(err.Error(), "client") {
		t.Errorf("New(nil client) = %v, want an error naming the client", err)
	}
	if _, err := NewFromConfig(aws.Config{}, testRoleARN); err == nil || !strings.Contains(err.Error(), "Region") {
		t.Errorf("NewFromConfig without region = %v, want an error naming Region", err)
	}
	if _, err := NewFromConfig(aws.Config{Region: "us-east-1"}, testRoleARN); err == nil || !strings.Contains(err.Error(), "Credentials") {
		t.Errorf("NewFromConfig without credentials = %v, want an error naming Credentials", err)
	}
}

func TestNew_LongestAllowedPrefix_GivesValidSessionName(t *testing.T) {
	prefix := strings.Repeat("p", maxPrefixLen)
	p := newTestProvider(t, &fakeSTS{}, func(o *Options) { o.RoleSessionNamePrefix = prefix })
	if name := sessionName(optionsOf(p).RoleSessionNamePrefix, time.Now()); len(name) > 64 {
		t.Errorf("session name %q is %d characters, STS allows 64", name, len(name))
	}
}

func TestAssumeRole_SessionNameFreshPerCall_OptionsPassedThrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{}
		codes := 0
		p := newTestProvider(t, f, func(o *Options) {
			o.RoleSessionNamePrefix = "svc-"
			o.Duration = 2 * time.Hour
			o.ExternalID = aws.String("ext-123")
			o.Policy = aws.String(`{"Version":"2012-10-17"}`)
			o.PolicyARNs = []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}
			o.SerialNumber = aws.String("arn:aws:iam::123456789012:mfa/bob")
			o.SourceIdentity = aws.String("bob")
			o.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}
			o.TransitiveTagKeys = []string{"team"}
			o.TokenProvider = func() (string, error) { codes++; return fmt.Sprintf("%06d", codes), nil }
		})
		mustRetrieve(t, p)
		time.Sleep(2 * time.Hour)
		mustRetrieve(t, p)
		if f.count() != 2 || codes != 2 {
			t.Fatalf("%d AssumeRole calls and %d MFA codes after 2 h of 2 h sessions, want 2 and 2", f.count(), codes)
		}
		first, second := f.input(0), f.input(1)
		want := regexp.MustCompile(`^svc-[0-9]+$`)
		if n := aws.ToString(first.RoleSessionName); !want.MatchString(n) || n != "svc-"+strconv.FormatInt(time.Now().Add(-2*time.Hour).Unix(), 10) {
			t.Errorf("first session name %q, want svc- and the Unix seconds of the call", n)
		}
		if aws.ToString(first.RoleSessionName) == aws.ToString(second.RoleSessionName) {
			t.Errorf("both calls used session name %q, want a fresh one per call", aws.ToString(first.RoleSessionName))
		}
		if aws.ToInt32(second.DurationSeconds) != 7200 || aws.ToString(second.TokenCode) != "000002" ||
			aws.ToString(second.ExternalId) != "ext-123" || aws.ToString(second.SourceIdentity) != "bob" ||
			aws.ToString(second.SerialNumber) != "arn:aws:iam::123456789012:mfa/bob" || aws.ToString(second.Policy) == "" ||
			len(second.PolicyArns) != 1 || len(second.Tags) != 1 || len(second.TransitiveTagKeys) != 1 {
			t.Errorf("AssumeRole input lost an option: %+v", second)
		}
	})
}

func TestAssumeRole_BadMFACode_NoSTSCall(t *testing.T) {
	f := &fakeSTS{}
	p := newTestProvider(t, f, func(o *Options) {
		o.SerialNumber = aws.String("arn:aws:iam::123456789012:mfa/bob")
		o.TokenProvider = func() (string, error) { return "12ab", nil }
	})
	if _, err := p.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "6 digits") {
		t.Errorf("Retrieve with a bad MFA code = %v, want an error saying 6 digits", err)
	}
	if f.count() != 0 {
		t.Errorf("%d STS calls with a bad MFA code", f.count())
	}
}

func TestRetrieve_CredentialFields(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newTestProvider(t, &fakeSTS{})
		c := mustRetrieve(t, p)
		real := time.Now().Add(DefaultDuration)
		if !c.CanExpire || c.Source != ProviderName || c.AccountID != "123456789012" || !strings.HasPrefix(c.AccessKeyID, "ASIA") {
			t.Errorf("credentials = %v %q %q %q, want CanExpire, Source, AccountID, an ASIA key", c.CanExpire, c.Source, c.AccountID, c.AccessKeyID)
		}
		if !c.Expires.Equal(real.Add(-DefaultExpiryWindow)) || !p.Stats().Expiration.Equal(real) {
			t.Errorf("Expires %v and Stats().Expiration %v, want %v and %v", c.Expires, p.Stats().Expiration, real.Add(-DefaultExpiryWindow), real)
		}
	})
}

func TestRetrieve_DurationErrorsSayWhatToChange(t *testing.T) {
	cases := map[string]string{
		"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.":                    "raise the role's MaxSessionDuration",
		"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.": "1 h limit for role chaining",
	}
	for msg, want := range cases {
		f := &fakeSTS{err: &smithy.GenericAPIError{Code: "ValidationError", Message: msg}}
		p := newTestProvider(t, f, func(o *Options) { o.Duration = 2 * time.Hour })
		_, err := p.Retrieve(context.Background())
		var apiErr smithy.APIError
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Duration 2h0m0s") || !errors.As(err, &apiErr) {
			t.Errorf("Retrieve error = %v; want it to say %q, the Duration, and to wrap the APIError", err, want)
		}
	}
}

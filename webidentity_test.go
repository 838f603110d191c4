package awssts_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const webRole = "arn:aws:iam::123456789012:role/irsa"

// inMemoryConfig is an SDK config that reaches srv, with long-term keys when key is not "".
func inMemoryConfig(srv *ststest.Server, key, secret string) aws.Config {
	cfg := aws.Config{Region: "us-east-1", HTTPClient: srv.Client(), BaseEndpoint: aws.String(srv.URL)}
	if key != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
	}
	return cfg
}

func calls(srv *ststest.Server, action string) []ststest.Call {
	var out []ststest.Call
	for _, c := range srv.Calls() {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// The token file is read at every call, so a rotated token is used at the next renewal; the
// session name is the prefix and the call's Unix seconds; a file that cannot be read is an
// error naming the file, not the token.
func TestWebIdentity_TokenFileRotation_SessionNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddRole(webRole, 0)
		var mu sync.Mutex
		accepted := "token-one-must-not-leak"
		srv.SetWebIdentityTokenCheck(func(tok string) error {
			mu.Lock()
			defer mu.Unlock()
			if tok != accepted {
				return errors.New("not the current token")
			}
			return nil
		})
		file := filepath.Join(t.TempDir(), "token")
		write := func(tok string) {
			if err := os.WriteFile(file, []byte(tok), 0o600); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			accepted = tok
			mu.Unlock()
		}
		write("token-one-must-not-leak")
		p, err := awssts.NewWebIdentity(sts.NewFromConfig(inMemoryConfig(srv, "", "")), webRole, stscreds.IdentityTokenFile(file),
			func(o *awssts.Options) {
				o.RoleSessionNamePrefix, o.Duration, o.ExpiryWindow, o.Prefetch = "irsa-", time.Hour, 10*time.Minute, true
			})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		first, err := p.Retrieve(context.Background())
		if err != nil {
			t.Fatalf("first Retrieve: %v", err)
		}

		write("token-two-must-not-leak")
		time.Sleep(time.Until(first.Expires) + time.Minute)
		second, err := p.Retrieve(context.Background())
		if err != nil || second.AccessKeyID == first.AccessKeyID {
			t.Fatalf("Retrieve after the token rotated = %s, %v; want new credentials", second.AccessKeyID, err)
		}
		got := calls(srv, "AssumeRoleWithWebIdentity")
		if len(got) < 2 {
			t.Errorf("%d AssumeRoleWithWebIdentity calls, want at least 2", len(got))
		}
		for i, c := range got {
			if c.RoleSessionName != "irsa-"+strconv.FormatInt(c.Time.Unix(), 10) || c.DurationSeconds != 3600 || c.AccessKeyID != "" {
				t.Errorf("call %d: session %q, duration %d, signed by %q; want irsa-%d, 3600, unsigned", i, c.RoleSessionName, c.DurationSeconds, c.AccessKeyID, c.Time.Unix())
			}
		}

		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		p.Invalidate()
		_, err = p.Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "must-not-leak") {
			t.Errorf("Retrieve with the token file gone = %v, want an error naming %s and not the token", err, file)
		}
	})
}

// A token STS does not accept is InvalidIdentityToken, explained and reachable by errors.As.
func TestWebIdentity_BadToken_Explained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddRole(webRole, 0)
		srv.AddWebIdentityToken("the-good-one")
		p, err := awssts.NewWebIdentity(sts.NewFromConfig(inMemoryConfig(srv, "", "")), webRole, tokenString("a-bad-one"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Retrieve(context.Background())
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidIdentityToken" || !strings.Contains(err.Error(), "rejected the token") {
			t.Errorf("Retrieve = %v, want the explained InvalidIdentityToken", err)
		}
	})
}

type tokenString string

func (s tokenString) GetIdentityToken() ([]byte, error) { return []byte(s), nil }

// Options that AssumeRoleWithWebIdentity does not take are errors naming the field.
func TestNewWebIdentity_RejectsFieldsItDoesNotTake(t *testing.T) {
	client := sts.New(sts.Options{Region: "us-east-1"})
	s := aws.String("abcdefghijkl")
	for field, fn := range map[string]func(*awssts.Options){
		"ExternalID":        func(o *awssts.Options) { o.ExternalID = s },
		"SerialNumber":      func(o *awssts.Options) { o.SerialNumber = aws.String("arn:aws:iam::123456789012:mfa/a") },
		"TokenProvider":     func(o *awssts.Options) { o.TokenProvider = func() (string, error) { return "123456", nil } },
		"SourceIdentity":    func(o *awssts.Options) { o.SourceIdentity = s },
		"Tags":              func(o *awssts.Options) { o.Tags = []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}} },
		"TransitiveTagKeys": func(o *awssts.Options) { o.TransitiveTagKeys = []string{"k"} },
	} {
		if _, err := awssts.NewWebIdentity(client, webRole, tokenString("t"), fn); err == nil || !strings.Contains(err.Error(), "Options."+field) {
			t.Errorf("%s: %v, want an error naming it", field, err)
		}
	}
	if _, err := awssts.NewWebIdentity(client, webRole, tokenString("t"), func(o *awssts.Options) {
		o.Policy = aws.String(`{"Version":"2012-10-17"}`)
	}); err != nil {
		t.Errorf("Policy passes through, got %v", err)
	}
	if _, err := awssts.NewWebIdentity(client, webRole, nil); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("nil token: %v", err)
	}
	if _, err := awssts.NewWebIdentity(client, webRole, tokenString("t"), func(o *awssts.Options) { o.Duration = 50000 * time.Second }); err == nil || !strings.Contains(err.Error(), "43200") {
		t.Errorf("Duration over 12 h: %v, want the range", err)
	}
}

func TestNewWebIdentityFromEnv_NamesMissingVariables(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	t.Setenv("AWS_ROLE_ARN", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token")
	if _, err := awssts.NewWebIdentityFromEnv(cfg); err == nil || !strings.Contains(err.Error(), "AWS_ROLE_ARN") {
		t.Errorf("without AWS_ROLE_ARN: %v", err)
	}
	t.Setenv("AWS_ROLE_ARN", webRole)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	if _, err := awssts.NewWebIdentityFromEnv(cfg); err == nil || !strings.Contains(err.Error(), "AWS_WEB_IDENTITY_TOKEN_FILE") {
		t.Errorf("without AWS_WEB_IDENTITY_TOKEN_FILE: %v", err)
	}
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token")
	p, err := awssts.NewWebIdentityFromEnv(cfg)
	if err != nil || !strings.Contains(p.String(), webRole) {
		t.Errorf("from the EKS variables: %v, %v", p, err)
	}
}

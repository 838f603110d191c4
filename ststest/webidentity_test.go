package ststest_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/awssts/awssts/ststest"
)

const (
	testIssuer   = "https://token.actions.githubusercontent.com"
	testSubject  = "repo:awssts/awssts:ref:refs/heads/main"
	testAudience = "sts.amazonaws.com"
)

// anonClient is an SDK STS client with no credentials at all, as for web identity.
func anonClient(srv *ststest.Server, optFns ...func(*sts.Options)) *sts.Client {
	return newClient(srv, aws.Credentials{}, append([]func(*sts.Options){func(o *sts.Options) { o.Credentials = nil }}, optFns...)...)
}

func webIdentity(token, roleARN, session string, duration int32) *sts.AssumeRoleWithWebIdentityInput {
	in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session), WebIdentityToken: aws.String(token)}
	if duration != 0 {
		in.DurationSeconds = aws.Int32(duration)
	}
	return in
}

func webIdentityCreds(out *sts.AssumeRoleWithWebIdentityOutput) aws.Credentials {
	c := out.Credentials
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	srv := newServer(t)
	token := ststest.NewWebIdentityToken(testIssuer, testSubject, testAudience, time.Now().Add(time.Hour))
	srv.AddWebIdentityToken(token)
	before := time.Now().Truncate(time.Second)
	out, err := anonClient(srv).AssumeRoleWithWebIdentity(t.Context(), webIdentity(token, testRole, "gha-run-1", 900))
	after := time.Now()
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	c := out.Credentials
	if !asiaKeyID.MatchString(*c.AccessKeyId) || len(*c.SecretAccessKey) != 40 || *c.SessionToken == "" {
		t.Errorf("credentials: key %q, secret of %d, token of %d", *c.AccessKeyId, len(*c.SecretAccessKey), len(*c.SessionToken))
	}
	if issued := c.Expiration.Add(-15 * time.Minute); issued.Before(before) || issued.After(after) {
		t.Errorf("Expiration %v minus 15m is not between %v and %v", *c.Expiration, before, after)
	}
	if want := "arn:aws:sts::111122223333:assumed-role/deploy/gha-run-1"; aws.ToString(out.AssumedRoleUser.Arn) != want {
		t.Errorf("Arn = %q, want %q", aws.ToString(out.AssumedRoleUser.Arn), want)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !roleID.MatchString(id) || !strings.HasSuffix(id, ":gha-run-1") {
		t.Errorf("AssumedRoleId = %q", id)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != testSubject || aws.ToString(out.Audience) != testAudience || aws.ToString(out.Provider) != testIssuer {
		t.Errorf("Subject, Audience, Provider = %q, %q, %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience), aws.ToString(out.Provider))
	}
	call := srv.Calls()[0]
	if call.Action != "AssumeRoleWithWebIdentity" || call.AccessKeyID != "" || call.RoleARN != testRole || call.DurationSeconds != 900 || call.ErrorCode != "" {
		t.Errorf("call = %+v, want an unsigned AssumeRoleWithWebIdentity", call)
	}

	// The credentials work against the same server, and AssumeRole with them is role chaining.
	creds := webIdentityCreds(out)
	id, err := newClient(srv, creds).GetCallerIdentity(t.Context(), nil)
	if err != nil || aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("GetCallerIdentity = %v, %v; want the assumed role", aws.ToString(id.Arn), err)
	}
	if _, err := assumeRole(t.Context(), newClient(srv, creds), longRole, "next", 3600); err != nil {
		t.Errorf("AssumeRole with web identity credentials: %v", err)
	}
	_, err = assumeRole(t.Context(), newClient(srv, creds), longRole, "next", 3601)
	checkAPIError(t, err, http.StatusBadRequest, "ValidationError")
}

// An opaque token has no claims to report; ProviderId stands for the provider, as for OAuth
// 2.0 access tokens; session policies count in PackedPolicySize.
func TestWebIdentityOpaqueTokenAndProviderID(t *testing.T) {
	srv := newServer(t)
	srv.AddWebIdentityToken("opaque-access-token")
	in := webIdentity("opaque-access-token", testRole, "app1", 0)
	in.ProviderId = aws.String("graph.facebook.com")
	in.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	out, err := anonClient(srv).AssumeRoleWithWebIdentity(t.Context(), in)
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if out.SubjectFromWebIdentityToken != nil || out.Audience != nil || aws.ToString(out.Provider) != "graph.facebook.com" {
		t.Errorf("Subject, Audience, Provider = %v, %v, %q; want none, none, the ProviderId", out.SubjectFromWebIdentityToken, out.Audience, aws.ToString(out.Provider))
	}
	//lint:ignore SA1019 STS still sends PackedPolicySize when there are session policies.
	if size := out.PackedPolicySize; size == nil || *size < 1 {
		t.Error("PackedPolicySize is missing with a session policy")
	}
	if c := srv.Calls()[0]; c.ProviderID != "graph.facebook.com" {
		t.Errorf("call = %+v", c)
	}
}

// A web identity token names an audience list; STS reports its first member.
func TestWebIdentityAudienceList(t *testing.T) {
	srv := newServer(t)
	enc := base64.RawURLEncoding
	token := enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." +
		enc.EncodeToString([]byte(`{"iss":"https://oidc.eks.amazonaws.com/id/X","sub":"system:serviceaccount:ns:sa","aud":["sts.amazonaws.com","other"],"exp":4102444800.5}`)) + ".c2ln"
	srv.AddWebIdentityToken(token)
	out, err := anonClient(srv).AssumeRoleWithWebIdentity(t.Context(), webIdentity(token, testRole, "eks", 0))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if aws.ToString(out.Audience) != "sts.amazonaws.com" || aws.ToString(out.SubjectFromWebIdentityToken) != "system:serviceaccount:ns:sa" {
		t.Errorf("Audience, Subject = %q, %q", aws.ToString(out.Audience), aws.ToString(out.SubjectFromWebIdentityToken))
	}
}

func TestWebIdentityTokenCheck(t *testing.T) {
	srv := newServer(t)
	var checked []string
	srv.SetWebIdentityTokenCheck(func(token string) error {
		checked = append(checked, token)
		if token != "good-token" {
			return errors.New("Incorrect token audience")
		}
		return nil
	})
	c := anonClient(srv)
	if _, err := c.AssumeRoleWithWebIdentity(t.Context(), webIdentity("good-token", testRole, "ok", 0)); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity with a token the check accepts: %v", err)
	}
	_, err := c.AssumeRoleWithWebIdentity(t.Context(), webIdentity("bad-token", testRole, "no", 0))
	if apiErr := checkAPIError(t, err, http.StatusBadRequest, "InvalidIdentityToken"); apiErr.ErrorMessage() != "Incorrect token audience" {
		t.Errorf("message = %q, want the check's", apiErr.ErrorMessage())
	}
	if len(checked) != 2 {
		t.Errorf("check saw %q, want both tokens", checked)
	}

	srv.SetWebIdentityTokenCheck(nil)
	_, err = c.AssumeRoleWithWebIdentity(t.Context(), webIdentity("good-token", testRole, "no", 0))
	checkAPIError(t, err, http.StatusBadRequest, "InvalidIdentityToken")
}

func TestWebIdentityErrors(t *testing.T) {
	srv := newServer(t)
	good := ststest.NewWebIdentityToken(testIssuer, testSubject, testAudience, time.Time{})
	expired := ststest.NewWebIdentityToken(testIssuer, testSubject, testAudience, time.Now().Add(-time.Second))
	srv.AddWebIdentityToken(good)
	srv.AddWebIdentityToken(expired)
	unknown := ststest.NewWebIdentityToken(testIssuer, "someone-else", testAudience, time.Time{})
	for _, tc := range []struct {
		name    string
		in      *sts.AssumeRoleWithWebIdentityInput
		status  int
		code    string
		message string
	}{
		{"unknown token", webIdentity(unknown, testRole, "sess", 0), 400, "InvalidIdentityToken",
			"The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."},
		{"expired token", webIdentity(expired, testRole, "sess", 0), 400, "ExpiredTokenException", "Token expired: current date/time "},
		{"unknown role", webIdentity(good, "arn:aws:iam::111122223333:role/nobody", "sess", 0), 403, "AccessDenied",
			"Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"duration below 900", webIdentity(good, testRole, "sess", 899), 400, "ValidationError", "Member must have value greater than or equal to 900"},
		{"duration above 43200", webIdentity(good, longRole, "sess", 43201), 400, "ValidationError", "Member must have value less than or equal to 43200"},
		{"duration above the role maximum", webIdentity(good, testRole, "sess", 3601), 400, "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"session name with a space", webIdentity(good, testRole, "a b", 0), 400, "ValidationError", `Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"session name of 1 character", webIdentity(good, testRole, "a", 0), 400, "ValidationError", "Member must have length greater than or equal to 2"},
		{"token of 3 characters", webIdentity("abc", testRole, "sess", 0), 400, "ValidationError",
			"Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := anonClient(srv).AssumeRoleWithWebIdentity(t.Context(), tc.in)
			apiErr := checkAPIError(t, err, tc.status, tc.code)
			if !strings.Contains(apiErr.ErrorMessage(), tc.message) {
				t.Errorf("message = %q, want it to contain %q", apiErr.ErrorMessage(), tc.message)
			}
		})
	}
}

// The SDK reads the web identity errors into its modeled types, as stscreds expects.
func TestWebIdentityErrorTypes(t *testing.T) {
	srv := newServer(t)
	expired := ststest.NewWebIdentityToken(testIssuer, testSubject, testAudience, time.Now().Add(-time.Minute))
	srv.AddWebIdentityToken(expired)
	_, err := anonClient(srv).AssumeRoleWithWebIdentity(t.Context(), webIdentity("not-added", testRole, "sess", 0))
	var invalid *types.InvalidIdentityTokenException
	if !errors.As(err, &invalid) {
		t.Errorf("error = %v, want *types.InvalidIdentityTokenException", err)
	}
	_, err = anonClient(srv).AssumeRoleWithWebIdentity(t.Context(), webIdentity(expired, testRole, "sess", 0))
	var exp *types.ExpiredTokenException
	if !errors.As(err, &exp) {
		t.Errorf("error = %v, want *types.ExpiredTokenException", err)
	}
}

// The SDK never signs AssumeRoleWithWebIdentity, even with credentials at hand. A client that
// does sign it has its signature checked like any other, as by STS.
func TestWebIdentitySigned(t *testing.T) {
	srv := newServer(t)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	srv.AddWebIdentityToken("signed-token")
	if _, err := newClient(srv, userCreds()).AssumeRoleWithWebIdentity(t.Context(), webIdentity("signed-token", testRole, "sess", 0)); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if c := srv.Calls()[0]; c.AccessKeyID != "" {
		t.Errorf("the SDK signed AssumeRoleWithWebIdentity with %s", c.AccessKeyID)
	}
	status, code := post(t, srv, http.MethodPost, webIdentityForm("signed-token"), "sts", nil)
	if status != 200 || code != "" {
		t.Errorf("signed with a known key: %d %q, want 200", status, code)
	}
	status, code = post(t, srv, http.MethodPost, webIdentityForm("signed-token"), "sts", func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=0", 1))
	})
	if status != 403 || code != "SignatureDoesNotMatch" {
		t.Errorf("signed with a bad signature: %d %q, want 403 SignatureDoesNotMatch", status, code)
	}
}

func webIdentityForm(token string) url.Values {
	return url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
		"RoleArn": {testRole}, "RoleSessionName": {"raw"}, "WebIdentityToken": {token}}
}

// The SDK's own web identity provider, reading the token from a file, works unchanged.
func TestStscredsWebIdentityRoleProvider(t *testing.T) {
	srv := newServer(t)
	token := ststest.NewWebIdentityToken(testIssuer, testSubject, testAudience, time.Time{})
	srv.AddWebIdentityToken(token)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	p := stscreds.NewWebIdentityRoleProvider(anonClient(srv), testRole, stscreds.IdentityTokenFile(file))
	creds, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !asiaKeyID.MatchString(creds.AccessKeyID) || !creds.CanExpire || creds.AccountID != "111122223333" {
		t.Errorf("credentials: key %q, CanExpire %v, account %q", creds.AccessKeyID, creds.CanExpire, creds.AccountID)
	}
	if c := srv.Calls()[0]; c.AccessKeyID != "" || c.RoleSessionName == "" {
		t.Errorf("call = %+v", c)
	}
}

package ststest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	"github.com/awssts/awssts/ststest"
)

func TestAuthErrors(t *testing.T) {
	srv := newServer(t)
	issued := issue(t, srv, 0)
	for _, tc := range []struct {
		name  string
		creds aws.Credentials
		code  string
	}{
		{"unknown key", aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000000", SecretAccessKey: testSecret}, "InvalidClientTokenId"},
		{"wrong secret", aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret + "x"}, "SignatureDoesNotMatch"},
		{"long-term key with a token", aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: issued.SessionToken}, "InvalidClientTokenId"},
		{"issued key without its token", aws.Credentials{AccessKeyID: issued.AccessKeyID, SecretAccessKey: issued.SecretAccessKey}, "InvalidClientTokenId"},
		{"issued key with a wrong token", aws.Credentials{AccessKeyID: issued.AccessKeyID, SecretAccessKey: issued.SecretAccessKey, SessionToken: issued.SessionToken + "x"}, "InvalidClientTokenId"},
		{"issued key with a wrong secret", aws.Credentials{AccessKeyID: issued.AccessKeyID, SecretAccessKey: testSecret, SessionToken: issued.SessionToken}, "SignatureDoesNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(srv, tc.creds)
			_, err := c.GetCallerIdentity(t.Context(), nil)
			checkAPIError(t, err, http.StatusForbidden, tc.code)
			_, err = assumeRole(t.Context(), c, testRole, "s", 0)
			checkAPIError(t, err, http.StatusForbidden, tc.code)
		})
	}
}

func TestExpiredToken(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.ExpiredCredentials, 1)
	out, err := assumeRole(t.Context(), newClient(srv, userCreds()), testRole, "old", 0)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if !out.Credentials.Expiration.Before(time.Now()) {
		t.Fatalf("Expiration %v is not in the past", out.Credentials.Expiration)
	}
	_, err = newClient(srv, sdkCreds(out)).GetCallerIdentity(t.Context(), nil)
	apiErr := checkAPIError(t, err, http.StatusForbidden, "ExpiredToken")
	if !strings.Contains(apiErr.ErrorMessage(), "expired") {
		t.Errorf("message = %q", apiErr.ErrorMessage())
	}
	var generic *smithy.GenericAPIError
	if !errors.As(err, &generic) {
		t.Errorf("ExpiredToken is %T, want *smithy.GenericAPIError as for real STS", apiErr)
	}
}

func TestAccessDenied(t *testing.T) {
	srv := newServer(t)
	const unknown = "arn:aws:iam::111122223333:role/nobody"
	_, err := assumeRole(t.Context(), newClient(srv, userCreds()), unknown, "s1", 0)
	apiErr := checkAPIError(t, err, http.StatusForbidden, "AccessDenied")
	want := "User: " + ststest.UserARN + " is not authorized to perform: sts:AssumeRole on resource: " + unknown
	if apiErr.ErrorMessage() != want {
		t.Errorf("message = %q, want %q", apiErr.ErrorMessage(), want)
	}

	issued := issue(t, srv, 0)
	_, err = assumeRole(t.Context(), newClient(srv, issued), unknown, "s2", 0)
	apiErr = checkAPIError(t, err, http.StatusForbidden, "AccessDenied")
	if !strings.HasPrefix(apiErr.ErrorMessage(), "User: arn:aws:sts::111122223333:assumed-role/deploy/issued is not authorized") {
		t.Errorf("message = %q, want the assumed role as the user", apiErr.ErrorMessage())
	}
}

func TestValidationErrors(t *testing.T) {
	srv := newServer(t)
	chained := issue(t, srv, 0)
	for _, tc := range []struct {
		name     string
		creds    aws.Credentials
		role     string
		session  string
		duration int32
		message  string
	}{
		{"duration below 900", userCreds(), testRole, "sess", 899, "Member must have value greater than or equal to 900"},
		{"duration above 43200", userCreds(), longRole, "sess", 43201, "Member must have value less than or equal to 43200"},
		{"duration above the role maximum", userCreds(), testRole, "sess", 3601, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"role chaining above 1 h", chained, longRole, "sess", 3601, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
		{"session name of 1 character", userCreds(), testRole, "a", 0, "Member must have length greater than or equal to 2"},
		{"session name of 65 characters", userCreds(), testRole, strings.Repeat("a", 65), 0, "Member must have length less than or equal to 64"},
		{"session name with a space", userCreds(), testRole, "a b", 0, `Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"session name with a colon", userCreds(), testRole, "a:b", 0, `Member must satisfy regular expression pattern: [\w+=,.@-]*`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assumeRole(t.Context(), newClient(srv, tc.creds), tc.role, tc.session, tc.duration)
			apiErr := checkAPIError(t, err, http.StatusBadRequest, "ValidationError")
			if !strings.Contains(apiErr.ErrorMessage(), tc.message) {
				t.Errorf("message = %q, want it to contain %q", apiErr.ErrorMessage(), tc.message)
			}
		})
	}
}

func TestValidationReportsEveryViolation(t *testing.T) {
	srv := newServer(t)
	_, err := assumeRole(t.Context(), newClient(srv, userCreds()), testRole, "!", 60)
	apiErr := checkAPIError(t, err, http.StatusBadRequest, "ValidationError")
	if !strings.HasPrefix(apiErr.ErrorMessage(), "3 validation errors detected: ") {
		t.Errorf("message = %q, want 3 violations", apiErr.ErrorMessage())
	}
}

// rawErrorResponse is the ErrorResponse document of real STS.
type rawErrorResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct{ Type, Code, Message string }
	ID      string `xml:"RequestId"`
}

// post sends form to srv signed by the SDK's signer for service, then lets tamper change the
// request, and returns the status and the error code of the answer ("" for success).
func post(t *testing.T, srv *ststest.Server, method string, form url.Values, service string, tamper func(*http.Request)) (int, string) {
	t.Helper()
	body := form.Encode()
	target := srv.URL + "/"
	if method == http.MethodGet {
		target += "?" + body
		body = ""
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), userCreds(), req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	var e rawErrorResponse
	if err := xml.Unmarshal(data, &e); err != nil {
		t.Fatalf("error body %q: %v", data, err)
	}
	wantType := "Sender"
	if resp.StatusCode >= 500 {
		wantType = "Receiver"
	}
	if e.Error.Type != wantType || e.Error.Message == "" || e.ID == "" || resp.Header.Get("X-Amzn-Requestid") != e.ID {
		t.Errorf("ErrorResponse = %+v, request ID header %q", e, resp.Header.Get("X-Amzn-Requestid"))
	}
	return resp.StatusCode, e.Error.Code
}

func TestRawRequests(t *testing.T) {
	srv := newServer(t)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	identity := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	for _, tc := range []struct {
		name    string
		method  string
		form    url.Values
		service string
		tamper  func(*http.Request)
		status  int
		code    string
	}{
		{"signed POST", http.MethodPost, identity, "sts", nil, 200, ""},
		{"signed GET", http.MethodGet, identity, "sts", nil, 200, ""},
		{"no Authorization", http.MethodPost, identity, "sts", func(r *http.Request) { r.Header.Del("Authorization") }, 403, "MissingAuthenticationToken"},
		{"no X-Amz-Date", http.MethodPost, identity, "sts", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, 400, "IncompleteSignature"},
		{"body changed after signing", http.MethodPost, identity, "sts", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("Action=GetCallerIdentity&Version=2011-06-14"))
		}, 403, "SignatureDoesNotMatch"},
		{"signed header changed", http.MethodPost, identity, "sts", func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}, 403, "SignatureDoesNotMatch"},
		{"date changed", http.MethodPost, identity, "sts", func(r *http.Request) {
			r.Header.Set("X-Amz-Date", time.Now().Add(time.Hour).UTC().Format("20060102T150405Z"))
		}, 403, "SignatureDoesNotMatch"},
		{"signed for another service", http.MethodPost, identity, "s3", nil, 403, "SignatureDoesNotMatch"},
		{"unknown action", http.MethodPost, url.Values{"Action": {"GetFederationToken"}, "Version": {"2011-06-15"}}, "sts", nil, 400, "InvalidAction"},
		{"wrong version", http.MethodPost, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2010-01-01"}}, "sts", nil, 400, "InvalidAction"},
		{"missing RoleSessionName", http.MethodPost, url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {testRole}}, "sts", nil, 400, "ValidationError"},
		{"DurationSeconds not a number", http.MethodPost, url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {testRole}, "RoleSessionName": {"ss"}, "DurationSeconds": {"1h"}}, "sts", nil, 400, "ValidationError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code := post(t, srv, tc.method, tc.form, tc.service, tc.tamper)
			if status != tc.status || code != tc.code {
				t.Errorf("got %d %q, want %d %q", status, code, tc.status, tc.code)
			}
		})
	}
}

func TestUnmodifiedClientErrorTypes(t *testing.T) {
	srv := newServer(t)
	_, err := assumeRole(t.Context(), newClient(srv, userCreds()), "arn:aws:iam::111122223333:role/nobody", "s", 0)
	var opErr *smithy.OperationError
	if !errors.As(err, &opErr) || opErr.Service() != "STS" || opErr.Operation() != "AssumeRole" {
		t.Errorf("error = %#v, want a smithy.OperationError of STS AssumeRole", err)
	}
	var generic *smithy.GenericAPIError
	if !errors.As(err, &generic) || generic.ErrorFault() != smithy.FaultUnknown {
		t.Errorf("error = %v, want a *smithy.GenericAPIError", err)
	}
}

package ststest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	testMFASerial = "arn:aws:iam::111122223333:mfa/alice"
	testMFACode   = "123456"
	mfaFailed     = "MultiFactorAuthentication failed with invalid MFA one time pass code."
)

func getSessionToken(t *testing.T, c *sts.Client, in *sts.GetSessionTokenInput) aws.Credentials {
	t.Helper()
	out, err := c.GetSessionToken(t.Context(), in)
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	k := out.Credentials
	return aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey, SessionToken: *k.SessionToken}
}

func withMFA(code string) *sts.GetSessionTokenInput {
	return &sts.GetSessionTokenInput{SerialNumber: aws.String(testMFASerial), TokenCode: aws.String(code)}
}

func TestGetSessionTokenIssuesCredentials(t *testing.T) {
	for _, tc := range []struct {
		name     string
		duration int32 // 0 = omitted
		want     time.Duration
	}{
		{"default duration", 0, 12 * time.Hour},
		{"minimum", 900, 15 * time.Minute},
		{"maximum", 129600, 36 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			in := &sts.GetSessionTokenInput{}
			if tc.duration != 0 {
				in.DurationSeconds = aws.Int32(tc.duration)
			}
			before := time.Now().Truncate(time.Second)
			out, err := newClient(srv, userCreds()).GetSessionToken(t.Context(), in)
			after := time.Now()
			if err != nil {
				t.Fatalf("GetSessionToken: %v", err)
			}
			c := out.Credentials
			if !asiaKeyID.MatchString(*c.AccessKeyId) || len(*c.SecretAccessKey) != 40 || *c.SessionToken == "" {
				t.Errorf("credentials: key %q, secret of %d, token of %d", *c.AccessKeyId, len(*c.SecretAccessKey), len(*c.SessionToken))
			}
			if issued := c.Expiration.Add(-tc.want); issued.Before(before) || issued.After(after) {
				t.Errorf("Expiration %v minus %v is not between %v and %v", *c.Expiration, tc.want, before, after)
			}
			if call := srv.Calls()[0]; call.Action != "GetSessionToken" || call.AccessKeyID != testKeyID || call.DurationSeconds != tc.duration {
				t.Errorf("call = %+v", call)
			}
		})
	}
}

// Session credentials act as the IAM user who got them, not as an assumed role.
func TestSessionTokenCredentialsActAsTheUser(t *testing.T) {
	srv := newServer(t)
	creds := getSessionToken(t, newClient(srv, userCreds()), &sts.GetSessionTokenInput{})
	id, err := newClient(srv, creds).GetCallerIdentity(t.Context(), nil)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(id.Arn) != ststest.UserARN || aws.ToString(id.UserId) != ststest.UserID || aws.ToString(id.Account) != ststest.Account {
		t.Errorf("caller = %s %s %s, want the user", aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account))
	}
}

// AssumeRole with GetSessionToken credentials is not role chaining: it may last longer than 1 h.
func TestSessionTokenCredentialsAssumeRole(t *testing.T) {
	srv := newServer(t)
	creds := getSessionToken(t, newClient(srv, userCreds()), &sts.GetSessionTokenInput{})
	out, err := assumeRole(t.Context(), newClient(srv, creds), longRole, "after-mfa", 43200)
	if err != nil {
		t.Fatalf("AssumeRole for 12 h with session credentials: %v", err)
	}
	if want := "arn:aws:sts::111122223333:assumed-role/long/after-mfa"; aws.ToString(out.AssumedRoleUser.Arn) != want {
		t.Errorf("Arn = %q, want %q", aws.ToString(out.AssumedRoleUser.Arn), want)
	}
	_, err = assumeRole(t.Context(), newClient(srv, sdkCreds(out)), longRole, "chained", 3601)
	checkAPIError(t, err, http.StatusBadRequest, "ValidationError")
}

// The awssts Provider renews a role with GetSessionToken credentials as its source.
func TestProviderWithSessionTokenSource(t *testing.T) {
	srv := newServer(t)
	srv.AddMFADevice(testMFASerial, testMFACode)
	srv.RequireMFA(longRole)
	creds := getSessionToken(t, newClient(srv, userCreds()), withMFA(testMFACode))
	p := newProvider(t, providerConfig(srv, staticSource(creds), noRetries), longRole, func(o *awssts.Options) { o.Duration = 2 * time.Hour })
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if c := srv.Calls()[1]; c.AccessKeyID != creds.AccessKeyID || c.DurationSeconds != 7200 || c.ErrorCode != "" {
		t.Errorf("AssumeRole call = %+v", c)
	}
}

func TestGetSessionTokenWithSessionCredentials(t *testing.T) {
	srv := newServer(t)
	for name, creds := range map[string]aws.Credentials{
		"GetSessionToken": getSessionToken(t, newClient(srv, userCreds()), &sts.GetSessionTokenInput{}),
		"AssumeRole":      issue(t, srv, 0),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newClient(srv, creds).GetSessionToken(t.Context(), &sts.GetSessionTokenInput{})
			apiErr := checkAPIError(t, err, http.StatusForbidden, "AccessDenied")
			if apiErr.ErrorMessage() != "Cannot call GetSessionToken with session credentials" {
				t.Errorf("message = %q", apiErr.ErrorMessage())
			}
		})
	}
}

func TestGetSessionTokenMFA(t *testing.T) {
	srv := newServer(t)
	srv.AddMFADevice(testMFASerial, testMFACode)
	c := newClient(srv, userCreds())
	getSessionToken(t, c, withMFA(testMFACode))
	if call := srv.Calls()[0]; call.SerialNumber != testMFASerial || call.TokenCode != testMFACode {
		t.Errorf("call = %+v", call)
	}

	srv.AddMFADevice(testMFASerial, "654321") // the device shows the next code
	for _, tc := range []struct {
		name string
		in   *sts.GetSessionTokenInput
	}{
		{"old code", withMFA(testMFACode)},
		{"no code", &sts.GetSessionTokenInput{SerialNumber: aws.String(testMFASerial)}},
		{"code without device", &sts.GetSessionTokenInput{TokenCode: aws.String("654321")}},
		{"unknown device", &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::111122223333:mfa/bob"), TokenCode: aws.String("654321")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetSessionToken(t.Context(), tc.in)
			if apiErr := checkAPIError(t, err, http.StatusForbidden, "AccessDenied"); apiErr.ErrorMessage() != mfaFailed {
				t.Errorf("message = %q, want %q", apiErr.ErrorMessage(), mfaFailed)
			}
		})
	}
	getSessionToken(t, c, withMFA("654321"))
}

func TestGetSessionTokenValidation(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name    string
		in      *sts.GetSessionTokenInput
		message string
	}{
		{"duration below 900", &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)}, "Member must have value greater than or equal to 900"},
		{"duration above 129600", &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)}, "Member must have value less than or equal to 129600"},
		{"code of 5 digits", withMFA("12345"), "Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6"},
		{"code with letters", withMFA("12345a"), `Member must satisfy regular expression pattern: [\d]*`},
		{"short serial", &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:mfa"), TokenCode: aws.String(testMFACode)}, "'serialNumber'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newClient(srv, userCreds()).GetSessionToken(t.Context(), tc.in)
			apiErr := checkAPIError(t, err, http.StatusBadRequest, "ValidationError")
			if !strings.Contains(apiErr.ErrorMessage(), tc.message) {
				t.Errorf("message = %q, want it to contain %q", apiErr.ErrorMessage(), tc.message)
			}
		})
	}
}

// A role that requires MFA takes a valid code with AssumeRole, or credentials obtained with
// MFA, and the MFA context carries over to sessions made with those.
func TestRequireMFA(t *testing.T) {
	srv := newServer(t)
	srv.AddMFADevice(testMFASerial, testMFACode)
	srv.RequireMFA(longRole)
	user := newClient(srv, userCreds())
	withCode := func(code string) *sts.AssumeRoleInput {
		return &sts.AssumeRoleInput{RoleArn: aws.String(longRole), RoleSessionName: aws.String("mfa"),
			SerialNumber: aws.String(testMFASerial), TokenCode: aws.String(code)}
	}
	denied := "User: " + ststest.UserARN + " is not authorized to perform: sts:AssumeRole on resource: " + longRole

	_, err := assumeRole(t.Context(), user, longRole, "no-mfa", 0)
	if apiErr := checkAPIError(t, err, http.StatusForbidden, "AccessDenied"); apiErr.ErrorMessage() != denied {
		t.Errorf("without MFA: message = %q, want %q", apiErr.ErrorMessage(), denied)
	}
	_, err = user.AssumeRole(t.Context(), withCode("000000"))
	if apiErr := checkAPIError(t, err, http.StatusForbidden, "AccessDenied"); apiErr.ErrorMessage() != mfaFailed {
		t.Errorf("wrong code: message = %q, want %q", apiErr.ErrorMessage(), mfaFailed)
	}
	withMFARole, err := user.AssumeRole(t.Context(), withCode(testMFACode))
	if err != nil {
		t.Fatalf("AssumeRole with the code: %v", err)
	}
	if _, err := assumeRole(t.Context(), newClient(srv, sdkCreds(withMFARole)), longRole, "chained", 0); err != nil {
		t.Errorf("AssumeRole chained from a session with MFA: %v", err)
	}

	noMFA := getSessionToken(t, user, &sts.GetSessionTokenInput{})
	_, err = assumeRole(t.Context(), newClient(srv, noMFA), longRole, "ss", 0)
	checkAPIError(t, err, http.StatusForbidden, "AccessDenied")
	mfa := getSessionToken(t, user, withMFA(testMFACode))
	if _, err := assumeRole(t.Context(), newClient(srv, mfa), longRole, "ss", 0); err != nil {
		t.Errorf("AssumeRole with GetSessionToken credentials obtained with MFA: %v", err)
	}
	if _, err := assumeRole(t.Context(), user, testRole, "ss", 0); err != nil {
		t.Errorf("AssumeRole of a role without the requirement: %v", err)
	}
}

func TestRequireMFAPanicsOnUnknownRole(t *testing.T) {
	srv := newServer(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "arn:aws:iam::111122223333:role/nobody") {
			t.Errorf("recover() = %v, want a panic naming the role", r)
		}
	}()
	srv.RequireMFA("arn:aws:iam::111122223333:role/nobody")
}

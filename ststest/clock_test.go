package ststest_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/awssts/awssts/ststest"
)

// Tests of SetClockSkew, in synctest bubbles where time.Now stands still between sleeps, so
// the server's clock is exactly time.Now() plus the skew.

func pipesOf(srv *ststest.Server) func(*sts.Options) {
	return func(o *sts.Options) { o.HTTPClient = srv.Client() }
}

// checkServerTime fails t unless the answer's Date header, as the SDK read it, is want.
func checkServerTime(t *testing.T, what string, md middleware.Metadata, want time.Time) {
	t.Helper()
	if got, ok := awsmiddleware.GetServerTime(md); !ok || !got.Equal(want) {
		t.Errorf("%s: Date = %v (%v), want %v", what, got, ok, want)
	}
}

func TestClockSkewShiftsDateAndExpiration(t *testing.T) {
	for _, skew := range []time.Duration{15 * time.Minute, -15 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newInMemoryServer(t)
				srv.AddWebIdentityToken("skew-token")
				srv.SetClockSkew(skew)
				serverNow := time.Now().Add(skew)
				user := newClient(srv, userCreds(), pipesOf(srv), fastRetries)

				ar, err := assumeRole(t.Context(), user, testRole, "skewed", 900)
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				checkServerTime(t, "AssumeRole", ar.ResultMetadata, serverNow)
				if want := serverNow.Add(15 * time.Minute); !ar.Credentials.Expiration.Equal(want) {
					t.Errorf("AssumeRole Expiration = %v, want %v", ar.Credentials.Expiration, want)
				}
				if got, _ := awsmiddleware.GetAttemptSkew(ar.ResultMetadata); got != skew {
					t.Errorf("the SDK measured a skew of %v, want %v", got, skew)
				}

				st, err := user.GetSessionToken(t.Context(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
				if err != nil {
					t.Fatalf("GetSessionToken: %v", err)
				}
				checkServerTime(t, "GetSessionToken", st.ResultMetadata, serverNow)
				if want := serverNow.Add(15 * time.Minute); !st.Credentials.Expiration.Equal(want) {
					t.Errorf("GetSessionToken Expiration = %v, want %v", st.Credentials.Expiration, want)
				}

				wi, err := anonClient(srv, pipesOf(srv)).AssumeRoleWithWebIdentity(t.Context(), webIdentity("skew-token", testRole, "skewed", 900))
				if err != nil {
					t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
				}
				checkServerTime(t, "AssumeRoleWithWebIdentity", wi.ResultMetadata, serverNow)
				if want := serverNow.Add(15 * time.Minute); !wi.Credentials.Expiration.Equal(want) {
					t.Errorf("AssumeRoleWithWebIdentity Expiration = %v, want %v", wi.Credentials.Expiration, want)
				}

				// The first signed call was refused for its signing time; the SDK then signed
				// again with the skew it measured, and kept it for the next call.
				var codes []string
				for _, c := range srv.Calls() {
					codes = append(codes, c.Action+":"+c.ErrorCode)
				}
				want := "AssumeRole:SignatureDoesNotMatch AssumeRole: GetSessionToken: AssumeRoleWithWebIdentity:"
				if got := strings.Join(codes, " "); got != want {
					t.Errorf("calls = %s, want %s", got, want)
				}
			})
		})
	}
}

// The SDK recovers from "Signature expired" on its own: the standard retryer retries at once
// with a corrected signing time, and even a client that never retries signs its next call
// with the skew it measured.
func TestSignatureExpiredRecovery(t *testing.T) {
	for _, tc := range []struct {
		skew    time.Duration
		message string
	}{
		{15 * time.Minute, "Signature expired: 20000101T000000Z is now earlier than 20000101T001000Z (20000101T001500Z - 5 min.)"},
		{-15 * time.Minute, "Signature not yet current: 20000101T000000Z is still later than 19991231T235000Z (19991231T234500Z + 5 min.)"},
	} {
		t.Run(tc.skew.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newInMemoryServer(t)
				srv.SetClockSkew(tc.skew)
				noRetry := newClient(srv, userCreds(), pipesOf(srv))
				_, err := noRetry.GetCallerIdentity(t.Context(), nil)
				if apiErr := checkAPIError(t, err, http.StatusForbidden, "SignatureDoesNotMatch"); apiErr.ErrorMessage() != tc.message {
					t.Errorf("message = %q, want %q", apiErr.ErrorMessage(), tc.message)
				}
				if _, err := noRetry.GetCallerIdentity(t.Context(), nil); err != nil {
					t.Errorf("the next call of the same client: %v", err)
				}

				standard := newClient(srv, userCreds(), pipesOf(srv), func(o *sts.Options) { o.Retryer = retry.NewStandard() })
				if _, err := standard.GetCallerIdentity(t.Context(), nil); err != nil {
					t.Errorf("a client with the standard retryer: %v", err)
				}
				if n := len(srv.Calls()); n != 4 {
					t.Errorf("%d calls, want 4: one refusal for each new client", n)
				}
			})
		})
	}
}

// Credentials expire by the server's clock, not by this machine's.
func TestClockSkewExpiresCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		out, err := assumeRole(t.Context(), newClient(srv, userCreds(), pipesOf(srv)), testRole, "short", 900)
		if err != nil {
			t.Fatalf("AssumeRole: %v", err)
		}
		c := newClient(srv, sdkCreds(out), pipesOf(srv), fastRetries)

		srv.SetClockSkew(15*time.Minute - time.Second)
		if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
			t.Fatalf("GetCallerIdentity a second before expiry on the server's clock: %v", err)
		}
		srv.SetClockSkew(15 * time.Minute)
		_, err = c.GetCallerIdentity(t.Context(), nil)
		apiErr := checkAPIError(t, err, http.StatusForbidden, "ExpiredToken")
		if apiErr.ErrorMessage() != "The security token included in the request is expired" {
			t.Errorf("message = %q", apiErr.ErrorMessage())
		}
		srv.SetClockSkew(0)
		if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
			t.Errorf("GetCallerIdentity with the clocks together again: %v", err)
		}
	})
}

func TestClockSkewExpiresWebIdentityTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		exp := time.Now().Add(10 * time.Minute)
		token := ststest.NewWebIdentityToken(testIssuer, testSubject, testAudience, exp)
		srv.AddWebIdentityToken(token)
		c := anonClient(srv, pipesOf(srv))
		srv.SetClockSkew(10*time.Minute - time.Second)
		if _, err := c.AssumeRoleWithWebIdentity(t.Context(), webIdentity(token, testRole, "sess", 0)); err != nil {
			t.Fatalf("a second before the token's exp on the server's clock: %v", err)
		}
		srv.SetClockSkew(10 * time.Minute)
		_, err := c.AssumeRoleWithWebIdentity(t.Context(), webIdentity(token, testRole, "sess", 0))
		apiErr := checkAPIError(t, err, http.StatusBadRequest, "ExpiredTokenException")
		want := "Token expired: current date/time 946685400 must be before the expiration date/time 946685400"
		if apiErr.ErrorMessage() != want {
			t.Errorf("message = %q, want %q", apiErr.ErrorMessage(), want)
		}
	})
}

// Every answer carries the server's Date: successes, errors, faults, and after a delay.
func TestDateHeaderOnEveryAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		srv.AddWebIdentityToken("date-token")
		srv.SetClockSkew(-15 * time.Minute)
		form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
			"RoleArn": {testRole}, "RoleSessionName": {"date"}, "WebIdentityToken": {"date-token"}}
		for _, tc := range []struct {
			name   string
			before func()
			body   string
			status int
		}{
			{"success", func() {}, form.Encode(), 200},
			{"error", func() {}, "Action=GetCallerIdentity&Version=2011-06-15", 403},
			{"malformed query", func() {}, "%zz", 400},
			{"throttled", func() { srv.Fail(ststest.Throttling, 1) }, form.Encode(), 400},
			{"malformed response", func() { srv.Fail(ststest.MalformedResponse, 1) }, form.Encode(), 200},
			{"empty response", func() { srv.Fail(ststest.EmptyResponse, 1) }, form.Encode(), 200},
			{"delayed", func() { srv.Delay(time.Hour, 1) }, form.Encode(), 200},
		} {
			tc.before()
			resp, err := srv.Client().Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(tc.body))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			resp.Body.Close()
			want := time.Now().Add(-15 * time.Minute).UTC().Format(http.TimeFormat)
			if got := resp.Header.Get("Date"); resp.StatusCode != tc.status || got != want {
				t.Errorf("%s: %d with Date %q, want %d with %q", tc.name, resp.StatusCode, got, tc.status, want)
			}
		}
	})
}

// SetClockSkew may be called while requests are being served (go test -race checks it).
func TestSetClockSkewConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newInMemoryServer(t)
		c := newClient(srv, userCreds(), pipesOf(srv))
		now := time.Now()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() { srv.SetClockSkew(time.Duration(i%2) * time.Minute) })
			wg.Go(func() {
				out, err := c.GetCallerIdentity(t.Context(), nil)
				if err != nil {
					t.Errorf("GetCallerIdentity: %v", err)
					return
				}
				if got, _ := awsmiddleware.GetServerTime(out.ResultMetadata); !got.Equal(now) && !got.Equal(now.Add(time.Minute)) {
					t.Errorf("Date = %v, want %v or a minute later", got, now)
				}
			})
		}
		wg.Wait()
	})
}

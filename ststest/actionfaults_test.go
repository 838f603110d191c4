package ststest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/awssts/awssts/ststest"
)

// credentialAction is one of the actions that issue credentials, called through the SDK.
type credentialAction struct {
	name string
	call func(context.Context, *ststest.Server) (*types.Credentials, error)
}

// newActionServer is newServer that also accepts the web identity token of newActions.
func newActionServer(t *testing.T) *ststest.Server {
	t.Helper()
	srv := newServer(t)
	srv.AddWebIdentityToken("fault-token")
	return srv
}

var newActions = []credentialAction{
	{"GetSessionToken", func(ctx context.Context, srv *ststest.Server) (*types.Credentials, error) {
		out, err := newClient(srv, userCreds()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			return nil, err
		}
		return out.Credentials, nil
	}},
	{"AssumeRoleWithWebIdentity", func(ctx context.Context, srv *ststest.Server) (*types.Credentials, error) {
		out, err := anonClient(srv).AssumeRoleWithWebIdentity(ctx, webIdentity("fault-token", testRole, "faulty", 0))
		if err != nil {
			return nil, err
		}
		return out.Credentials, nil
	}},
}

func TestFaultsOnNewActions(t *testing.T) {
	for _, a := range newActions {
		t.Run(a.name, func(t *testing.T) {
			for _, tc := range errorFaults {
				srv := newActionServer(t)
				srv.Fail(tc.kind, 1)
				_, err := a.call(t.Context(), srv)
				checkAPIError(t, err, tc.status, tc.code)
			}

			srv := newActionServer(t)
			srv.Fail(ststest.MalformedResponse, 1)
			_, err := a.call(t.Context(), srv)
			checkUnparsable(t, err)

			srv.Fail(ststest.ConnectionReset, 1)
			if _, err := a.call(t.Context(), srv); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("error = %v, want ECONNRESET", err)
			}

			srv.Fail(ststest.EmptyResponse, 1)
			if creds, err := a.call(t.Context(), srv); err != nil || creds != nil {
				t.Errorf("with an empty body: %v, %v; want no error and no Credentials", creds, err)
			}

			srv.Delay(time.Millisecond, 1)
			if creds, err := a.call(t.Context(), srv); err != nil || creds == nil {
				t.Errorf("after a delay: %v, %v", creds, err)
			}

			want := []ststest.FaultKind{ststest.MalformedResponse, ststest.ConnectionReset, ststest.EmptyResponse, 0}
			calls := srv.Calls()
			if got := faultKinds(calls); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != 0 {
				t.Errorf("faults = %v, want %v", got, want)
			}
			if c := calls[len(calls)-1]; c.Action != a.name || c.Delay != time.Millisecond {
				t.Errorf("last call = %+v, want %s delayed by 1ms", c, a.name)
			}
		})
	}
}

func TestExpiredCredentialsFromNewActions(t *testing.T) {
	srv := newActionServer(t)
	for _, a := range newActions {
		t.Run(a.name, func(t *testing.T) {
			srv.Fail(ststest.ExpiredCredentials, 1)
			creds, err := a.call(t.Context(), srv)
			if err != nil {
				t.Fatalf("%s: %v", a.name, err)
			}
			if !creds.Expiration.Before(time.Now()) {
				t.Fatalf("Expiration %v is not in the past", *creds.Expiration)
			}
			c := aws.Credentials{AccessKeyID: *creds.AccessKeyId, SecretAccessKey: *creds.SecretAccessKey, SessionToken: *creds.SessionToken}
			_, err = newClient(srv, c).GetCallerIdentity(t.Context(), nil)
			checkAPIError(t, err, http.StatusForbidden, "ExpiredToken")
		})
	}
}

// FailAction and DelayAction leave other actions alone, whatever their place in the queue.
func TestFaultsForOneAction(t *testing.T) {
	srv := newServer(t)
	srv.FailAction("AssumeRole", ststest.ServiceUnavailable, 1)
	srv.DelayAction("GetSessionToken", time.Millisecond, 1)
	srv.Fail(ststest.Throttling, 1)
	user := newClient(srv, userCreds())

	if _, err := user.GetCallerIdentity(t.Context(), nil); err == nil {
		t.Error("GetCallerIdentity passed the Throttling fault for any action by")
	}
	creds := getSessionToken(t, user, &sts.GetSessionTokenInput{})
	_, err := assumeRole(t.Context(), newClient(srv, creds), testRole, "first", 0)
	checkAPIError(t, err, http.StatusServiceUnavailable, "ServiceUnavailable")
	if _, err := assumeRole(t.Context(), newClient(srv, creds), testRole, "second", 0); err != nil {
		t.Fatalf("AssumeRole after its fault: %v", err)
	}
	calls := srv.Calls()
	want := []struct {
		action string
		fault  ststest.FaultKind
		delay  time.Duration
	}{
		{"GetCallerIdentity", ststest.Throttling, 0},
		{"GetSessionToken", 0, time.Millisecond},
		{"AssumeRole", ststest.ServiceUnavailable, 0},
		{"AssumeRole", 0, 0},
	}
	if len(calls) != len(want) {
		t.Fatalf("%d calls, want %d: %+v", len(calls), len(want), calls)
	}
	for i, w := range want {
		if c := calls[i]; c.Action != w.action || c.Fault != w.fault || c.Delay != w.delay {
			t.Errorf("call %d = %s %v %v, want %s %v %v", i, c.Action, c.Fault, c.Delay, w.action, w.fault, w.delay)
		}
	}
}

func TestFailActionPanicsOnUnknownAction(t *testing.T) {
	srv := newServer(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "GetFederationToken") {
			t.Errorf("recover() = %v, want a panic naming the action", r)
		}
	}()
	srv.FailAction("GetFederationToken", ststest.Throttling, 1)
}

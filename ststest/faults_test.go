package ststest_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptrace"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/awssts/awssts/ststest"
)

// faultKinds lists the faults in the order recorded by calls, for error messages.
func faultKinds(calls []ststest.Call) []ststest.FaultKind {
	var kinds []ststest.FaultKind
	for _, c := range calls {
		kinds = append(kinds, c.Fault)
	}
	return kinds
}

func TestThrottlingIsRetriedByTheDefaultRetryer(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.Throttling, 1)
	c := newClient(srv, userCreds(), func(o *sts.Options) { o.Retryer = retry.NewStandard() }) // the SDK default
	if _, err := assumeRole(t.Context(), c, testRole, "retried", 0); err != nil {
		t.Fatalf("AssumeRole after one Throttling: %v", err)
	}
	calls := srv.Calls()
	if len(calls) != 2 || calls[0].ErrorCode != "Throttling" || calls[1].ErrorCode != "" {
		t.Errorf("calls = %+v, want one throttled then one served", calls)
	}
}

// errorFaults are the faults answered with an STS error, with its HTTP status and code.
var errorFaults = []struct {
	kind   ststest.FaultKind
	status int
	code   string
}{
	{ststest.Throttling, http.StatusBadRequest, "Throttling"},
	{ststest.InternalFailure, http.StatusInternalServerError, "InternalFailure"},
	{ststest.ServiceUnavailable, http.StatusServiceUnavailable, "ServiceUnavailable"},
}

func TestServerErrors(t *testing.T) {
	for _, tc := range errorFaults {
		t.Run(tc.kind.String(), func(t *testing.T) {
			srv := newServer(t)
			srv.Fail(tc.kind, 1)
			_, err := newClient(srv, userCreds()).GetCallerIdentity(t.Context(), nil)
			checkAPIError(t, err, tc.status, tc.code)

			srv.Fail(tc.kind, 2)
			if _, err := assumeRole(t.Context(), newClient(srv, userCreds(), fastRetries), testRole, "sess", 0); err != nil {
				t.Fatalf("AssumeRole after 2 × %v with retries: %v", tc.kind, err)
			}
			calls := srv.Calls()
			if len(calls) != 4 || calls[1].Fault != tc.kind || calls[2].Fault != tc.kind || calls[3].Fault != 0 || calls[3].ErrorCode != "" {
				t.Errorf("faults = %v, want [%v %v %v none], the last served", faultKinds(calls), tc.kind, tc.kind, tc.kind)
			}
		})
	}
}

func TestFaultsQueueInOrder(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.Throttling, 2)
	srv.Fail(ststest.InternalFailure, 1)
	srv.Fail(ststest.ServiceUnavailable, 0) // applies to no call
	c := newClient(srv, userCreds())
	for range 4 {
		_, _ = c.GetCallerIdentity(t.Context(), nil)
	}
	got := faultKinds(srv.Calls())
	want := []ststest.FaultKind{ststest.Throttling, ststest.Throttling, ststest.InternalFailure, 0}
	if len(got) != len(want) {
		t.Fatalf("faults = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("faults = %v, want %v", got, want)
		}
	}
}

func TestMalformedResponse(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.MalformedResponse, 2)
	_, err := assumeRole(t.Context(), newClient(srv, userCreds(), fastRetries), testRole, "sess", 0)
	checkUnparsable(t, err)
	_, err = newClient(srv, userCreds()).GetCallerIdentity(t.Context(), nil)
	checkUnparsable(t, err)
	if n := len(srv.Calls()); n != 2 {
		t.Errorf("%d calls, want 2: the SDK does not retry a malformed body", n)
	}
}

// checkUnparsable fails t unless err is the SDK failing to read a 200 response.
func checkUnparsable(t *testing.T, err error) {
	t.Helper()
	var respErr *awshttp.ResponseError
	var apiErr smithy.APIError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusOK || errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want a failure to deserialize a 200 response", err)
	}
	var syntaxErr *xml.SyntaxError
	var deserErr *smithy.DeserializationError
	if !errors.As(err, &syntaxErr) && !errors.As(err, &deserErr) {
		t.Errorf("error = %v, want an XML syntax or deserialization error", err)
	}
}

func TestConnectionReset(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.ConnectionReset, 1)
	_, err := newClient(srv, userCreds()).GetCallerIdentity(t.Context(), nil)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("error = %v, want ECONNRESET", err)
	}

	srv.Fail(ststest.ConnectionReset, 2)
	if _, err := assumeRole(t.Context(), newClient(srv, userCreds(), fastRetries), testRole, "sess", 0); err != nil {
		t.Fatalf("AssumeRole after 2 resets with retries: %v", err)
	}
	if n := len(srv.Calls()); n != 4 {
		t.Errorf("%d calls, want 4", n)
	}
}

func TestExpiredCredentialsOnlyForAssumeRole(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.ExpiredCredentials, 1)
	c := newClient(srv, userCreds())
	if _, err := c.GetCallerIdentity(t.Context(), nil); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	expired, err := assumeRole(t.Context(), c, testRole, "sess", 0)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	fresh, err := assumeRole(t.Context(), c, testRole, "sess", 0)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	now := time.Now()
	if !expired.Credentials.Expiration.Before(now) || !fresh.Credentials.Expiration.After(now) {
		t.Errorf("expirations %v then %v around %v, want past then future", *expired.Credentials.Expiration, *fresh.Credentials.Expiration, now)
	}
	if got := faultKinds(srv.Calls()); got[0] != 0 || got[1] != ststest.ExpiredCredentials || got[2] != 0 {
		t.Errorf("faults = %v", got)
	}
}

func TestDelay(t *testing.T) {
	srv := newServer(t)
	srv.Delay(time.Millisecond, 1)
	if _, err := newClient(srv, userCreds()).GetCallerIdentity(t.Context(), nil); err != nil {
		t.Fatalf("GetCallerIdentity after a short delay: %v", err)
	}
	if c := srv.Calls()[0]; c.Delay != time.Millisecond || c.ErrorCode != "" {
		t.Errorf("call = %+v, want a served call delayed by 1ms", c)
	}
}

func TestDelayEndsWhenTheClientGivesUp(t *testing.T) {
	srv := newServer(t)
	srv.Delay(time.Hour, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { cancel() }})
	_, err := newClient(srv, userCreds()).GetCallerIdentity(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	// The handler must now return; srv.Close in Cleanup would wait an hour, and goleak
	// would report it, if it did not.
}

func TestCloseEndsDelay(t *testing.T) {
	srv := ststest.NewServer()
	srv.AddUser(testKeyID, testSecret)
	srv.Delay(time.Hour, 1)
	wrote := make(chan struct{})
	ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }})
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(srv, userCreds()).GetCallerIdentity(ctx, nil)
		errc <- err
	}()
	<-wrote
	srv.Close()
	if err := <-errc; err == nil {
		t.Fatal("GetCallerIdentity succeeded on a closed server")
	}
}

// The SDK reads an empty 200 body as a response with no fields, not as an error: a client
// must check that Credentials is there.
func TestEmptyResponse(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.EmptyResponse, 1)
	out, err := assumeRole(t.Context(), newClient(srv, userCreds(), fastRetries), testRole, "sess", 0)
	if err != nil || out.Credentials != nil {
		t.Fatalf("AssumeRole with an empty body = %+v, %v; want no error and no Credentials", out, err)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestRecoverDropsQueuedFaults(t *testing.T) {
	srv := newServer(t)
	srv.Fail(ststest.ServiceUnavailable, 100)
	srv.Delay(time.Hour, 100)
	srv.Recover()
	if _, err := assumeRole(t.Context(), newClient(srv, userCreds(), fastRetries), testRole, "sess", 0); err != nil {
		t.Fatalf("AssumeRole after Recover: %v", err)
	}
	if c := srv.Calls(); len(c) != 1 || c[0].Fault != 0 || c[0].Delay != 0 {
		t.Errorf("calls %+v, want one clean call", c)
	}
}

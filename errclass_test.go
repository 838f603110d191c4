package awssts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestErrorKinds(t *testing.T) {
	api := func(code string, fault smithy.ErrorFault) error {
		return &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault}
	}
	status := func(code int, err error) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}
	}
	dial := &url.Error{Op: "Post", URL: "https://sts.example", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	for _, tc := range []struct {
		name            string
		err             error
		outage, refusal bool
	}{
		{"AccessDenied", api("AccessDenied", smithy.FaultClient), false, true},
		{"InvalidClientTokenId", fmt.Errorf("wrapped: %w", api("InvalidClientTokenId", smithy.FaultClient)), false, true},
		{"ExpiredToken 403", status(403, api("ExpiredToken", smithy.FaultUnknown)), false, true},
		{"RegionDisabledException", api("RegionDisabledException", smithy.FaultClient), false, true},
		{"Throttling", status(400, api("Throttling", smithy.FaultClient)), true, false},
		{"ServiceUnavailable", api("ServiceUnavailable", smithy.FaultServer), true, false},
		{"500 without a fault", status(500, api("InternalFailure", smithy.FaultUnknown)), true, false},
		{"IDPCommunicationError", api("IDPCommunicationError", smithy.FaultClient), true, false},
		{"timeout", fmt.Errorf("call: %w", context.DeadlineExceeded), true, false},
		{"connection refused", dial, true, false},
		{"TokenProvider failed", errors.New("no code"), false, false},
	} {
		if got := isOutage(tc.err); got != tc.outage {
			t.Errorf("%s: isOutage = %t, want %t", tc.name, got, tc.outage)
		}
		if got := isRefusal(tc.err); got != tc.refusal {
			t.Errorf("%s: isRefusal = %t, want %t", tc.name, got, tc.refusal)
		}
	}
}

// A throttling error, however wrapped, asks for a wait of 1 to 60 s; other errors for none.
func TestWaitAsked_Throttling(t *testing.T) {
	throttled := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400}},
		Err: &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}}
	for range 100 {
		err := fmt.Errorf("awssts: AssumeRole: %w", throttled)
		if w := waitAsked(err); w < minThrottleWait || w > maxThrottleWait {
			t.Fatalf("waitAsked = %v, want %v to %v", w, minThrottleWait, maxThrottleWait)
		}
	}
	for _, err := range []error{nil, errors.New("x"), &smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer}} {
		if w := waitAsked(err); w != 0 {
			t.Errorf("waitAsked(%v) = %v, want 0", err, w)
		}
	}
}

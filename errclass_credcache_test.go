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

	"github.com/awssts/awssts/internal/credcache"
)

// The command's cache repeats the library's rule of what a refusal is (it cannot call the
// unexported isRefusal): both must sort every error alike, so that the cache never serves
// stale credentials after an answer that the library would count as a refusal.
func TestCredcacheRefusal_AgreesWithLibrary(t *testing.T) {
	api := func(code string, fault smithy.ErrorFault) error {
		return &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole",
			Err: &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault}}
	}
	status := func(code int, err error) error {
		return &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole",
			Err: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}}
	}
	dial := &url.Error{Op: "Post", URL: "https://sts.example", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	for _, tc := range []struct {
		name    string
		err     error
		refusal bool
	}{
		{"AccessDenied", api("AccessDenied", smithy.FaultClient), true},
		{"AccessDeniedException", api("AccessDeniedException", smithy.FaultClient), true},
		{"InvalidClientTokenId", api("InvalidClientTokenId", smithy.FaultClient), true},
		{"SignatureDoesNotMatch", api("SignatureDoesNotMatch", smithy.FaultClient), true},
		{"ExpiredToken 403", status(403, &smithy.GenericAPIError{Code: "ExpiredToken"}), true},
		{"RegionDisabledException", status(403, &smithy.GenericAPIError{Code: "RegionDisabledException", Fault: smithy.FaultClient}), true},
		{"ValidationError", api("ValidationError", smithy.FaultClient), true},
		{"MalformedPolicyDocument", api("MalformedPolicyDocument", smithy.FaultClient), true},
		{"unparsed 403", status(403, errors.New("bad body")), true},
		{"unparsed 401", status(401, errors.New("bad body")), true},
		{"unparsed 400", status(400, errors.New("bad body")), false},
		{"Throttling", status(400, &smithy.GenericAPIError{Code: "Throttling", Fault: smithy.FaultClient}), false},
		{"RequestTimeout", api("RequestTimeout", smithy.FaultClient), false},
		{"RequestTimeoutException", api("RequestTimeoutException", smithy.FaultClient), false},
		{"ServiceUnavailable", api("ServiceUnavailable", smithy.FaultServer), false},
		{"500 without a fault", status(500, &smithy.GenericAPIError{Code: "InternalFailure"}), false},
		{"503 unparsed", status(503, errors.New("bad body")), false},
		{"IDPCommunicationError", api("IDPCommunicationError", smithy.FaultClient), false},
		{"timeout", fmt.Errorf("call: %w", context.DeadlineExceeded), false},
		{"connection refused", dial, false},
		{"TokenProvider failed", errors.New("no code"), false},
		{"nil", nil, false},
	} {
		lib, cli := isRefusal(tc.err), credcache.IsRefusal(tc.err)
		if lib != tc.refusal || cli != tc.refusal {
			t.Errorf("%s: library isRefusal = %t, credcache.IsRefusal = %t, want both %t", tc.name, lib, cli, tc.refusal)
		}
	}
}

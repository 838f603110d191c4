package credcache

import (
	"context"
	"errors"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// This is the awssts library's rule (isRefusal and isOutage in the root package's
// errclass.go), repeated here because the library does not export it; the root package's
// TestCredcacheRefusal_AgreesWithLibrary checks that both sort a table of errors alike.
// Keep the two in step.

// outageCodes are client-fault codes that mean the service could not do its job.
var outageCodes = map[string]bool{"IDPCommunicationError": true}

// IsRefusal reports whether err is STS or Roles Anywhere answering no, rather than an outage:
// any API error that is not an outage (AccessDenied, InvalidClientTokenId, ExpiredToken,
// RegionDisabledException, ValidationError, …), or a 401 or 403 whose body did not parse.
// No retry and no cached credentials may paper over it.
func IsRefusal(err error) bool {
	var apiErr smithy.APIError
	var re *smithyhttp.ResponseError
	switch {
	case err == nil, isOutage(err):
		return false
	case errors.As(err, &apiErr):
		return true
	}
	return errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusUnauthorized || re.HTTPStatusCode() == http.StatusForbidden)
}

// isOutage reports whether err is an outage of the service: a server fault, throttling, a
// timeout or a connection error.
func isOutage(err error) bool {
	var apiErr smithy.APIError
	var re *smithyhttp.ResponseError
	switch {
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary,
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &re) && re.HTTPStatusCode() >= http.StatusInternalServerError:
		return true
	case errors.As(err, &apiErr):
		// Only the codes say: the SDK also calls a signature refused for clock skew retryable.
		return apiErr.ErrorFault() == smithy.FaultServer || outageCodes[apiErr.ErrorCode()] ||
			retry.RetryableErrorCode{Codes: retry.DefaultRetryableErrorCodes}.IsErrorRetryable(err) == aws.TrueTernary
	}
	return retry.RetryableConnectionError{}.IsErrorRetryable(err) == aws.TrueTernary
}

package awssts

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The sources sort the SDK's errors into three kinds. An outage (a server fault, throttling,
// a timeout, a connection error) is what stale-on-failure and regional failover are for. A
// refusal is the source answering no (AccessDenied, InvalidClientTokenId, ExpiredToken,
// ValidationError, …): the principal that asked may no longer have these credentials, so
// held ones are not served past their refresh time on its account. Everything else (a
// TokenProvider that failed, an unreadable token file) is neither.

// outageCodes are client-fault codes that mean the service could not do its job, not that it
// said no.
var outageCodes = map[string]bool{"IDPCommunicationError": true}

// isThrottle says whether err is throttling, by the SDK's standard retryer's rules.
func isThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// isOutage says whether err is an outage of the service: a server fault, throttling, a timeout
// or a connection error.
func isOutage(err error) bool {
	var apiErr smithy.APIError
	switch {
	case err == nil:
		return false
	case isThrottle(err), errors.Is(err, context.DeadlineExceeded), serverStatus(err):
		return true
	case errors.As(err, &apiErr):
		// Only the codes say: the SDK also calls a signature refused for clock skew retryable.
		return apiErr.ErrorFault() == smithy.FaultServer || outageCodes[apiErr.ErrorCode()] ||
			retry.RetryableErrorCode{Codes: retry.DefaultRetryableErrorCodes}.IsErrorRetryable(err) == aws.TrueTernary
	}
	return retry.RetryableConnectionError{}.IsErrorRetryable(err) == aws.TrueTernary
}

// isRefusal says whether err is the service's answer no: an API error that is not an outage,
// or a 401 or 403 whose body did not parse.
func isRefusal(err error) bool {
	var apiErr smithy.APIError
	var re *smithyhttp.ResponseError
	switch {
	case isOutage(err):
		return false
	case errors.As(err, &apiErr):
		return true
	}
	return errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusUnauthorized || re.HTTPStatusCode() == http.StatusForbidden)
}

// serverStatus says whether err carries an HTTP response status of 500 or more.
func serverStatus(err error) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= http.StatusInternalServerError
}

// throttleNotRetried is a retryer that leaves throttling to the engine's backoff.
type throttleNotRetried struct{ aws.Retryer }

func (r throttleNotRetried) IsErrorRetryable(err error) bool {
	return !isThrottle(err) && r.Retryer.IsErrorRetryable(err)
}

func (r throttleNotRetried) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}

// onePrefix is err with "awssts: " at the start of its message only. A source whose own
// credentials come from another Provider (an MFA session under AssumeRole) quotes that
// Provider's error inside the SDK's, prefix and all. errors.Is and errors.As see err.
func onePrefix(err error) error {
	rest, ok := strings.CutPrefix(err.Error(), "awssts: ")
	if !ok || !strings.Contains(rest, "awssts: ") {
		return err
	}
	return &prefixedError{"awssts: " + strings.ReplaceAll(rest, "awssts: ", ""), err}
}

type prefixedError struct {
	msg string
	err error
}

func (e *prefixedError) Error() string { return e.msg }
func (e *prefixedError) Unwrap() error { return e.err }

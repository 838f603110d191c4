package awssts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// sdkError is the error a real *sts.Client returns for one HTTP response from STS's endpoint.
func sdkError(t *testing.T, status int, body string, date time.Time, attempts int) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Date", date.UTC().Format(http.TimeFormat))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: attempts,
		Credentials: credentials.NewStaticCredentialsProvider("AKIASOURCE", "source-secret", "")})
	_, err := c.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(testRoleARN), RoleSessionName: aws.String("attack")})
	if err == nil {
		t.Fatal("AssumeRole succeeded")
	}
	return err
}

func stsXMLError(code string) string {
	return `<ErrorResponse><Error><Type>Sender</Type><Code>` + code + `</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`
}

// refusedServedStale has STS fail with err once the held credentials are due, and fails t
// when the held credentials are served anyway.
func refusedServedStale(t *testing.T, err error) {
	t.Helper()
	if !isRefusal(err) {
		t.Errorf("isRefusal = false, isOutage = %t for %v", isOutage(err), err)
	}
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{}
		p := newTestProvider(t, f, func(o *Options) { o.Prefetch = true })
		mustRetrieve(t, p)
		f.setErr(err)
		time.Sleep(DefaultDuration - DefaultExpiryWindow + time.Second)
		if _, got := p.Retrieve(context.Background()); got == nil {
			t.Errorf("once due: Retrieve served the held credentials; want the refusal")
		}
	})
}

// SignatureDoesNotMatch (the source secret is wrong or rotated) while this machine's clock is
// off by more than the SDK's skew threshold, with AWS_MAX_ATTEMPTS=1 (or the retry quota
// spent): the SDK wraps it in a retryableClockSkewError, whose RetryableError() makes isOutage
// true, so a refusal is covered by stale-on-failure.
// Expected: a modeled STS refusal stays a refusal however the retryer marks it: isOutage must
// not read "worth retrying" as "outage".
func TestAttack_Refusal_ClockSkewWrapped_ServedStale(t *testing.T) {
	refusedServedStale(t, sdkError(t, http.StatusForbidden, stsXMLError("SignatureDoesNotMatch"), time.Now().Add(-20*time.Minute), 1))
}

// An HTTP 401 or 403 from STS's endpoint whose body does not parse (empty, an HTML page) is a
// DeserializationError with the status and no API error: neither a refusal nor an outage, so
// the held credentials are served past their refresh time on it.
// Expected: a 401/403 status is a refusal (debatable when a proxy sends it; then it is at
// least not an outage to cover for up to an hour).
func TestAttack_Refusal_Unmodeled401403_ServedStale(t *testing.T) {
	for name, err := range map[string]error{
		"403 empty body": sdkError(t, http.StatusForbidden, "", time.Now(), 1),
		"401 html page":  sdkError(t, http.StatusUnauthorized, "<html>Unauthorized</html>", time.Now(), 3),
	} {
		t.Run(name, func(t *testing.T) { refusedServedStale(t, err) })
	}
}

package awssts_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// Expected: throttling of CreateSession (a quota of 10 a second that cannot be raised, the
// complaint issue 21 answers) spreads the fleet's next calls over 1 to 60 s, as throttling of
// AssumeRole does (TestThrottling_SpreadsTheNextCall).
//
// The throttle-aware wait lives in viaRegions, which only the STS sources use; the Roles
// Anywhere source does not mark throttling, so after a throttled CreateSession the engine's
// ordinary backoff of 0.5 to 1 s applies, and a fleet throttled together comes back together
// within a second and spends the quota again. (The SDK's three attempts within the call are
// what TestRolesAnywhere_RetriesTransientErrors asks for, so only the wait after is checked.)
func TestAttack2_RolesAnywhere_ThrottlingSpreadsTheNextCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const fleet = 20
		p, srv := raInMemory(t, "P-256", false)
		var perCall []int
		var waits []time.Duration
		for range fleet {
			srv.FailAction("CreateSession", ststest.Throttling, 1<<20)
			before := len(srv.Calls())
			pr := raProvider(t, srv, p, func(o *awssts.RolesAnywhereOptions) { o.Prefetch = true })
			_, err := pr.Retrieve(context.Background())
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
				t.Fatalf("first Retrieve = %v, want ThrottlingException", err)
			}
			failedAt := time.Now()
			calls := srv.Calls()
			perCall = append(perCall, len(calls)-before)
			srv.Recover()
			time.Sleep(2 * time.Minute) // the prefetch goroutine calls again after its wait
			calls = srv.Calls()
			if len(calls) == before+perCall[len(perCall)-1] {
				t.Fatal("no call after the throttling in 2 minutes")
			}
			waits = append(waits, calls[before+perCall[len(perCall)-1]].Time.Sub(failedAt))
			pr.Close()
		}
		t.Logf("requests per throttled call: %v; waits before the next call: %v", perCall, waits)
		if lo, hi := slices.Min(waits), slices.Max(waits); lo < time.Second || hi-lo < 20*time.Second {
			t.Errorf("the next call came %v to %v after a throttled CreateSession, want spread over 1 s to 60 s, as for AssumeRole", lo, hi)
		}
	})
}

// a2Answer is a Roles Anywhere endpoint that answers every CreateSession with one fixed
// status and body.
type a2Answer struct {
	status int
	body   string
}

func (a a2Answer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: a.status, Status: http.StatusText(a.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(a.body)),
		ContentLength: int64(len(a.body)), Request: r}, nil
}

// Expected: an answer whose credentials cannot work is an error from Retrieve, not
// credentials: Roles Anywhere issues role sessions, whose keys are useless without their
// session token (the aws_signing_helper bug of issue 21 was such an answer with HTTP 200).
//
// The answers with no keys, no credentials or an expiry in the past are refused (they pass);
// one with keys and no session token is served as if it were good.
func TestAttack2_RolesAnywhere_AnswersThatCannotWork(t *testing.T) {
	p := newPKI(t, "P-256", false)
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for name, a := range map[string]a2Answer{
		"200 empty object":     {200, `{}`},
		"201 empty set":        {201, `{"credentialSet":[]}`},
		"201 empty keys":       {201, `{"credentialSet":[{"credentials":{"accessKeyId":"","secretAccessKey":"","sessionToken":"","expiration":"` + exp + `"}}]}`},
		"201 expired":          {201, `{"credentialSet":[{"credentials":{"accessKeyId":"ASIAEXAMPLE000000001","secretAccessKey":"s","sessionToken":"t","expiration":"` + past + `"}}]}`},
		"201 no session token": {201, `{"credentialSet":[{"credentials":{"accessKeyId":"ASIAEXAMPLE000000001","secretAccessKey":"s","expiration":"` + exp + `"},"roleArn":"` + raRole + `"}]}`},
	} {
		t.Run(name, func(t *testing.T) {
			pr, err := awssts.NewRolesAnywhere(p.leaf, p.key, raAnchor, raProfile, raRole, func(o *awssts.RolesAnywhereOptions) {
				o.BaseEndpoint, o.HTTPClient = "https://rolesanywhere.invalid", &http.Client{Transport: a}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer pr.Close()
			if c, err := pr.Retrieve(t.Context()); err == nil {
				t.Errorf("Retrieve of an answer %s = %s with session token %q, want an error", a.body, c.AccessKeyID, c.SessionToken)
			}
		})
	}
}

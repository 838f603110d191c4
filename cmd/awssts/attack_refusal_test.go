package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awssts/awssts"
)

// refusingSTS answers the first AssumeRole with credentials that expire 20 s inside the refresh
// window (16 min, or the dev build's 100 s), usable on failure, so that the next export calls STS again; it answers every
// later call with a 403 and code.
func refusingSTS(t *testing.T, code string) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		if calls.Add(1) > 1 {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>`, code)
			return
		}
		exp := time.Now().Add(refreshWindow(awssts.DefaultDuration) - 20*time.Second).UTC().Format(time.RFC3339)
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>`+
			`<AccessKeyId>ASIACACHEDSESSION000</AccessKeyId><SecretAccessKey>cached-secret</SecretAccessKey><SessionToken>cached-token</SessionToken>`+
			`<Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn>`+
			`<AssumedRoleId>AROAX:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`, exp)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
}

// RegionDisabledException is STS refusing to issue credentials in a region the account's
// administrator has turned STS off in, a 4xx answer that the awssts library itself counts as a
// refusal, not an outage. Expected: STS's error and no credentials, not the cached session.
func TestAttack_RefusalOutsideTheList_ServedStale(t *testing.T) {
	for _, refusal := range []string{"AccessDenied", "RegionDisabledException"} { // AccessDenied: the control, which holds
		t.Run(refusal, func(t *testing.T) {
			isolate(t)
			refusingSTS(t, refusal)
			exportOK(t)
			code, stdout, stderr := runCLI(t, "", "export", "--role-arn", roleARN)
			if code == 0 || strings.Contains(stdout, "ASIACACHEDSESSION000") {
				t.Errorf("after STS answered %s: exit %d, stdout %q, stderr %q: want the refusal (exit 1) and no cached credentials",
					refusal, code, stdout, strings.TrimSpace(stderr))
			}
		})
	}
}

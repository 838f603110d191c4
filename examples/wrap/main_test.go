package main

import (
	"bytes"
	"regexp"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	// A machine with an AWS setup of its own: the demo must still find its endpoint. t.Setenv
	// also restores every variable that run sets.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")
	t.Setenv("AWS_PROFILE", "no-such-profile")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/elsewhere")
	for _, k := range []string{
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONFIG_FILE",
		"AWS_SHARED_CREDENTIALS_FILE", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	} {
		t.Setenv(k, "")
	}

	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	t.Log("\n" + got)

	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^container endpoint: http://127\.0\.0\.1:\d+/credentials `),
		regexp.MustCompile(`(?m)^default chain: +\*aws\.CredentialsCache$`),
		regexp.MustCompile(`(?m)^wrapped: +awssts\.Provider\{Wrap \*aws\.CredentialsCache, ExpiryWindow: [0-9hms]+\}$`),
		regexp.MustCompile(`(?m)^access key ID: +ASIAWRAPDEMO00000001 \(from CredentialsEndpointProvider\)$`),
		regexp.MustCompile(`(?m)^101 Retrieve calls: 1 request\(s\) to the endpoint$`),
		regexp.MustCompile(`(?m)^after Invalidate: +ASIAWRAPDEMO00000002; 2 request\(s\) to the endpoint$`),
		regexp.MustCompile(`(?m)^stats: +2 refreshes, 0 failures; next prefetch in [1-9][0-9]?m0s$`),
	} {
		if !want.MatchString(got) {
			t.Errorf("output does not match %s", want)
		}
	}
	// Secrets and session tokens are long runs of base64; nothing printed may look like one.
	if s := regexp.MustCompile(`[A-Za-z0-9+/=]{30,}`).FindString(got); s != "" {
		t.Errorf("output shows something like a secret or token: %q", s)
	}
}

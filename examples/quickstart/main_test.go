package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	t.Setenv("AWS_PROFILE", "no-such-profile")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")

	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	t.Log("\n" + got)

	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^access key ID: +ASIA[A-Z0-9]{16}$`),
		regexp.MustCompile(`(?m)^session name: +asia-(release|dev)-[0-9]+$`),
		regexp.MustCompile(`(?m)^expires: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`),
		regexp.MustCompile(`(?m)^caller identity: +arn:aws:sts::123456789012:assumed-role/quickstart/asia-(release|dev)-[0-9]+$`),
		regexp.MustCompile(`(?m)^1000 goroutines: 1 distinct access key ID\(s\); STS AssumeRole calls recorded by the server: 1$`),
	} {
		if !want.MatchString(got) {
			t.Errorf("output does not match %s", want)
		}
	}
	if strings.Contains(got, secretAccessKey) {
		t.Error("output shows the long-term secret")
	}
	// Secrets and session tokens are long runs of base64; nothing printed may look like one.
	if s := regexp.MustCompile(`[A-Za-z0-9+/=]{30,}`).FindString(got); s != "" {
		t.Errorf("output shows something like a secret or token: %q", s)
	}
}

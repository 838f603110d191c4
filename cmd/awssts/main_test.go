package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/awssts/awssts/internal/credcache"
)

func TestMain(m *testing.M) {
	if helperProcess() {
		return
	}
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

// isolate points the SDK at nothing on this machine but the environment the test sets,
// with source keys and a region, and an STS endpoint that refuses connections.
func isolate(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ACCESS_KEY_ID":           "AKIASOURCEKEY0000000",
		"AWS_SECRET_ACCESS_KEY":       "source-secret-must-not-leak",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "us-east-1",
		"AWS_ENDPOINT_URL_STS":        "http://127.0.0.1:1",
		"AWS_MAX_ATTEMPTS":            "1",
		"AWS_CA_BUNDLE":               "",
		credcache.DirVariable:         t.TempDir(),
		guardVariable:                 "",
	} {
		t.Setenv(k, v)
	}
}

// runCLI runs the command in this process, as a process of its own would: the marker that
// the recursion guard leaves in the environment for its children is gone afterwards.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	defer os.Setenv(guardVariable, os.Getenv(guardVariable))
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, streams{strings.NewReader(stdin), &out, &errOut})
	return code, out.String(), errOut.String()
}

const roleARN = "arn:aws:iam::123456789012:role/demo"

// Every usage error exits 2 with one line on stderr that names the flag, before any STS call
// (the endpoint refuses connections, so a call would exit 1).
func TestUsageErrors_Exit2_OneLine_NamesFlag(t *testing.T) {
	isolate(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage"},
		{"unknown command", []string{"login"}, `unknown command "login"`},
		{"missing role", []string{"export"}, "--role-arn is required"},
		{"bad role", []string{"export", "--role-arn", "arn:aws:iam::123456789012:user/bob"}, "--role-arn"},
		{"unknown format", []string{"export", "--format", "yaml", "--role-arn", roleARN}, `--format "yaml": want one of env, env-no-export, fish, powershell, process, windows-cmd`},
		{"duration word", []string{"export", "--role-arn", roleARN, "--duration", "long"}, `--duration "long"`},
		{"duration zero", []string{"export", "--role-arn", roleARN, "--duration", "0"}, `--duration "0"`},
		{"duration short", []string{"export", "--role-arn", roleARN, "--duration", "60"}, "--duration: Duration 1m0s: must be whole seconds from 15m0s (900 s) to 12h0m0s (43200 s)"},
		{"duration long", []string{"exec", "--role-arn", roleARN, "--duration", "13h", "--", "true"}, "--duration"},
		{"prefix", []string{"export", "--role-arn", roleARN, "--session-prefix", "a b"}, "--session-prefix"},
		{"external id", []string{"export", "--role-arn", roleARN, "--external-id", "x"}, "--external-id"},
		{"source identity", []string{"export", "--role-arn", roleARN, "--source-identity", "x"}, "--source-identity"},
		{"mfa serial", []string{"export", "--role-arn", roleARN, "--mfa-serial", "short"}, "--mfa-serial"},
		{"policy json", []string{"export", "--role-arn", roleARN, "--policy", "{"}, "--policy"},
		{"policy file", []string{"export", "--role-arn", roleARN, "--policy", "@/nonexistent/policy.json"}, "--policy @/nonexistent/policy.json"},
		{"unknown flag", []string{"export", "--role", roleARN}, "flag provided but not defined: -role"},
		{"export args", []string{"export", "--role-arn", roleARN, "extra"}, `export takes no arguments, got "extra"`},
		{"exec no command", []string{"exec", "--role-arn", roleARN}, "exec needs a command after --"},
		{"exec no command after --", []string{"exec", "--role-arn", roleARN, "--"}, "exec needs a command after --"},
		{"profile", []string{"export", "--role-arn", roleARN, "--profile", "nope"}, `--profile "nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.want)
			}
			if tc.args != nil && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if stdout != "" || strings.Contains(stderr, "must-not-leak") {
				t.Errorf("stdout %q, stderr %q: want nothing on stdout and no secret", stdout, stderr)
			}
		})
	}
}

func TestNoRegion_Exit2(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN)
	if code != exitUsage || !strings.Contains(stderr, "--region is required") {
		t.Errorf("exit %d, stderr %q; want 2 and a message naming --region", code, stderr)
	}
}

func TestHelp_PerSubcommand_HasExamples(t *testing.T) {
	for _, cmd := range []string{"export", "exec", "serve"} {
		code, stdout, _ := runCLI(t, "", cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "-role-arn") {
			t.Errorf("%s --help: exit %d, output %q; want 0, examples and the flags", cmd, code, stdout)
		}
	}
}

func TestSTSFailure_Exit1_NamesTheError(t *testing.T) {
	isolate(t)
	code, stdout, stderr := runCLI(t, "", "export", "--role-arn", roleARN)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "AssumeRole") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line about AssumeRole", code, stdout, stderr)
	}
	if strings.Contains(stderr, "must-not-leak") {
		t.Errorf("stderr leaks the source secret: %q", stderr)
	}
}

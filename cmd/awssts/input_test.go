package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Bad input that used to reach STS, exit 1 or run out of memory exits 2 at once, with one
// line naming what is wrong, and makes no STS call.
func TestBadInput_Exit2_NoSTSCall(t *testing.T) {
	srv := localSTS(t)
	long := "arn:aws:iam::123456789012:role/" + strings.Repeat("a", 100<<10)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"policy from /dev/zero", nil, []string{"--role-arn", roleARN, "--policy", "@/dev/zero"}, "--policy"},
		{"role 100 KB", nil, []string{"--role-arn", long}, "--role-arn"},
		{"role unicode", nil, []string{"--role-arn", "arn:aws:iam::123456789012:role/dém"}, "--role-arn"},
		{"role two lines", nil, []string{"--role-arn", roleARN + "\narn:aws:iam::123456789012:role/x"}, "--role-arn"},
		{"region spaces", nil, []string{"--role-arn", roleARN, "--region", "us east 1"}, "--region"},
		{"region from the environment", map[string]string{"AWS_REGION": "us-east-1; rm"}, []string{"--role-arn", roleARN}, "region"},
		{"endpoint not a URL", map[string]string{"AWS_ENDPOINT_URL_STS": "not a url"}, []string{"--role-arn", roleARN}, "AWS_ENDPOINT_URL_STS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary(t), append([]string{"export"}, tc.args...)...)
			for k, v := range tc.env {
				cmd.Env = append(cmd.Environ(), k+"="+v)
			}
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			_ = cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != exitUsage || ctx.Err() != nil {
				t.Errorf("exit %d (%v), stderr %.300q: want 2", code, ctx.Err(), errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.want) || strings.Count(errOut.String(), "\n") != 1 || len(errOut.String()) > 1000 {
				t.Errorf("stderr %.300q: want one short line naming %s", errOut.String(), tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d STS calls for bad input, want none", n)
	}
}

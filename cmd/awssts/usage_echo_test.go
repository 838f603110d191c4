package main

import (
	"strings"
	"testing"
)

// A huge flag value is shown back on stderr by about its first maxEcho characters only, whichever
// message quotes it.
func TestUsageErrors_EchoAtMost100Characters(t *testing.T) {
	isolate(t)
	long := strings.Repeat("x", 100_000)
	for _, args := range [][]string{
		{"export", "--role-arn", roleARN, "--format", long},
		{"serve", "--role-arn", roleARN, "--listen", long},
		{"export", "--role-arn", roleARN, "--duration", long},
		{"export", "--" + long},
		{"export", "--role-arn", roleARN, "extra" + long},
		{long},
	} {
		code, _, stderr := runCLI(t, "", args...)
		if code != exitUsage || strings.Contains(stderr, strings.Repeat("x", maxEcho+9)) || len(stderr) > 600 ||
			!strings.Contains(stderr, strings.Repeat("x", maxEcho-10)) {
			t.Errorf("%.40q…: exit %d, %d bytes on stderr: want 2 and the value cut to %d characters", args, code, len(stderr), maxEcho)
		}
	}
}

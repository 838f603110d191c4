//go:build !unix

package main

import (
	"strings"
	"testing"
)

// Where --background cannot work, serve refuses it before it assumes the role, writes the
// endpoint's files or listens: STS is unreachable here, and the refusal must come first.
func TestServeBackground_NotUnix_Exit2BeforeAnything(t *testing.T) {
	isolate(t)
	code, stdout, stderr := runCLI(t, "", "serve", "--background", "--role-arn", roleARN)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--background needs a Unix system") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and the --background line, before any STS call", code, stdout, stderr)
	}
	if names := entryFiles(t); len(names) != 0 {
		t.Errorf("cache entries %v, want none", names)
	}
}

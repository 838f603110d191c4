//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --log never follows a symlink: one planted where the log is to go would otherwise make
// the background server create or append to its target.
func TestServe_Background_LogIsNotFollowedThroughASymlink(t *testing.T) {
	localSTS(t)
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "serve.log")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBinary(t, "serve", "--role-arn", roleARN, "--background", "--log", link)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--log "+link) {
		t.Errorf("exit %d, stdout %q, stderr %q: want exit 2 naming --log", code, stdout, stderr)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Errorf("the symlink's target %s was created", target)
	}
}

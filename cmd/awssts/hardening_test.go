package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts/ststest"
)

func cacheDir() string { return os.Getenv("AWSSTS_CACHE_DIR") }

// Under credential_process there is no terminal, and stdin is the consumer's: the code is
// not read from it, and export fails at once saying how to start the MFA session.
func TestMFA_NoTerminal_FailsAtOnce_StdinUntouched(t *testing.T) {
	srv := mfaSTS(t)
	code, stdout, stderr := runCLI(t, mfaCode+"\n", "export", "--role-arn", roleARN, "--mfa-serial", mfaSerial)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "terminal") || !strings.Contains(stderr, "--mfa-serial") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q: want exit 1 and one line on how to start the MFA session", code, stdout, stderr)
	}
	if n := len(calls(srv, "GetSessionToken")); n != 0 {
		t.Errorf("%d GetSessionToken calls with a code read from stdin, want none", n)
	}
}

// Session tokens are not regional: one code serves the MFA session in every region.
func TestMFA_SessionServesEveryRegion(t *testing.T) {
	srv := mfaSTS(t)
	tty := fakeTTY(t)
	go func() { // a second prompt would take the second code
		for range 2 {
			if _, err := io.WriteString(tty.w, mfaCode+"\n"); err != nil {
				return
			}
		}
	}()
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		if code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--mfa-serial", mfaSerial, "--region", region); code != 0 {
			t.Fatalf("%s: exit %d: %s", region, code, stderr)
		}
	}
	if n := len(calls(srv, "GetSessionToken")); n != 1 {
		t.Errorf("%d GetSessionToken calls for two regions, want 1", n)
	}
}

// A crash between writing and renaming leaves .tmp-* files, with secrets in them: cache
// clear removes them and says how many.
func TestCacheClear_RemovesTemporaryFiles(t *testing.T) {
	localSTS(t)
	exportOK(t)
	for _, name := range []string{".tmp-123", ".tmp-456"} {
		writeFile(t, filepath.Join(cacheDir(), name), `{"SecretAccessKey":"x"}`)
	}
	code, stdout, stderr := runCLI(t, "", "cache", "clear")
	left, _ := filepath.Glob(filepath.Join(cacheDir(), "*"))
	tmps, _ := filepath.Glob(filepath.Join(cacheDir(), ".tmp-*"))
	if code != 0 || !strings.Contains(stdout, "removed 1 cache entries and 2 temporary files") || len(left)+len(tmps) != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q, left %v %v", code, stdout, stderr, left, tmps)
	}
}

// exportWithin runs the built command's export and fails the test if it takes a minute.
func exportWithin(t *testing.T) (code int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), "export", "--role-arn", roleARN)
	var errOut strings.Builder
	cmd.Stderr = &errOut
	_ = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("export hung: %s", errOut.String())
	}
	return cmd.ProcessState.ExitCode(), errOut.String()
}

// A FIFO in place of an entry does not hang export, and is replaced.
func TestCache_FIFOEntry_DoesNotHang(t *testing.T) {
	localSTS(t)
	key := entryKey(t)
	if err := mkfifo(filepath.Join(cacheDir(), key+".json")); err != nil {
		t.Skip(err)
	}
	if code, stderr := exportWithin(t); code != 0 || !strings.Contains(stderr, key+".json") {
		t.Errorf("exit %d, stderr %q: want success and a warning naming the entry", code, stderr)
	}
}

// A dangling symlink at the lock is not followed: its target is never created.
func TestCache_SymlinkLock_TargetNotCreated(t *testing.T) {
	localSTS(t)
	key := entryKey(t)
	lock := filepath.Join(cacheDir(), key+".lock")
	os.Remove(lock)
	target := filepath.Join(t.TempDir(), "planted")
	if err := os.Symlink(target, lock); err != nil {
		t.Fatal(err)
	}
	code, stderr := exportWithin(t)
	if _, err := os.Lstat(target); err == nil {
		t.Errorf("the symlink's target %s was created", target)
	}
	if code != 0 || !strings.Contains(stderr, key+".lock") {
		t.Errorf("exit %d, stderr %q: want success and a warning naming the lock", code, stderr)
	}
}

// During an outage, processes that each find no usable entry back off together: twenty
// exports make at most 3 AssumeRole attempts in a minute.
func TestCache_OutageBackoffAcrossProcesses(t *testing.T) {
	srv := localSTS(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	srv.FailAction("AssumeRole", ststest.ServiceUnavailable, 1000)
	for range 20 {
		if code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN); code != exitFailure || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("exit %d, stderr %q: want the failure in one line", code, stderr)
		}
	}
	if n := assumeRoles(srv); n > 3 {
		t.Errorf("%d AssumeRole attempts from 20 processes during an outage, want at most 3", n)
	}
}

//go:build unix

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// serve prints AWS_CONFIG_FILE naming a copy in a directory that it removes when it stops;
// the shell that evaluated its output keeps the variable. If that directory lives in a
// world-writable directory such as /tmp, any local user can create it again afterwards with a
// config of their own (their keys, or a credential_process that runs as the victim), and the
// victim's next aws command loads it. Expected: the files serve points the shell at live
// where no other user can create or write, before and after the server stops.
func TestAttack_Serve_ConfigPathRecreatableByOthersAfterStop(t *testing.T) {
	localSTS(t)
	t.Setenv("TMPDIR", "") // the default temporary directory, /tmp
	cmd := command(t, "serve", "--role-arn", roleARN)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var cfg string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "export AWS_CONFIG_FILE="); ok {
			cfg = strings.Trim(v, "'")
		}
		if strings.HasPrefix(sc.Text(), "export AWS_CONTAINER_AUTHORIZATION_TOKEN=") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if cfg == "" {
		t.Fatal("serve printed no AWS_CONFIG_FILE")
	}
	if _, err := os.Stat(filepath.Dir(cfg)); err == nil {
		t.Fatalf("%s is still there after the stop", filepath.Dir(cfg))
	}
	parent := filepath.Dir(filepath.Dir(cfg))
	fi, err := os.Stat(parent)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		t.Errorf("AWS_CONFIG_FILE=%s: after the stop its directory is gone and %s (mode %v) lets any local user create it again, with a config the shell will load", cfg, parent, fi.Mode())
	}
}

//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A signal sent to awssts reaches the child: without --serve the child is the process itself;
// with --serve awssts forwards it. A child that traps it exits with its own code; one that
// does not dies by it, which the shell (or awssts, for --serve) reports as 128+N.
func TestExec_SignalsReachTheChild(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		for mode, want := range map[string]int{"trap": 42, "die": 128 + int(sig)} {
			t.Run(fmt.Sprintf("%v/%s/serve", sig, mode), func(t *testing.T) {
				if sig == syscall.SIGINT && inTerminalForeground() {
					t.Skip("on a terminal SIGINT reaches the child from the terminal, and awssts does not repeat it")
				}
				localSTS(t)
				t.Setenv("AWSSTS_TEST_SIGNAL", strconv.Itoa(int(sig)))
				argv := append([]string{"exec", "--serve", "--role-arn", roleARN, "--"}, child(t, mode)...)
				out, w := io.Pipe()
				done := make(chan int, 1)
				go func() {
					done <- run(context.Background(), argv, streams{strings.NewReader(""), w, io.Discard})
					w.Close()
				}()
				waitReady(t, out)
				if err := syscall.Kill(os.Getpid(), sig); err != nil {
					t.Fatal(err)
				}
				go io.Copy(io.Discard, out)
				if code := <-done; code != want {
					t.Errorf("exit %d, want %d", code, want)
				}
			})
		}
		t.Run(fmt.Sprintf("%v/die/exec", sig), func(t *testing.T) {
			localSTS(t)
			cmd := exec.Command(binary(t), append([]string{"exec", "--role-arn", roleARN, "--"}, child(t, "die")...)...)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitReady(t, out)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != sig {
				t.Errorf("awssts exec ended with %v, want death by %v", err, sig)
			}
		})
	}
}

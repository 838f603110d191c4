//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// detachedVariable marks the process that serve --background starts: it serves on the
// listener it inherits as fd 3, reads its token on stdin, and reports on fd 4 that it is
// ready, or why not.
const detachedVariable = "AWSSTS_SERVE_DETACHED"

// startDetached runs this command again with the same arguments as a detached process: a
// session of its own (setsid), so that closing the terminal does not stop it, with stdin,
// stdout and stderr off the terminal, so that $(…) does not wait for it. The listener is made
// here, so that a bad --listen fails in the foreground. It returns once the server is ready.
func startDetached(args []string, addr, logFile string) (env []string, pid int, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, 0, err
	}
	defer ln.Close()
	token := newToken()
	env = (&credentialServer{url: "http://" + ln.Addr().String() + credentialsPath, token: token}).env()
	lnFile, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, 0, err
	}
	defer lnFile.Close()
	tokenR, tokenW, err := os.Pipe()
	if err != nil {
		return nil, 0, err
	}
	defer tokenR.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		tokenW.Close()
		return nil, 0, err
	}
	defer readyR.Close()
	self, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(self, append([]string{"serve"}, args...)...)
	cmd.Env = append(without(os.Environ(), guardVariable), detachedVariable+"=1")
	cmd.Stdin, cmd.ExtraFiles = tokenR, []*os.File{lnFile, readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, 0, usagef("--log %s: %v", logFile, err)
		}
		defer f.Close()
		cmd.Stderr = f
	}
	err = cmd.Start()
	readyW.Close()
	if err == nil {
		_, err = io.WriteString(tokenW, token)
	}
	tokenW.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("start the background server: %w", err)
	}
	said, _ := io.ReadAll(io.LimitReader(readyR, 4096)) // until the server closes fd 4, or dies
	if string(said) != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		if len(said) == 0 {
			said = []byte("it exited before it was ready")
		}
		return nil, 0, fmt.Errorf("the background server did not start: %s", strings.TrimSpace(string(said)))
	}
	pid = cmd.Process.Pid
	cmd.Process.Release()
	return env, pid, nil
}

// serveDetached is the process that startDetached starts.
func serveDetached(ctx context.Context, c *commonFlags, s streams) error {
	ready := os.NewFile(4, "ready")
	defer ready.Close()
	token, err := readToken(s.in)
	var ln net.Listener
	if err == nil {
		ln, err = net.FileListener(os.NewFile(3, "listener"))
	}
	var r *roleCredentials
	if err == nil {
		r, err = c.build(ctx, s, true)
	}
	if err != nil {
		fmt.Fprintln(ready, oneLine(err.Error()))
		return err
	}
	defer r.Close()
	r.Started() // no terminal, no stdin: a new MFA code cannot be had, and the failure is logged
	if _, err := r.Retrieve(ctx); err != nil {
		fmt.Fprintln(ready, oneLine(err.Error()))
		return err
	}
	stopped, stop := stopSignals(ctx)
	defer stop()
	srv := serveOn(ln, r.Provider, token)
	fmt.Fprint(ready, "ready\n")
	ready.Close()
	return untilStopped(stopped, srv)
}

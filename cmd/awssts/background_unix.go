//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/awssts/awssts/internal/credcache"
	"github.com/awssts/awssts/internal/credserver"
)

// detachedVariable marks the process that serve --background starts: it serves on the
// listener it inherits as fd 3, reads its handoff on stdin, and reports on fd 4 that it is
// ready, or why not.
const detachedVariable = "AWSSTS_SERVE_DETACHED"

// errNoBackground is nil: --background works on Unix.
var errNoBackground error

// handoff is what the foreground awssts passes its detached server on a pipe rather than in
// its arguments, which any user can read in ps: the token, the flags (an external ID or a
// policy among them), and the directory of the endpoint's files, which it removes at exit.
type handoff struct {
	Token string
	Flags map[string]string
	Files string
}

// startDetached runs this command again as a detached process: a session of its own
// (setsid), so that closing the terminal does not stop it; stdin, stdout and stderr off the
// terminal, so that $(…) does not wait for it; working directory /, so that it holds no
// directory of its caller; and no descriptor but its own, so that no pipe of its caller
// stays open. Relative paths are made absolute first. It returns once the server is ready.
func startDetached(fs *flag.FlagSet, c *commonFlags, ln net.Listener, token string, files *endpointFiles, logFile string) (pid int, err error) {
	h := handoff{Token: token, Flags: map[string]string{}, Files: files.dir}
	fs.Visit(func(f *flag.Flag) { h.Flags[f.Name] = f.Value.String() })
	for _, name := range []string{"background", "listen", "format", "log"} {
		delete(h.Flags, name)
	}
	for _, name := range []string{"certificate", "private-key", "intermediates"} {
		if v, ok := h.Flags[name]; ok {
			if h.Flags[name], err = filepath.Abs(v); err != nil {
				return 0, usagef("--%s %s: %v", name, v, err)
			}
		}
	}
	if strings.HasPrefix(c.policy, "@") {
		if h.Flags["policy"], err = readPolicy(c.policy); err != nil {
			return 0, err
		}
	}
	env, err := absoluteEnv()
	if err != nil {
		return 0, err
	}
	lnFile, err := ln.(*net.TCPListener).File()
	if err != nil {
		return 0, err
	}
	defer lnFile.Close()
	handR, handW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer handR.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		handW.Close()
		return 0, err
	}
	defer readyR.Close()
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, "serve")
	cmd.Env = append(without(env, guardVariable), detachedVariable+"=1")
	cmd.Dir = "/"
	cmd.Stdin, cmd.ExtraFiles = handR, []*os.File{lnFile, readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if logFile != "" {
		// Not through a symlink: one planted in a shared directory would aim the log at
		// any file of this user's.
		f, err := os.OpenFile(logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
		if errors.Is(err, unix.ELOOP) {
			return 0, usagef("--log %s: is a symbolic link; name the file itself", logFile)
		}
		if err != nil {
			return 0, usagef("--log %s: %v", logFile, err)
		}
		defer f.Close()
		cmd.Stderr = f
	}
	closeOnExec()
	err = cmd.Start()
	readyW.Close()
	if err == nil {
		err = json.NewEncoder(handW).Encode(h)
	}
	handW.Close()
	if err != nil {
		return 0, fmt.Errorf("start the background server: %w", err)
	}
	said, _ := io.ReadAll(io.LimitReader(readyR, 4096)) // until the server closes fd 4, or dies
	if string(said) != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		if len(said) == 0 {
			said = []byte("it exited before it was ready")
		}
		return 0, fmt.Errorf("the background server did not start: %s", strings.TrimSpace(string(said)))
	}
	pid = cmd.Process.Pid
	cmd.Process.Release()
	return pid, nil
}

// absoluteEnv is this process's environment with the paths it names made absolute, for a
// process that works in /.
func absoluteEnv() ([]string, error) {
	env := os.Environ()
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CA_BUNDLE",
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", credcache.DirVariable:
			if v == "" {
				continue
			}
			abs, err := filepath.Abs(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			env[i] = k + "=" + abs
		}
	}
	return env, nil
}

// closeOnExec marks every descriptor above stderr close-on-exec: those this process
// inherited, which Go leaves open across exec, included.
func closeOnExec() {
	des, err := os.ReadDir("/dev/fd")
	if err != nil {
		return
	}
	var fd int
	for _, de := range des {
		if _, err := fmt.Sscan(de.Name(), &fd); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}

// serveDetached is the process that startDetached starts.
func serveDetached(ctx context.Context, s streams) error {
	ready := os.NewFile(4, "ready")
	defer ready.Close()
	var h handoff
	err := json.NewDecoder(io.LimitReader(s.in, 1<<20)).Decode(&h)
	if err == nil && len(h.Token) < 32 {
		err = fmt.Errorf("no token in the handoff")
	}
	if h.Files != "" {
		defer os.RemoveAll(h.Files)
	}
	var c commonFlags
	if err == nil {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		c.register(fs)
		for name, v := range h.Flags {
			if err = fs.Set(name, v); err != nil {
				break
			}
		}
	}
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
	if _, err := r.Retrieve(ctx); err != nil {
		fmt.Fprintln(ready, oneLine(err.Error()))
		return err
	}
	stopped, stop := stopSignals(ctx)
	defer stop()
	srv := credserver.Serve(ln, r.Provider, h.Token, credserver.Options{})
	fmt.Fprint(ready, "ready\n")
	ready.Close()
	return untilStopped(stopped, srv)
}

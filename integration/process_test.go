package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// readyTimeout bounds the wait for a peer we started to answer its readiness URL; MinIO's first
// start on a slow disk takes a few seconds.
const readyTimeout = 60 * time.Second

// process is a peer server we started; its output goes to a log file in its directory.
type process struct {
	cmd     *exec.Cmd
	log     string
	exited  chan struct{}
	waitErr error
}

// launch starts bin in dir with env added to ours; Wait runs in a goroutine so that
// waitReady and stop can tell when it has exited.
func launch(dir string, env []string, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"TMPDIR=" + dir}, env...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	killWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitReady polls url until a GET answers 200, the process exits, or readyTimeout passes.
func (p *process) waitReady(url string) error {
	return p.waitReadyFor(url, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	})
}

// waitReadyFor is waitReady with the request made by newRequest, for a server that answers
// 200 only to a request of its own kind, as IMDSv2 does to the PUT of a token.
func (p *process) waitReadyFor(url string, newRequest func(context.Context) (*http.Request, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := newRequest(ctx)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready (%v); its log ends:\n%s", p.cmd.Path, p.waitErr, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer %s within %v; its log ends:\n%s", p.cmd.Path, url, readyTimeout, p.logTail())
		case <-tick.C:
		}
	}
}

// stop kills the server outright: its data is thrown away, so there is nothing to flush.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (p *process) logTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}

// freePort asks the kernel for an unused loopback port. The listener is closed before the
// server binds it, a gap no other process on a test machine is likely to hit.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

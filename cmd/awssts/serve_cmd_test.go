//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/awssts/awssts"
)

func TestServe_RefusesNonLoopbackListen(t *testing.T) {
	localSTS(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.0.0.1:8080", "[::]:0", "example.com:80", "127.0.0.1"} {
		code, stdout, stderr := runCLI(t, "", "serve", "--role-arn", roleARN, "--listen", addr)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--listen") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("--listen %s: exit %d, stdout %q, stderr %q; want 2 and one line", addr, code, stdout, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "", "serve", "--role-arn", roleARN, "--format", "process"); code != exitUsage || !strings.Contains(stderr, `--format "process"`) {
		t.Errorf("--format process: exit %d, stderr %q; want 2", code, stderr)
	}
}

// endpoint reads the two variables of --format env from serve's output.
func endpoint(t *testing.T, out string) (url, token string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^export AWS_CONTAINER_CREDENTIALS_FULL_URI=(http://127\.0\.0\.1:\d+/credentials)\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN=([0-9a-f]{64})\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve printed %q, want the two variables", out)
	}
	return m[1], m[2]
}

// startServe runs serve in the foreground and reads its endpoint.
func startServe(t *testing.T) (cmd *exec.Cmd, stderr *strings.Builder, url, token string) {
	t.Helper()
	cmd = command(t, "serve", "--role-arn", roleARN)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = new(strings.Builder)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url, token = endpoint(t, untilToken(t, out))
	return cmd, stderr, url, token
}

// untilToken reads serve's output up to its last line, the token's.
func untilToken(t *testing.T, out io.Reader) string {
	t.Helper()
	var b strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "export AWS_CONTAINER_AUTHORIZATION_TOKEN=") {
			break
		}
	}
	return b.String()
}

// fetch asks the endpoint for credentials with token, and returns the status and the key ID.
func fetch(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var c struct {
		AccessKeyID string `json:"AccessKeyId"`
	}
	json.NewDecoder(resp.Body).Decode(&c)
	return resp.StatusCode, c.AccessKeyID
}

// serve in the foreground prints the variables, serves the role with its token only, and
// SIGTERM stops it cleanly.
func TestServe_Foreground_ServesUntilSIGTERM(t *testing.T) {
	srv := localSTS(t)
	cmd, stderr, url, token := startServe(t)
	if code, key := fetch(t, url, token); code != http.StatusOK || !strings.HasPrefix(key, "ASIA") {
		t.Errorf("GET with the token: %d %s, want 200 and the role's key", code, key)
	}
	if code, _ := fetch(t, url, "wrong"); code != http.StatusForbidden {
		t.Errorf("GET with a wrong token: %d, want 403", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v, stderr %q; want exit 0", err, stderr.String())
	}
	if code, _ := fetch(t, url, token); code != 0 {
		t.Errorf("the endpoint still answers after the stop: %d", code)
	}
	if n := assumeRoles(srv); n != 1 {
		t.Errorf("%d AssumeRole calls, want 1", n)
	}
}

var backgroundPID = regexp.MustCompile(`serving in the background as process (\d+); stop it with: kill (\d+)\n$`)

// serve --background returns once the detached server is ready, with the variables for
// eval; the server runs in a session of its own until it is killed.
func TestServe_Background_EvalThenKill(t *testing.T) {
	localSTS(t)
	sh := exec.Command("sh", "-c", `eval "$("$0" serve --role-arn "$1" --background)" && printf 'export AWS_CONTAINER_CREDENTIALS_FULL_URI=%s\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN=%s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN"`, binary(t), roleARN)
	var stderr strings.Builder
	sh.Stderr = &stderr
	out, err := sh.Output() // returns only when nothing holds stdout any more
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	m := backgroundPID.FindStringSubmatch(stderr.String())
	if m == nil || m[1] != m[2] {
		t.Fatalf("stderr %q, want the process to kill", stderr.String())
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	url, token := endpoint(t, string(out))
	if code, key := fetch(t, url, token); code != http.StatusOK || !strings.HasPrefix(key, "ASIA") {
		t.Errorf("GET: %d %s, want 200 and the role's key", code, key)
	}
	if sid, err := unix.Getsid(pid); err != nil || sid != pid {
		t.Errorf("session of the server: %d (%v), want its own (%d)", sid, err, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatal("the background server did not stop on SIGTERM")
		}
		time.Sleep(10 * time.Millisecond) // it is not our child: nothing to wait on
	}
	if code, _ := fetch(t, url, token); code != 0 {
		t.Errorf("the endpoint still answers after the stop: %d", code)
	}
}

// gone reports whether process pid has exited: it no longer exists, or it is a zombie that
// its new parent has not reaped yet.
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(after, "Z")
}

// A background server that cannot start is reported by the foreground command: here STS
// answers the foreground's AssumeRole and fails the server's, which --no-cache makes call.
func TestServe_Background_FailureIsReported(t *testing.T) {
	srv := localSTS(t)
	proxy := newSTSProxy(t, srv.URL, 1)
	t.Setenv("AWS_ENDPOINT_URL_STS", proxy.URL)
	code, stdout, stderr := runBinary(t, "serve", "--role-arn", roleARN, "--background", "--no-cache")
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "the background server did not start") || !strings.Contains(stderr, "InternalFailure") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the server's STS error", code, stdout, stderr)
	}
	if n := proxy.assumeRoles(); n != 2 {
		t.Errorf("%d AssumeRole calls, want the foreground's and the server's", n)
	}
}

// The AWS CLI in a shell that took the variables of 'awssts serve --background' fetches the
// role's credentials from it.
func TestAWSCLI_ServeBackground_Moto(t *testing.T) {
	ep := motoEndpoint(t)
	need(t, "aws")
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", ep)
	t.Setenv("AWS_DEFAULT_REGION", "us-east-1") // the AWS CLI v1 does not read AWS_REGION
	t.Setenv("HOME", t.TempDir())
	sh := exec.Command("sh", "-c", `eval "$("$0" serve --role-arn "$1" --background)" && unset AWS_PROFILE && aws sts get-caller-identity --output json`, binary(t), roleARN)
	var stderr strings.Builder
	sh.Stderr = &stderr
	out, err := sh.Output()
	if m := backgroundPID.FindStringSubmatch(stderr.String()); m != nil {
		pid, _ := strconv.Atoi(m[1])
		defer syscall.Kill(pid, syscall.SIGTERM)
	}
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	callerARN(t, string(out))
}

// remainingNear says whether log's remaining= is within 10 s below d.
func remainingNear(log string, d time.Duration) bool {
	m := regexp.MustCompile(`remaining=(\S+)`).FindStringSubmatch(log)
	if m == nil {
		return false
	}
	got, err := time.ParseDuration(m[1])
	return err == nil && got <= d && got > d-10*time.Second
}

// serve logs each renewal in one line at Info with the time remaining and no secret, and
// answers /healthz without the token with the remaining seconds.
func TestServe_RenewalLogAndHealthz(t *testing.T) {
	localSTS(t)
	cmd, stderr, url, _ := startServe(t)
	resp, err := http.Get(strings.TrimSuffix(url, "/credentials") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	left, err := strconv.Atoi(string(body))
	full := int(awssts.DefaultDuration / time.Second) // 3600, or the dev build's 900
	if resp.StatusCode != http.StatusOK || err != nil || left < full-100 || left > full {
		t.Errorf("GET /healthz: %d %q, want 200 and about %d seconds alone", resp.StatusCode, body, full)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	log := stderr.String()
	if strings.Count(log, "\n") != 1 || !strings.Contains(log, "level=INFO") || !strings.Contains(log, "renewed credentials") ||
		!remainingNear(log, awssts.DefaultDuration) || strings.Contains(log, "must-not-leak") {
		t.Errorf("stderr %q: want one Info line of the renewal with the time remaining", log)
	}
}

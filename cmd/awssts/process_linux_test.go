package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The process that serve --background leaves running holds no descriptor its caller gave
// awssts (a pipe at fd 20 sees EOF), works in /, and shows no --external-id in its argv.
func TestServeBackground_DetachedProcessHoldsNothingPrivate(t *testing.T) {
	localSTS(t)
	t.Chdir(t.TempDir())
	const externalID = "private-external-id-42"
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd := command(t, "serve", "--background", "--role-arn", roleARN, "--external-id", externalID)
	cmd.ExtraFiles = make([]*os.File, 18)
	cmd.ExtraFiles[17] = pw // fd 20
	var errOut strings.Builder
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	pw.Close()
	if err != nil {
		t.Fatalf("serve --background: %v: %s", err, errOut.String())
	}
	m := regexp.MustCompile(`process (\d+)`).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("stderr %q names no process", errOut.String())
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGTERM) })
	if !strings.Contains(string(out), "AWS_CONTAINER_CREDENTIALS_FULL_URI") {
		t.Errorf("stdout %q", out)
	}

	pr.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(pr); err != nil {
		t.Errorf("reading the pipe given at fd 20: %v; want EOF, as the detached server must not hold it", err)
	}
	if cwd, err := os.Readlink("/proc/" + m[1] + "/cwd"); err != nil || cwd != "/" {
		t.Errorf("the detached server works in %q (%v), want /", cwd, err)
	}
	argv, err := os.ReadFile("/proc/" + m[1] + "/cmdline")
	if err != nil || strings.Contains(string(argv), externalID) {
		t.Errorf("the detached server's argv %q (%v) shows the external ID", argv, err)
	}
}

// When exec --serve's parent is killed, its child is stopped too, rather than run on with a
// dead endpoint.
func TestExecServe_ParentKilled_ChildStops(t *testing.T) {
	localSTS(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd := command(t, append([]string{"exec", "--serve", "--role-arn", roleARN, "--"}, child(t, "die")...)...)
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	waitReady(t, pr)
	cmd.Process.Kill()
	cmd.Wait()
	pr.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadAll(pr); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the child still runs 20 s after its parent was killed")
	}
}

// homeWithDefaultKeys is the most common setup: the source keys in [default] of
// ~/.aws/credentials, a region in ~/.aws/config, nothing in the environment.
func homeWithDefaultKeys(t *testing.T) {
	t.Helper()
	key, secret := profileSTS(t)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".aws", "credentials"), keysSection("default", key, secret))
	writeFile(t, filepath.Join(home, ".aws", "config"), "[default]\nregion = us-east-1\naws_access_key_id = "+key+"\naws_secret_access_key = "+secret+"\n")
	t.Setenv("HOME", home)
	os.Unsetenv("AWS_CONFIG_FILE")
	os.Unsetenv("AWS_SHARED_CREDENTIALS_FILE")
	os.Unsetenv("AWS_REGION")
}

const assumedRolePrefix = "arn:aws:sts::123456789012:assumed-role/demo/"

// With the source keys in [default], the child of exec --serve still runs as the role.
func TestExecServe_DefaultProfileKeys_ChildRunsAsTheRole(t *testing.T) {
	homeWithDefaultKeys(t)
	code, stdout, stderr := runBinary(t, append([]string{"exec", "--serve", "--role-arn", roleARN, "--"}, child(t, "sdk")...)...)
	if code != 0 || !strings.HasPrefix(stdout, assumedRolePrefix) {
		t.Errorf("exit %d, child's caller %q, stderr %q: want the assumed role", code, stdout, stderr)
	}
}

// With the source keys in [default] and AWS_PROFILE set, a program run with serve's
// variables runs as the role, with the region of the profile.
func TestServe_DefaultProfileKeys_EvaluatedShellRunsAsTheRole(t *testing.T) {
	homeWithDefaultKeys(t)
	t.Setenv("AWS_PROFILE", "default")
	sdkChild := child(t, "sdk")
	cmd := command(t, "serve", "--role-arn", roleARN, "--format", "env")
	var errOut strings.Builder
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	env := evalEnv(t, out)
	sdk := exec.Command(sdkChild[0], sdkChild[1:]...)
	sdk.Env = env
	got, err := sdk.Output()
	if err != nil || !strings.HasPrefix(string(got), assumedRolePrefix) {
		t.Errorf("caller %q (%v %s), serve said %q: want the assumed role", got, err, stderrOf(err), errOut.String())
	}
}

// evalEnv applies serve's env output, up to its token line, to this process's environment.
func evalEnv(t *testing.T, out io.Reader) []string {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "unset "); ok {
			for _, n := range strings.Fields(name) {
				delete(vars, n)
			}
			continue
		}
		kv, ok := strings.CutPrefix(line, "export ")
		k, v, found := strings.Cut(kv, "=")
		if !ok || !found {
			t.Fatalf("serve printed %q", line)
		}
		vars[k] = strings.Trim(v, "'")
		if k == "AWS_CONTAINER_AUTHORIZATION_TOKEN" {
			break
		}
	}
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

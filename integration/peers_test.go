package integration

import (
	"errors"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// peer is one real server: given by .ci/run through environment variables, or started on
// first use from the binary on this machine and stopped by TestMain.
type peer struct {
	name    string
	install string // the command that installs the binary, for the skip message
	envVars []string
	start   func(dir string) (*process, map[string]string, error)

	once    sync.Once
	vars    map[string]string // envVars → value
	missing string            // why the binary could not be found
	err     error             // the binary is there but the server did not come up
	proc    *process
}

var (
	tempRoot string // every file a started peer writes lives under it

	moto = &peer{
		name:    "moto_server",
		install: "pip install 'moto[server]==5.2.1'",
		envVars: []string{"AWSSTS_MOTO_ENDPOINT"},
		start:   startMoto,
	}
	minio = &peer{
		name:    "minio",
		install: "go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c",
		envVars: []string{"AWSSTS_MINIO_ENDPOINT", "AWSSTS_MINIO_ROOT_USER", "AWSSTS_MINIO_ROOT_PASSWORD"},
		start:   startMinIO,
	}
	imds = &peer{
		name:    "ec2-metadata-mock",
		install: "go install " + imdsModule,
		envVars: []string{"AWSSTS_IMDS_ENDPOINT"},
		start:   startSharedIMDS,
	}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range []*peer{moto, minio, imds} {
		if p.proc != nil {
			p.proc.stop()
		}
	}
	if tempRoot != "" {
		if err := os.RemoveAll(tempRoot); err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
		}
	}
	if code == 0 {
		code = checkLeaks()
	}
	os.Exit(code)
}

// require returns the peer's settings, starting it on first use. A missing binary skips the
// test, except under CI, where a suite that silently skips would prove nothing.
func (p *peer) require(t *testing.T) map[string]string {
	t.Helper()
	p.once.Do(p.setUp)
	switch {
	case p.missing != "":
		skipOrFail(t, fmt.Sprintf("%s: %s. Install it with: %s (or set %s to a running server)",
			p.name, p.missing, p.install, strings.Join(p.envVars, ", ")))
	case p.err != nil:
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return p.vars
}

// ready starts the peer if need be and says whether it is there, for a test that sets up its
// subtests before they run; the subtests still call require, which skips or fails them.
func (p *peer) ready() bool {
	p.once.Do(p.setUp)
	return p.missing == "" && p.err == nil
}

// skipOrFail skips a test that lacks a binary, or fails it under CI.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if inCI() {
		t.Fatalf("%s. CI is set, so a missing peer is a failure, not a skip.", msg)
	}
	t.Skip(msg)
}

// setUp takes the peer from the environment when all its variables are set, and otherwise
// starts it in its own directory under tempRoot.
func (p *peer) setUp() {
	vars := map[string]string{}
	for _, k := range p.envVars {
		if v := os.Getenv(k); v != "" {
			vars[k] = v
		}
	}
	if len(vars) == len(p.envVars) {
		p.vars = vars
		return
	}
	if len(vars) > 0 {
		p.err = fmt.Errorf("set all of %s, or none of them to let the tests start %s", strings.Join(p.envVars, ", "), p.name)
		return
	}
	dir, err := peerDir(p.name)
	if err != nil {
		p.err = err
		return
	}
	p.proc, p.vars, p.err = p.start(dir)
	var nf *notFoundError
	if errors.As(p.err, &nf) {
		p.missing, p.err = nf.Error(), nil
	}
}

var tempRootMu sync.Mutex

// peerDir makes a directory for one started peer under tempRoot, which TestMain removes.
func peerDir(name string) (string, error) {
	tempRootMu.Lock()
	defer tempRootMu.Unlock()
	if tempRoot == "" {
		dir, err := os.MkdirTemp("", "awssts-integration-")
		if err != nil {
			return "", err
		}
		tempRoot = dir
	}
	return os.MkdirTemp(tempRoot, name+"-")
}

// inCI reports whether CI is set to anything but a false value, as CI services set it.
func inCI() bool {
	v := os.Getenv("CI")
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v != ""
}

// notFoundError says a peer's binary is missing: a skip outside CI, a failure in it.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string { return e.what }

// startMoto runs moto_server on a free loopback port with dir as its working directory.
func startMoto(dir string) (*process, map[string]string, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, nil, &notFoundError{"moto_server is not in PATH"}
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	url := "http://127.0.0.1:" + port
	// HOME stays as it is: a pip --user install finds its packages through it.
	proc, err := launch(dir, nil, bin, "-H", "127.0.0.1", "-p", port)
	if err != nil {
		return nil, nil, err
	}
	if err := proc.waitReady(url + "/moto-api/"); err != nil {
		proc.stop()
		return nil, nil, err
	}
	return proc, map[string]string{"AWSSTS_MOTO_ENDPOINT": url}, nil
}

// startMinIO runs MinIO on free loopback ports with a fresh root password; its data, config
// and certs directories are all under dir.
func startMinIO(dir string) (*process, map[string]string, error) {
	bin, err := findGoBinary("minio")
	if err != nil {
		return nil, nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	consolePort := port
	for consolePort == port && err == nil {
		consolePort, err = freePort()
	}
	if err != nil {
		return nil, nil, err
	}
	user, password := "awssts-root", randomHex(16)
	url := "http://127.0.0.1:" + port
	env := []string{
		"MINIO_ROOT_USER=" + user,
		"MINIO_ROOT_PASSWORD=" + password,
		"HOME=" + dir, // MinIO keeps its config and certs under HOME unless told otherwise
	}
	proc, err := launch(dir, env, bin, "server", filepath.Join(dir, "data"),
		"--address", "127.0.0.1:"+port, "--console-address", "127.0.0.1:"+consolePort,
		"--certs-dir", filepath.Join(dir, "certs"), "--quiet")
	if err != nil {
		return nil, nil, err
	}
	if err := proc.waitReady(url + "/minio/health/ready"); err != nil {
		proc.stop()
		return nil, nil, err
	}
	return proc, map[string]string{
		"AWSSTS_MINIO_ENDPOINT":      url,
		"AWSSTS_MINIO_ROOT_USER":     user,
		"AWSSTS_MINIO_ROOT_PASSWORD": password,
	}, nil
}

// findGoBinary looks for a command in PATH and then in GOBIN or GOPATH/bin, where go install
// puts it.
func findGoBinary(name string) (string, error) {
	if bin, err := exec.LookPath(name); err == nil {
		return bin, nil
	}
	dirs := []string{os.Getenv("GOBIN")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		bin := filepath.Join(dir, name)
		if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return bin, nil
		}
	}
	return "", &notFoundError{name + " is not in PATH, GOBIN or GOPATH/bin"}
}

//go:build unix

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awssts/awssts/internal/credcache"
)

// A monitor polls serve's /healthz. The role's trust policy changes (STS now answers
// AccessDenied, a refusal), so at its renewal the server stops handing out the held
// credentials: every SDK behind it gets 502. /healthz must then say so.
//
// Expected: once GET /credentials fails after a refusal, GET /healthz answers 503, not 200
// with the seconds the no-longer-served credentials have left.
//
// It runs a -tags dev build, whose 100 s ExpiryWindow brings the renewal within a minute.
func TestUser_Healthz_503WhenARefusalStopsServing(t *testing.T) {
	srv := localSTS(t)
	dev := filepath.Join(t.TempDir(), "awssts-dev")
	if buildTags == "dev" { // under go test -tags dev, the command the other tests run
		dev = binary(t)
	} else if out, err := exec.Command("go", "build", "-tags", "dev", "-o", dev, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags dev: %v\n%s", err, out)
	}
	flags := []string{"--role-arn", roleARN, "--duration", "900", "--session-prefix", "healthz-"}
	if code, _, stderr := runCLI(t, "", append([]string{"export"}, flags...)...); code != 0 { // the entry serve starts from
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	names := entryFiles(t)
	if len(names) != 1 {
		t.Fatalf("cache entries %v, want 1", names)
	}
	b, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	var e credcache.Entry
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	// Fresh for serve (more than the dev build's 100 s window left); it stops being fresh at
	// half its life, 70 s from now, with 70 s left: more than the minute /healthz allows.
	// (Half its life is the soonest the library renews, so no entry makes this quicker.)
	e.Expiration = time.Now().Add(140 * time.Second)
	b, _ = json.Marshal(e)
	writeFile(t, names[0], string(b))
	srv.RequireMFA(roleARN) // the trust policy changed: STS answers AccessDenied from now on

	cmd := exec.Command(dev, append([]string{"serve"}, flags...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url, token := endpoint(t, untilToken(t, out))
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	if code, _ := fetch(t, url, token); code != http.StatusOK {
		t.Fatalf("GET /credentials at start: %d, want 200 from the cached entry", code)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, _ := fetch(t, url, token)
		if code != http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /credentials still 200 2 min after the renewal was due; stderr %q", stderr.String())
		}
		time.Sleep(200 * time.Millisecond) // polling another process's state
	}
	resp, err := http.Get(strings.TrimSuffix(url, "/credentials") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if left := time.Until(e.Expiration); left < 65*time.Second {
		t.Fatalf("only %v left when GET /credentials failed: the test cannot tell a refusal from expiry", left)
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /healthz: %d %q while GET /credentials fails (stderr %q); want 503", resp.StatusCode, body, stderr.String())
	}
}

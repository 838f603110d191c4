package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"

	"github.com/awssts/awssts/internal/credcache"
)

// assumeRoles counts the AssumeRole calls srv received.
func assumeRoles(srv *ststest.Server) int { return callsOf(srv, "AssumeRole") }

// callsOf counts the calls of action that srv received.
func callsOf(srv *ststest.Server, action string) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

// entryFiles lists the entries in the test's cache directory.
func entryFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(os.Getenv(credcache.DirVariable), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func exportOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, "", append([]string{"export", "--role-arn", roleARN}, args...)...)
	if code != 0 {
		t.Fatalf("export %v: exit %d: %s", args, code, stderr)
	}
	return stdout, stderr
}

func accessKey(t *testing.T, processJSON string) string {
	t.Helper()
	var p credentialProcess
	if err := json.Unmarshal([]byte(processJSON), &p); err != nil || p.AccessKeyID == "" {
		t.Fatalf("process JSON %q: %v", processJSON, err)
	}
	return p.AccessKeyID
}

// The second export is served from the cache: the same keys, no STS call, and nothing on
// stderr. The directory is 0700 and the entry 0600.
func TestCache_SecondExportIsAHit(t *testing.T) {
	srv := localSTS(t)
	dir := filepath.Join(t.TempDir(), "made-by-awssts")
	t.Setenv(credcache.DirVariable, dir)
	first, _ := exportOK(t)
	second, stderr := exportOK(t)
	if n := assumeRoles(srv); n != 1 {
		t.Errorf("%d AssumeRole calls for two exports, want 1", n)
	}
	if accessKey(t, first) != accessKey(t, second) || stderr != "" {
		t.Errorf("second export %s, stderr %q: want the first one's keys and no message", second, stderr)
	}
	if fi, err := os.Stat(dir); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	files := entryFiles(t)
	if len(files) != 1 {
		t.Fatalf("entries %v, want one", files)
	}
	fi, err := os.Stat(files[0])
	if err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("entry: %v, %v; want mode 0600", fi.Mode(), err)
	}
	if name := filepath.Base(files[0]); strings.Contains(name, "demo") || len(name) != 64+len(".json") {
		t.Errorf("entry name %q, want the SHA-256 of the key only", name)
	}
}

// Whatever differs between two sessions gives another entry; the same flags in another
// order give the same one.
func TestCache_KeyCoversWhatMakesASessionDiffer(t *testing.T) {
	srv := localSTS(t)
	srv.AddRole("arn:aws:iam::123456789012:role/other", 12*time.Hour)
	variants := [][]string{
		{},
		{"--duration", "2h"},
		{"--session-prefix", "ci-"},
		{"--external-id", "ext-1234"},
		{"--source-identity", "alice"},
		{"--policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
		{"--region", "eu-west-1"},
	}
	for _, v := range variants {
		exportOK(t, v...)
	}
	exportOK(t, "--session-prefix", "ci-", "--duration", strconv.Itoa(int(awssts.DefaultDuration/time.Second)))
	if n := assumeRoles(srv); n != len(variants) {
		t.Errorf("the default duration spelled out made a call: %d, want %d", n, len(variants))
	}
	if code, _, stderr := runCLI(t, "", "export", "--role-arn", "arn:aws:iam::123456789012:role/other"); code != 0 {
		t.Fatal(stderr)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASOURCEKEY0000001")
	srv.AddUser("AKIASOURCEKEY0000001", os.Getenv("AWS_SECRET_ACCESS_KEY"))
	exportOK(t)
	want := len(variants) + 2
	if n := assumeRoles(srv); n != want || len(entryFiles(t)) != want {
		t.Errorf("%d calls and %d entries for %d different sessions", n, len(entryFiles(t)), want)
	}
}

// A corrupt, truncated or foreign entry is ignored with a warning that names the file and
// shows none of it, and replaced.
func TestCache_BadEntryIsReplaced(t *testing.T) {
	for name, damage := range map[string]func(valid []byte) []byte{
		"corrupt":   func([]byte) []byte { return []byte("SECRET-GARBAGE{{{") },
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
		"foreign":   func(b []byte) []byte { return []byte(strings.Replace(string(b), `"Version":2`, `"Version":99`, 1)) },
		"other key": func(b []byte) []byte { return []byte(strings.Replace(string(b), `"Key":"`, `"Key":"0`, 1)) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := localSTS(t)
			exportOK(t)
			file := entryFiles(t)[0]
			valid, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, file, string(damage(valid)))
			_, stderr := exportOK(t)
			if !strings.Contains(stderr, file) || !strings.Contains(stderr, "not a valid awssts entry") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q: want one line naming %s", stderr, file)
			}
			if strings.Contains(stderr, "SECRET") || strings.Contains(stderr, "ASIA") {
				t.Errorf("the warning shows the file's contents: %q", stderr)
			}
			if n := assumeRoles(srv); n != 2 {
				t.Errorf("%d AssumeRole calls, want 2: the bad entry must not be served", n)
			}
			if _, stderr := exportOK(t); stderr != "" || assumeRoles(srv) != 2 {
				t.Errorf("after the replacement: stderr %q, %d calls; want a silent hit", stderr, assumeRoles(srv))
			}
		})
	}
}

func TestCache_NoCache_NeitherReadsNorWrites(t *testing.T) {
	srv := localSTS(t)
	exportOK(t)
	first, _ := exportOK(t, "--no-cache")
	second, _ := exportOK(t, "--no-cache")
	if n := assumeRoles(srv); n != 3 || accessKey(t, first) == accessKey(t, second) {
		t.Errorf("%d AssumeRole calls, want 3: --no-cache must call STS each time", n)
	}
	t.Setenv(credcache.DirVariable, t.TempDir())
	exportOK(t, "--no-cache")
	if files := entryFiles(t); len(files) != 0 {
		t.Errorf("--no-cache wrote %v", files)
	}
}

// With STS's clock 3 min ahead, the expiry in the entry is on this machine's clock, as the
// export printed it, and a hit prints the same.
func TestCache_ExpiryOnThisClock(t *testing.T) {
	srv := localSTS(t)
	srv.SetClockSkew(3 * time.Minute)
	start := time.Now()
	first, _ := exportOK(t)
	second, _ := exportOK(t)
	var p1, p2 credentialProcess
	json.Unmarshal([]byte(first), &p1)
	json.Unmarshal([]byte(second), &p2)
	exp, err := time.Parse(time.RFC3339, p1.Expiration)
	if d := exp.Sub(start); err != nil || d < awssts.DefaultDuration-5*time.Second || d > awssts.DefaultDuration+5*time.Second {
		t.Errorf("Expiration %s is %v after the call, want the duration on this machine's clock", p1.Expiration, d)
	}
	b, err := os.ReadFile(entryFiles(t)[0])
	var e credcache.Entry
	if err == nil {
		err = json.Unmarshal(b, &e)
	}
	if err != nil || e.Expiration.Sub(exp).Abs() > time.Second || p2.Expiration != p1.Expiration || assumeRoles(srv) != 1 {
		t.Errorf("entry expires %v (%v), hit printed %s: want %s", e.Expiration, err, p2.Expiration, p1.Expiration)
	}
}

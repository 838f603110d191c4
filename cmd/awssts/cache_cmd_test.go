package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts/internal/credcache"
)

const otherRole = "arn:aws:iam::123456789012:role/other"

func TestCacheClear_OneRoleThenAll(t *testing.T) {
	srv := localSTS(t)
	srv.AddRole(otherRole, time.Hour)
	exportOK(t)
	if code, _, stderr := runCLI(t, "", "export", "--role-arn", otherRole); code != 0 {
		t.Fatal(stderr)
	}
	dir := os.Getenv(credcache.DirVariable)
	code, stdout, stderr := runCLI(t, "", "cache", "clear", "--role-arn", roleARN)
	if code != 0 || stdout != "removed 1 cache entries from "+dir+"\n" || stderr != "" {
		t.Errorf("cache clear --role-arn: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	exportOK(t)
	if n := assumeRoles(srv); n != 3 {
		t.Errorf("%d AssumeRole calls, want 3: the cleared role's export must call STS again", n)
	}
	if code, _, _ := runCLI(t, "", "export", "--role-arn", otherRole); code != 0 || assumeRoles(srv) != 3 {
		t.Errorf("the other role's entry was cleared too: %d calls", assumeRoles(srv))
	}
	code, stdout, _ = runCLI(t, "", "cache", "clear")
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if code != 0 || !strings.HasPrefix(stdout, "removed 2 cache entries") || len(left) != 0 {
		t.Errorf("cache clear: exit %d, stdout %q, left %v; want both entries and their locks gone", code, stdout, left)
	}
}

// clear deletes an entry only under its lock: while another process holds it, clear waits,
// and gives up after lockWait, leaving the entry.
func TestCacheClear_WaitsForTheLock(t *testing.T) {
	localSTS(t)
	key := entryKey(t)
	exportOK(t)
	holdLock(t, key)
	code, _, stderr := runCLI(t, "", "cache", "clear")
	if code != exitFailure || !strings.Contains(stderr, "another awssts has held the lock") || len(entryFiles(t)) != 1 {
		t.Errorf("exit %d, stderr %q, entries %v: want a failure that leaves the entry", code, stderr, entryFiles(t))
	}
}

func TestCacheClear_Usage(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{{"cache"}, {"cache", "purge"}, {"cache", "clear", "x"}, {"cache", "clear", "--role"}} {
		if code, _, stderr := runCLI(t, "", args...); code != exitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
	if code, stdout, _ := runCLI(t, "", "cache", "clear", "--help"); code != 0 || !strings.Contains(stdout, "AWSSTS_CACHE_DIR") {
		t.Errorf("cache clear --help: exit %d, %q", code, stdout)
	}
}

// A hit runs nothing of the source: a profile whose credential_process counts its runs is
// run once for two exports.
func TestCache_HitDoesNotTouchTheSource(t *testing.T) {
	localSTS(t)
	dir := t.TempDir()
	count := filepath.Join(dir, "runs")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	writeFile(t, filepath.Join(dir, "config"), "[profile src]\ncredential_process = sh -c 'echo run >> "+count+
		`; echo "{\"Version\":1,\"AccessKeyId\":\"AKIASOURCEKEY0000000\",\"SecretAccessKey\":\"source-secret-must-not-leak\"}"'`+"\n")
	exportOK(t, "--profile", "src")
	exportOK(t, "--profile", "src")
	if b, err := os.ReadFile(count); err != nil || string(b) != "run\n" {
		t.Errorf("the source's credential_process ran %q (%v), want once", b, err)
	}
}

// A hit reads no CA bundle: with AWS_CA_BUNDLE naming a missing file, the hit still works,
// and only a call to STS fails on it.
func TestCache_HitReadsNoCABundle(t *testing.T) {
	localSTS(t)
	exportOK(t)
	t.Setenv(caBundleVariable, "/nonexistent/bundle.pem")
	if _, stderr := exportOK(t); stderr != "" {
		t.Errorf("hit: stderr %q", stderr)
	}
	if os.Getenv(caBundleVariable) != "/nonexistent/bundle.pem" {
		t.Errorf("AWS_CA_BUNDLE is %q after the export, want it as it was", os.Getenv(caBundleVariable))
	}
	if code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--no-cache"); code != exitFailure || !strings.Contains(stderr, "/nonexistent/bundle.pem") {
		t.Errorf("miss: exit %d, stderr %q; want the CA bundle's error", code, stderr)
	}
}

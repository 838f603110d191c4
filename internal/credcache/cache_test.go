package credcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

// testCache is a cache in a directory of the test's, on a clock the test moves.
func testCache(t *testing.T) (*Cache, *time.Time, *[]string) {
	t.Helper()
	t.Setenv(DirVariable, t.TempDir())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var warnings []string
	c := New(func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) })
	c.Now = func() time.Time { return now }
	return c, &now, &warnings
}

func creds(key string, exp time.Time) Entry {
	return Entry{Action: "AssumeRole", AccessKeyID: key, SecretAccessKey: "secret", SessionToken: "token", Expiration: exp}
}

func lookup(now *time.Time) Lookup {
	return Lookup{Key: Key{Action: "AssumeRole"}.Hash(),
		Fresh:  func(e Entry) bool { return e.Remaining(*now) > 16*time.Minute },
		Usable: func(e Entry) bool { return e.Remaining(*now) > time.Minute },
		About:  Entry{Action: "AssumeRole", RoleARN: "arn:aws:iam::123456789012:role/demo"}}
}

// apiError is STS's answer code; ServiceUnavailable comes as a server fault, as STS sends it.
func apiError(code string) error {
	fault := smithy.FaultClient
	if code == "ServiceUnavailable" {
		fault = smithy.FaultServer
	}
	return &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{Code: code, Fault: fault}}
}

// A fresh entry is served without a call; a stale one is renewed under the lock.
func TestThrough_FreshThenRenewed(t *testing.T) {
	c, now, warnings := testCache(t)
	calls := 0
	fetch := func() (Entry, error) { calls++; return creds(fmt.Sprint("K", calls), now.Add(time.Hour)), nil }
	l := lookup(now)
	if e, hit, err := c.Through(t.Context(), l, fetch); err != nil || hit || e.AccessKeyID != "K1" {
		t.Fatalf("first: %+v %v %v", e, hit, err)
	}
	if e, hit, _ := c.Through(t.Context(), l, fetch); !hit || e.AccessKeyID != "K1" || calls != 1 {
		t.Errorf("second: %s hit %v, %d calls; want the entry", e.AccessKeyID, hit, calls)
	}
	*now = now.Add(45 * time.Minute)
	if e, hit, _ := c.Through(t.Context(), l, fetch); hit || e.AccessKeyID != "K2" || calls != 2 {
		t.Errorf("in the window: %s hit %v, %d calls; want a renewal", e.AccessKeyID, hit, calls)
	}
	if len(*warnings) != 0 {
		t.Errorf("warnings %q", *warnings)
	}
}

// A refusal removes the entry and is returned even while the entry would be usable; an
// outage serves it with a warning.
func TestThrough_RefusalRemoves_OutageServesStale(t *testing.T) {
	for _, code := range []string{"InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidIdentityToken", "ExpiredToken",
		"ExpiredTokenException", "AccessDenied", "AccessDeniedException", "RegionDisabledException", "ValidationError",
		"ServiceUnavailable", "Throttling", "IDPCommunicationError"} {
		refusal := !slices.Contains([]string{"ServiceUnavailable", "Throttling", "IDPCommunicationError"}, code)
		t.Run(code, func(t *testing.T) {
			c, now, warnings := testCache(t)
			l := lookup(now)
			c.Through(t.Context(), l, func() (Entry, error) { return creds("K1", now.Add(time.Hour)), nil })
			*now = now.Add(50 * time.Minute)
			e, hit, err := c.Through(t.Context(), l, func() (Entry, error) { return Entry{}, apiError(code) })
			_, statErr := os.Stat(c.path(l.Key, ".json"))
			if refusal {
				if err == nil || hit || e.AccessKeyID != "" || !errors.Is(statErr, os.ErrNotExist) || len(*warnings) != 0 {
					t.Errorf("%+v hit %v err %v, entry %v, warnings %q: want the refusal and the entry gone", e, hit, err, statErr, *warnings)
				}
				return
			}
			if err != nil || !hit || e.AccessKeyID != "K1" || len(*warnings) != 1 {
				t.Errorf("%+v hit %v err %v, warnings %q: want the cached credentials and a warning", e, hit, err, *warnings)
			}
		})
	}
}

// During an outage an entry gets at most MaxAttempts calls per AttemptWindow, whichever
// process makes them, and calls again once the window has passed.
func TestThrough_OutageBackoffAcrossProcesses(t *testing.T) {
	c, now, _ := testCache(t)
	l := lookup(now)
	calls := 0
	fail := func() (Entry, error) { calls++; return Entry{}, apiError("ServiceUnavailable") }
	var last error
	for i := range 20 {
		p := New(func(string, ...any) {}) // another process
		p.Now = c.Now
		_, _, last = p.Through(t.Context(), l, fail)
		*now = now.Add(time.Second)
		_ = i
	}
	var backoff *BackoffError
	if calls != MaxAttempts || !errors.As(last, &backoff) || !strings.Contains(last.Error(), "ServiceUnavailable") {
		t.Errorf("%d calls, last error %v; want %d calls, then a backoff naming the failure", calls, last, MaxAttempts)
	}
	*now = now.Add(AttemptWindow)
	c.Through(t.Context(), l, fail)
	if calls != MaxAttempts+1 {
		t.Errorf("%d calls after the window, want one more", calls)
	}
	if e, ok := c.load(l.Key); !ok || e.RoleARN != l.About.RoleARN || e.HasCredentials() {
		t.Errorf("the failure record %+v, %v: want one about the role, without credentials", e, ok)
	}
}

// A FIFO at the entry does not block, and is replaced; a symlink at the lock is not followed.
func TestThrough_FIFOAndSymlink(t *testing.T) {
	c, now, warnings := testCache(t)
	l := lookup(now)
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(c.path(l.Key, ".json")); err != nil {
		t.Skip(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, _, err := c.Through(context.Background(), l, func() (Entry, error) { return creds("K1", now.Add(time.Hour)), nil }); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("a FIFO entry blocked")
	}
	if e, ok := c.load(l.Key); !ok || e.AccessKeyID != "K1" || len(*warnings) != 1 {
		t.Errorf("entry %+v %v, warnings %q: want it replaced, with a warning", e, ok, *warnings)
	}

	target := filepath.Join(t.TempDir(), "planted")
	lock := c.path(l.Key, ".lock")
	os.Remove(lock)
	if err := os.Symlink(target, lock); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(50 * time.Minute)
	if _, _, err := c.Through(t.Context(), l, func() (Entry, error) { return creds("K2", now.Add(time.Hour)), nil }); err != nil {
		t.Error(err)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the lock symlink's target was created")
	}
}

// Clear removes entries, locks and .tmp- files, and counts them.
func TestClear_EntriesLocksAndTemporaryFiles(t *testing.T) {
	c, now, _ := testCache(t)
	l := lookup(now)
	c.Through(t.Context(), l, func() (Entry, error) { return creds("K1", now.Add(time.Hour)), nil })
	for _, n := range []string{".tmp-1", ".tmp-2"} {
		os.WriteFile(c.path(n, ""), []byte("secret"), 0o600)
	}
	entries, temps, err := c.Clear(t.Context(), "")
	left, _ := filepath.Glob(filepath.Join(c.Dir(), "*"))
	tmps, _ := filepath.Glob(filepath.Join(c.Dir(), ".*"))
	if err != nil || entries != 1 || temps != 2 || len(left)+len(tmps) != 0 {
		t.Errorf("Clear: %d entries, %d temporary files, %v; left %v %v", entries, temps, err, left, tmps)
	}
}

// MkdirTemp makes the cache directory private, and refuses one that others may write to.
func TestMkdirTemp_InThePrivateCacheDirectory(t *testing.T) {
	base := filepath.Join(t.TempDir(), "cache")
	t.Setenv(DirVariable, base)
	dir, err := MkdirTemp("endpoint-")
	if err != nil || filepath.Dir(dir) != base || !strings.HasPrefix(filepath.Base(dir), "endpoint-") {
		t.Fatalf("MkdirTemp: %q, %v; want a directory in %s", dir, err, base)
	}
	for _, d := range []string{base, dir} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: %v, %v; want a directory of mode 0700", d, fi.Mode(), err)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	if err := os.Chmod(base, 0o777); err != nil {
		t.Fatal(err)
	}
	if dir, err := MkdirTemp("endpoint-"); err == nil || !strings.Contains(err.Error(), base) {
		t.Errorf("in a world-writable cache directory: %q, %v; want an error naming it", dir, err)
	}
}

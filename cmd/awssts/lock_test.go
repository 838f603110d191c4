package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awssts/awssts/internal/credcache"
)

// shortLockWait makes a waiter give up after d.
func shortLockWait(t *testing.T, d time.Duration) {
	t.Helper()
	old := lockWait
	lockWait = d
	t.Cleanup(func() { lockWait = old })
}

// entryKey makes an entry with one export and deletes it, leaving its key, so that the next
// export must take the lock.
func entryKey(t *testing.T) string {
	t.Helper()
	exportOK(t)
	file := entryFiles(t)[0]
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(filepath.Base(file), ".json")
}

// holdLock takes the lock of the entry key in this process, on a descriptor of its own, which
// flock treats as another holder, until the test ends; and makes waiters give up after 50 ms.
func holdLock(t *testing.T, key string) {
	t.Helper()
	c := credcache.New(func(string, ...any) {})
	release, err := c.Lock(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	shortLockWait(t, 50*time.Millisecond)
}

// A waiter that the holder keeps out for longer than lockWait calls STS without the cache,
// says so in one line, and writes nothing.
func TestLock_WaiterTimesOut_GoesOnUncached(t *testing.T) {
	srv := localSTS(t)
	key := entryKey(t)
	holdLock(t, key)
	_, stderr := exportOK(t)
	if !strings.Contains(stderr, "another awssts has held the lock") || !strings.Contains(stderr, "going on without the cache") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q: want one line saying the export went on without the cache", stderr)
	}
	if n, files := assumeRoles(srv), entryFiles(t); n != 2 || len(files) != 0 {
		t.Errorf("%d AssumeRole calls, entries %v: want a second call and nothing written without the lock", n, files)
	}
}

// The lock excludes another process, and a holder that dies releases it: the next export
// takes the lock at once and caches again.
func TestLock_CrashedHolderReleasesIt(t *testing.T) {
	srv := localSTS(t)
	key := entryKey(t)
	t.Setenv("AWSSTS_TEST_LOCK_KEY", key)
	holder := exec.Command(child(t, "lock")[0], "-test.run=^$")
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, out)

	shortLockWait(t, 200*time.Millisecond)
	if _, stderr := exportOK(t); !strings.Contains(stderr, "another awssts has held the lock") {
		t.Errorf("while another process holds the lock: stderr %q, want the timeout", stderr)
	}
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	holder.Wait()
	if _, stderr := exportOK(t); stderr != "" || len(entryFiles(t)) != 1 {
		t.Errorf("after the holder died: stderr %q, entries %v; want the lock taken and the entry written", stderr, entryFiles(t))
	}
	if n := assumeRoles(srv); n != 3 {
		t.Errorf("%d AssumeRole calls, want 3", n)
	}
}

// Twenty processes started together with an empty cache make one AssumeRole call: the first
// holds the lock through a slow STS answer, and the others find its entry when they get it.
func TestCache_TwentyProcessesAtOnce_OneCall(t *testing.T) {
	srv := localSTS(t)
	srv.Delay(300*time.Millisecond, 1)
	bin := binary(t)
	var wg sync.WaitGroup
	keys := make([]string, 20)
	for i := range keys {
		wg.Go(func() {
			out, err := exec.Command(bin, "export", "--role-arn", roleARN).Output()
			if err != nil {
				t.Errorf("process %d: %v: %s", i, err, stderrOf(err))
				return
			}
			keys[i] = accessKey(t, string(out))
		})
	}
	wg.Wait()
	if n := assumeRoles(srv); n != 1 {
		t.Errorf("%d AssumeRole calls from 20 processes, want 1", n)
	}
	for i, k := range keys {
		if k != keys[0] {
			t.Errorf("process %d got %s, process 0 %s: want the same credentials", i, k, keys[0])
		}
	}
}

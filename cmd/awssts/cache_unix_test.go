//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awssts/awssts/internal/credcache"
)

// A directory that others may write to, or that another user owns, is not used: a warning,
// and every export calls STS and writes nothing there.
func TestCache_UnsafeDirectory_RunsUncached(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"group-writable", modeDir(0o770), "group- or world-writable"},
		{"world-writable", modeDir(0o707), "group- or world-writable"},
		{"other owner", otherOwnersDir, "is owned by user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := localSTS(t)
			dir := tc.dir(t)
			t.Setenv(credcache.DirVariable, dir)
			_, stderr := exportOK(t)
			_, stderr2 := exportOK(t)
			if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "running without the cache") || stderr2 != stderr {
				t.Errorf("stderr %q then %q: want each to say %q and that the cache is not used", stderr, stderr2, tc.want)
			}
			if n := assumeRoles(srv); n != 2 {
				t.Errorf("%d AssumeRole calls for two exports, want 2", n)
			}
			if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 0 {
				t.Errorf("wrote %v into the unsafe directory", names)
			}
		})
	}
}

func modeDir(mode os.FileMode) func(t *testing.T) string {
	return func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "cache")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		return dir
	}
}

// otherOwnersDir is a directory of another user: as root, a new one given to nobody; else
// the root directory, which root owns.
func otherOwnersDir(t *testing.T) string {
	if os.Geteuid() != 0 {
		return "/"
	}
	dir := modeDir(0o700)(t)
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return dir
}

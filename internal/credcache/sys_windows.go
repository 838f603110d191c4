//go:build windows

package credcache

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// noFollow is nothing on Windows, where the Lstat before each open refuses reparse points
// and there are no FIFOs in a directory.
const noFollow = 0

// tryLock takes an exclusive LockFileEx lock on the first byte of f without waiting; busy
// means another process holds it. Windows drops the lock when the holder closes the handle
// or dies.
func tryLock(f *os.File) (busy bool, err error) {
	var ol windows.Overlapped
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return true, nil
	}
	return false, err
}

func unlock(f *os.File) error {
	var ol windows.Overlapped
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}

// privateDir and privateFile check nothing where there are no Unix owners and modes: the
// cache lives under %LocalAppData%, which the user's profile ACL already keeps private.
func privateDir(fs.FileInfo) error { return nil }

func privateFile(fs.FileInfo) error { return nil }

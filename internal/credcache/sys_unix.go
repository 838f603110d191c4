//go:build unix

package credcache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// noFollow makes an open fail on a symlink rather than follow it, and return at once on a
// FIFO rather than wait for a writer.
const noFollow = unix.O_NOFOLLOW | unix.O_NONBLOCK

// tryLock takes an exclusive flock on f without waiting; busy means another process holds
// it. The kernel drops the lock when the holder closes the file or dies.
func tryLock(f *os.File) (busy bool, err error) {
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}

func unlock(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// privateDir refuses a cache directory that another user owns or may write to: whoever can
// write there can plant credentials that awssts would hand out.
func privateDir(fi fs.FileInfo) error {
	if err := ownedByMe(fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("is group- or world-writable (mode %v)", fi.Mode().Perm())
	}
	return nil
}

// privateFile refuses an entry that is not this user's own, mode 0600 or stricter.
func privateFile(fi fs.FileInfo) error {
	if err := ownedByMe(fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("is readable or writable by others (mode %v)", fi.Mode().Perm())
	}
	return nil
}

func ownedByMe(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("has no owner to check")
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("is owned by user %d, not by this user (%d)", st.Uid, uid)
	}
	return nil
}

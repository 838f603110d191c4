package credcache

import (
	"context"
	"fmt"
	"os"
	"time"
)

// maxLockPoll is the longest pause between two attempts to take a busy lock.
const maxLockPoll = 20 * time.Millisecond

// Lock takes the advisory lock of the entry key, waiting up to LockWait. It locks KEY.lock,
// not the entry, which renames replace. A holder that dies releases its lock with its files.
// A lock file that is a symlink, a FIFO or anything but a private regular file is refused.
// release lets the next process in.
func (c *Cache) Lock(ctx context.Context, key string) (release func(), err error) {
	if err := c.Open(); err != nil {
		return nil, err
	}
	name := c.path(key, ".lock")
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(c.lockWait())
	pause := time.Millisecond
	for {
		f, err := openPrivate(name, os.O_RDWR|os.O_CREATE)
		if err != nil {
			return nil, fmt.Errorf("cannot lock %s: %w (remove it)", name, err)
		}
		for {
			busy, err := tryLock(f)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("cannot lock %s: %w", name, err)
			}
			if !busy {
				break
			}
			wait := min(pause, time.Until(deadline))
			if wait <= 0 {
				f.Close()
				return nil, fmt.Errorf("another awssts has held the lock %s for %v", name, c.lockWait())
			}
			if err := sleep(ctx, wait); err != nil {
				f.Close()
				return nil, err
			}
			pause = min(2*pause, maxLockPoll)
		}
		if sameFile(f, name) {
			return func() {
				_ = unlock(f)
				f.Close()
			}, nil
		}
		_ = unlock(f) // Clear removed the file while this process waited on it
		f.Close()
	}
}

func sameFile(f *os.File, name string) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Lstat(name)
	return err == nil && os.SameFile(held, now)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

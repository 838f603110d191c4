package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// lockWait is how long a process waits for the one that holds an entry's lock, usually
// making one STS call, before it goes on without the cache. The library bounds one call at
// a minute.
var lockWait = time.Minute

// maxLockPoll is the longest pause between two attempts to take a busy lock.
const maxLockPoll = 20 * time.Millisecond

// lock takes the advisory lock of the entry key, waiting up to lockWait. It locks KEY.lock,
// not the entry, which renames replace. A holder that dies releases its lock with its files.
func (c *cache) lock(ctx context.Context, key string) (release func(), err error) {
	name := c.path(key, ".lock")
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockWait)
	pause := time.Millisecond
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
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
				return nil, fmt.Errorf("another awssts has held the lock %s for %v", name, lockWait)
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
		_ = unlock(f) // cache clear removed the file while this process waited on it
		f.Close()
	}
}

func sameFile(f *os.File, name string) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(name)
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

// lookup names an entry and says which of its states a caller may use.
type lookup struct {
	key    string
	fresh  func(entry) bool // served instead of a call
	usable func(entry) bool // served when the call fails; nil: never
}

// through serves the entry of l while it is fresh, without taking its lock. Otherwise it
// takes the lock, looks again, since the process that held the lock may have just renewed
// the entry, and else calls fetch and stores its entry before it lets the next process in.
// hit reports that e came from the cache. When the lock cannot be had, fetch runs without
// the cache, and a warning says so; and so it does when the cache cannot be trusted.
func (c *cache) through(ctx context.Context, l lookup, fetch func() (entry, error)) (e entry, hit bool, err error) {
	if !c.usable() {
		e, err := fetch()
		return e, false, err
	}
	if e, ok := c.load(l.key); ok && l.fresh(e) {
		return e, true, nil
	}
	release, err := c.lock(ctx, l.key)
	if err != nil {
		if ctx.Err() != nil {
			return entry{}, false, ctx.Err()
		}
		c.warnOnce(c.path(l.key, ".lock"), "%v; going on without the cache", err)
		e, err := fetch()
		return e, false, err
	}
	defer release()
	old, found := c.load(l.key)
	if found && l.fresh(old) {
		return old, true, nil
	}
	e, err = fetch()
	if err != nil {
		if found && l.usable != nil && l.usable(old) {
			c.warn("%s; using the cached credentials until they expire at %s", oneLine(err.Error()), old.Expiration.UTC().Format(time.RFC3339))
			return old, true, nil
		}
		return entry{}, false, err
	}
	e.Key = l.key
	c.store(e)
	return e, false, nil
}

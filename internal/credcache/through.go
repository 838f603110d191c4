package credcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

// MaxAttempts failed STS calls per AttemptWindow is what an entry gets during an outage,
// across all the processes that share it.
const (
	MaxAttempts   = 3
	AttemptWindow = time.Minute
)

// Lookup names an entry and says which of its states a caller may use.
type Lookup struct {
	Key    string
	Fresh  func(Entry) bool // served instead of a call
	Usable func(Entry) bool // served when the call fails in an outage; nil: never
	About  Entry            // Action, RoleARN and MFASerial, for an entry that records only failures
}

// BackoffError is returned instead of a call when an entry's recent calls all failed.
type BackoffError struct {
	Attempts  int
	LastError string
	Until     time.Time // when the next call may be made
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("STS failed %d times in the last %v for these credentials, so awssts waits until %s before it calls again; the last failure: %s",
		e.Attempts, AttemptWindow, e.Until.Format(time.TimeOnly), e.LastError)
}

// Through serves the entry of l while it is fresh, without taking its lock. Otherwise it
// takes the lock, looks again, since the process that held the lock may have just renewed
// the entry, and else calls fetch and stores its entry before it lets the next process in.
// hit reports that e came from the cache. When the lock cannot be had, fetch runs without
// the cache, and a warning says so; and so it does when the cache cannot be trusted.
//
// A refusal from fetch removes the entry. Another failure of an STS call is recorded in
// it; after MaxAttempts of them within AttemptWindow, Through returns a *BackoffError
// without calling fetch. In both cases of failure, an entry that l.Usable accepts is served
// with a warning, except after a refusal.
func (c *Cache) Through(ctx context.Context, l Lookup, fetch func() (Entry, error)) (e Entry, hit bool, err error) {
	if !c.usable() {
		e, err := fetch()
		return e, false, err
	}
	if e, ok := c.load(l.Key); ok && e.HasCredentials() && l.Fresh(e) {
		return e, true, nil
	}
	release, err := c.Lock(ctx, l.Key)
	if err != nil {
		if ctx.Err() != nil {
			return Entry{}, false, ctx.Err()
		}
		c.warnOnce(c.path(l.Key, ".lock"), "%v; going on without the cache", err)
		e, err := fetch()
		return e, false, err
	}
	defer release()
	old, found := c.load(l.Key)
	if found && old.HasCredentials() && l.Fresh(old) {
		return old, true, nil
	}
	now := c.now()
	recent := old.recent(now)
	if len(recent) >= MaxAttempts {
		err = &BackoffError{Attempts: len(recent), LastError: old.LastError, Until: recent[0].Add(AttemptWindow)}
		return c.stale(old, l, err)
	}
	e, err = fetch()
	switch {
	case err == nil:
		e.Key = l.Key
		c.store(e)
		return e, false, nil
	case IsRefusal(err):
		if found {
			c.removeEntry(l.Key)
		}
		return Entry{}, false, err
	case ctx.Err() != nil:
		return Entry{}, false, err
	case errors.As(err, new(*smithy.OperationError)): // a call that failed, not a local error
		rec := old
		if !found {
			rec = l.About
		}
		rec.Key, rec.Attempts, rec.LastError = l.Key, append(recent, now), oneLine(err.Error())
		c.store(rec)
	}
	return c.stale(old, l, err)
}

// stale serves old in place of err when the caller accepts it.
func (c *Cache) stale(old Entry, l Lookup, err error) (Entry, bool, error) {
	if old.HasCredentials() && l.Usable != nil && l.Usable(old) {
		c.warn("%s; using the cached credentials until they expire at %s", oneLine(err.Error()), old.Expiration.UTC().Format(time.RFC3339))
		return old, true, nil
	}
	return Entry{}, false, err
}

// Remove deletes the entry of key under its lock; a missing entry is no error.
func (c *Cache) Remove(ctx context.Context, key string) error {
	if !c.usable() {
		return nil
	}
	release, err := c.Lock(ctx, key)
	if err != nil {
		return err
	}
	defer release()
	return c.removeEntry(key)
}

func (c *Cache) removeEntry(key string) error {
	err := os.Remove(c.path(key, ".json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		c.warn("cannot remove the cache entry: %v", err)
		return err
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

package credcache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DirVariable overrides where the cache lives.
const DirVariable = "AWSSTS_CACHE_DIR"

// maxEntrySize bounds what is read of an entry file; real ones are under 4 KiB.
const maxEntrySize = 64 << 10

// Cache is a directory of credential entries. Its zero value is not usable; call New.
type Cache struct {
	// LockWait is how long a process waits for the one that holds an entry's lock, usually
	// making one STS call, before it goes on without the cache. 0 means a minute.
	LockWait time.Duration
	// Now is the clock of failure records; nil means time.Now.
	Now func() time.Time

	warn  func(format string, args ...any)
	check sync.Once
	dir   string
	err   error // why the cache cannot be used

	mu     sync.Mutex
	warned map[string]bool // files already warned about
}

// New returns the cache of this user: $AWSSTS_CACHE_DIR, or else awssts in the user cache
// directory. warn receives each warning once per file. Whether the directory can be trusted
// is checked at its first use.
func New(warn func(format string, args ...any)) *Cache {
	return &Cache{warn: warn, warned: map[string]bool{}}
}

// Dir is the directory, once Open or a lookup has found it.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) lockWait() time.Duration {
	if c.LockWait > 0 {
		return c.LockWait
	}
	return time.Minute
}

// usable finds and checks the directory once, and warns once when there is none to trust.
func (c *Cache) usable() bool {
	c.check.Do(func() {
		if c.err = c.Open(); c.err != nil {
			c.warn("%v; running without the cache", c.err)
		}
	})
	return c.err == nil
}

// Open finds the directory, and refuses one that is not a directory, that others may write
// to, or that another user owns. A directory that does not exist yet is made on first write.
func (c *Cache) Open() error {
	c.dir = os.Getenv(DirVariable)
	if c.dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no cache directory (%v): set %s", err, DirVariable)
		}
		c.dir = filepath.Join(base, "awssts")
	}
	abs, err := filepath.Abs(c.dir)
	if err != nil {
		return fmt.Errorf("cache directory: %w", err)
	}
	c.dir = abs
	fi, err := os.Stat(c.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cache directory: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("cache directory %s is not a directory", c.dir)
	}
	if err := privateDir(fi); err != nil {
		return fmt.Errorf("cache directory %s %v (chmod 700 it, or remove it)", c.dir, err)
	}
	return nil
}

func (c *Cache) path(key, ext string) string { return filepath.Join(c.dir, key+ext) }

// openPrivate opens name without following a symlink or blocking on a FIFO, and checks that
// it is a regular file of this user's, mode 0600 or stricter.
func openPrivate(name string, flag int) (*os.File, error) {
	if fi, err := os.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", name, fi.Mode().Type())
	}
	f, err := os.OpenFile(name, flag|noFollow, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file (%v)", name, fi.Mode().Type())
	}
	if err == nil {
		if perr := privateFile(fi); perr != nil {
			err = fmt.Errorf("%s %v", name, perr)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// load reads the entry named key. ok is false when there is none that can be used: a missing
// file silently, a corrupt, truncated, foreign or non-regular one with a warning that names
// the file and never shows what is in it.
func (c *Cache) load(key string) (e Entry, ok bool) {
	name := c.path(key, ".json")
	f, err := openPrivate(name, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, false
	}
	if err != nil {
		c.warnOnce(name, "cache entry %s is not a private regular file of this user; it will be replaced", name)
		return Entry{}, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEntrySize+1))
	if err == nil && (len(b) > maxEntrySize || json.Unmarshal(b, &e) != nil) {
		err = errors.New("bad")
	}
	if err != nil || !e.valid(key) {
		c.warnOnce(name, "cache entry %s is not a valid awssts entry (corrupt, truncated or from another program); it will be replaced", name)
		return Entry{}, false
	}
	return e, true
}

// store writes e under its key: to a temporary file of mode 0600 in the directory, renamed
// over the old entry. A failure is a warning; the credentials are still used.
func (c *Cache) store(e Entry) {
	e.Version = entryVersion
	if err := c.write(e); err != nil {
		c.warn("cannot write the cache entry: %v", err)
	}
}

func (c *Cache) write(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path(e.Key, ".json"))
}

func (c *Cache) warnOnce(name, format string, args ...any) {
	c.mu.Lock()
	seen := c.warned[name]
	c.warned[name] = true
	c.mu.Unlock()
	if !seen {
		c.warn(format, args...)
	}
}

// MkdirTemp makes a new directory, named prefix and random characters, in the cache
// directory, which it makes (0700) if need be and refuses, as Open does, when another user
// owns it or others may write to it. No other user can make, replace or write to the
// directory returned, nor make it again once it is removed, as they could in /tmp. The
// caller removes it.
func MkdirTemp(prefix string) (string, error) {
	c := New(nil)
	if err := c.Open(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return "", err
	}
	if err := c.Open(); err != nil { // made by someone else meanwhile
		return "", err
	}
	return os.MkdirTemp(c.dir, prefix)
}

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// cacheDirVariable overrides where the cache lives.
const cacheDirVariable = "AWSSTS_CACHE_DIR"

// entryVersion is the Version of the entries this awssts writes; others are foreign.
const entryVersion = 1

// maxEntrySize bounds what is read of an entry file; real ones are under 4 KiB.
const maxEntrySize = 64 << 10

// cache is a directory of credential entries shared by the awssts processes of one user.
// Each entry is KEY.json, written to a temporary file and renamed into place, so a reader
// sees a whole entry or none; KEY.lock is its lock file.
type cache struct {
	warn  func(format string, args ...any)
	check sync.Once
	dir   string
	err   error // why the cache cannot be used

	mu     sync.Mutex
	warned map[string]bool // files already warned about
}

// entry is one cached set of credentials.
type entry struct {
	Version         int
	Key             string // the SHA-256 the file is named after
	Action          string // AssumeRole or GetSessionToken
	RoleARN         string `json:",omitempty"`
	MFASerial       string `json:",omitempty"`
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time // the real expiry, on this machine's clock
	AssumedRoleUser string    `json:",omitempty"`
}

// cacheKey is what makes one session differ from another. It holds no secret, and the file
// name is only its SHA-256.
type cacheKey struct {
	Action, Source, Region, Endpoint string
	RoleARN, SessionPrefix           string `json:",omitempty"`
	Duration                         time.Duration
	ExternalID, Policy               string `json:",omitempty"`
	SourceIdentity, MFASerial        string `json:",omitempty"`
}

func (k cacheKey) hash() string {
	b, _ := json.Marshal(k) // a struct of strings and an integer always encodes
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// newCache returns the cache of this user. Whether it can be trusted is checked at its
// first use, so that bad flags are reported before any warning about it.
func newCache(warn func(format string, args ...any)) *cache {
	return &cache{warn: warn, warned: map[string]bool{}}
}

// usable finds and checks the directory once, and warns once when there is none to trust.
func (c *cache) usable() bool {
	c.check.Do(func() {
		if c.err = c.open(); c.err != nil {
			c.warn("%v; running without the cache", c.err)
		}
	})
	return c.err == nil
}

// open finds the directory, and refuses one that is not a directory, that others may write
// to, or that another user owns. A directory that does not exist yet is made on first write.
func (c *cache) open() error {
	c.dir = os.Getenv(cacheDirVariable)
	if c.dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no cache directory (%v): set %s", err, cacheDirVariable)
		}
		c.dir = filepath.Join(base, "awssts")
	}
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

func (c *cache) path(key, ext string) string { return filepath.Join(c.dir, key+ext) }

// load reads the entry named key. ok is false when there is none that can be used: a missing
// file silently, a corrupt, truncated or foreign one with a warning that names the file and
// never shows what is in it.
func (c *cache) load(key string) (e entry, ok bool) {
	name := c.path(key, ".json")
	f, err := os.Open(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.warnOnce(name, "cannot read cache entry %s: %v; it will be replaced", name, err)
		}
		return entry{}, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || privateFile(fi) != nil {
		c.warnOnce(name, "cache entry %s is not a private file of this user; it will be replaced", name)
		return entry{}, false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxEntrySize+1))
	if err == nil && (len(b) > maxEntrySize || json.Unmarshal(b, &e) != nil) {
		err = errors.New("bad")
	}
	if err != nil || e.Version != entryVersion || e.Key != key || e.AccessKeyID == "" || e.SecretAccessKey == "" || e.Expiration.IsZero() {
		c.warnOnce(name, "cache entry %s is not a valid awssts entry (corrupt, truncated or from another program); it will be replaced", name)
		return entry{}, false
	}
	return e, true
}

// store writes e under its key: to a temporary file of mode 0600 in the directory, renamed
// over the old entry. A failure is a warning; the credentials are still used.
func (c *cache) store(e entry) {
	e.Version = entryVersion
	if err := c.write(e); err != nil {
		c.warn("cannot write the cache entry: %v", err)
	}
}

func (c *cache) write(e entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
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

func (c *cache) warnOnce(name, format string, args ...any) {
	c.mu.Lock()
	seen := c.warned[name]
	c.warned[name] = true
	c.mu.Unlock()
	if !seen {
		c.warn(format, args...)
	}
}

// entryName matches an entry or its lock file.
var entryName = regexp.MustCompile(`^([0-9a-f]{64})\.(?:json|lock)$`)

// keys lists the keys of the entries and lock files in the directory.
func (c *cache) keys() ([]string, error) {
	des, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var keys []string
	for _, de := range des {
		m := entryName.FindStringSubmatch(de.Name())
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		keys = append(keys, m[1])
	}
	return keys, nil
}

func (e entry) remaining(now time.Time) time.Duration { return e.Expiration.Sub(now) }

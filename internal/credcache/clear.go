package credcache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// tmpPrefix starts the name of an entry being written; a crash may leave one behind.
const tmpPrefix = ".tmp-"

// entryName matches an entry or its lock file.
var entryName = regexp.MustCompile(`^([0-9a-f]{64})\.(?:json|lock)$`)

// Clear deletes the entries of roleARN, or all when it is "", each with its lock file, while
// it holds the lock; a process waiting on that lock then takes a new one. Without roleARN it
// also deletes the temporary files that a crash left. It reports how many of each it removed.
func (c *Cache) Clear(ctx context.Context, roleARN string) (entries, temps int, err error) {
	if err := c.Open(); err != nil {
		return 0, 0, err
	}
	des, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	seen := map[string]bool{}
	for _, de := range des {
		if roleARN == "" && strings.HasPrefix(de.Name(), tmpPrefix) {
			if err := os.Remove(c.path(de.Name(), "")); err == nil {
				temps++
			}
			continue
		}
		m := entryName.FindStringSubmatch(de.Name())
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		removed, err := c.clearOne(ctx, m[1], roleARN)
		if removed {
			entries++
		}
		if err != nil {
			return entries, temps, err
		}
	}
	return entries, temps, nil
}

func (c *Cache) clearOne(ctx context.Context, key, roleARN string) (removed bool, err error) {
	release, err := c.Lock(ctx, key)
	if fi, lerr := os.Lstat(c.path(key, ".lock")); err != nil && lerr == nil && !fi.Mode().IsRegular() {
		release, err = func() {}, nil // a planted lock that nobody can hold: remove it with the entry
	}
	if err != nil {
		return false, err
	}
	defer release()
	if roleARN != "" {
		if e, ok := c.load(key); !ok || e.RoleARN != roleARN {
			return false, nil
		}
	}
	err = os.Remove(c.path(key, ".json"))
	os.Remove(c.path(key, ".lock")) // Windows keeps a file that is open; it is harmless
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

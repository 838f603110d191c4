//go:build !unix && !windows

package credcache

import (
	"errors"
	"io/fs"
	"os"
)

const noFollow = 0

// errNoLocking makes every lock fail where the system has no advisory file locks: awssts
// then says so once and runs without the cache.
var errNoLocking = errors.New("this system has no advisory file locks")

func tryLock(*os.File) (bool, error) { return false, errNoLocking }

func unlock(*os.File) error { return errNoLocking }

func privateDir(fs.FileInfo) error { return nil }

func privateFile(fs.FileInfo) error { return nil }

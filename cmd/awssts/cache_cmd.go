package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
)

const cacheUsage = `Usage: awssts cache clear [--role-arn ARN]

Deletes cached credentials: every entry, MFA sessions included, or with --role-arn the
entries of that role only. Each entry is deleted under its lock, so a process renewing it
finishes first. The cache is $AWSSTS_CACHE_DIR, or else awssts in the user cache directory
(~/.cache/awssts on Linux, ~/Library/Caches/awssts on macOS, %LocalAppData%\awssts on
Windows).

Flags:
`

func runCache(ctx context.Context, args []string, s streams) error {
	if len(args) == 0 || args[0] != "clear" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(s.out, cacheUsage)
			return nil
		}
		return usagef("cache needs a subcommand: awssts cache clear [--role-arn ARN]")
	}
	fs := flag.NewFlagSet("cache clear", flag.ContinueOnError)
	roleARN := fs.String("role-arn", "", "delete only the entries of this role")
	if err := parseFlags(fs, args[1:], s, cacheUsage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("cache clear takes no arguments, got %q", fs.Arg(0))
	}
	c := newCache(func(format string, args ...any) { fmt.Fprintf(s.errOut, "awssts: cache: "+format+"\n", args...) })
	if err := c.open(); err != nil {
		return err
	}
	n, err := c.clear(ctx, *roleARN)
	if n > 0 || err == nil {
		fmt.Fprintf(s.out, "removed %d cache entries from %s\n", n, c.dir)
	}
	return err
}

// clear deletes the entries of roleARN, or all when it is "", each with its lock file, while
// it holds the lock; a process waiting on that lock then takes a new one.
func (c *cache) clear(ctx context.Context, roleARN string) (removed int, err error) {
	keys, err := c.keys()
	if err != nil {
		return 0, err
	}
	for _, key := range keys {
		release, err := c.lock(ctx, key)
		if err != nil {
			return removed, err
		}
		if roleARN != "" {
			if e, ok := c.load(key); !ok || e.RoleARN != roleARN {
				release()
				continue
			}
		}
		err = os.Remove(c.path(key, ".json"))
		if err == nil {
			removed++
		}
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		os.Remove(c.path(key, ".lock")) // Windows keeps a file that is open; it is harmless
		release()
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/awssts/awssts/internal/credcache"
)

const cacheUsage = `Usage: awssts cache clear [--role-arn ARN]

Deletes cached credentials: every entry, MFA sessions included, and the temporary files
a crash may have left (they hold secrets), or with --role-arn the entries of that role
only. Each entry is deleted under its lock, so a process renewing it
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
	if *roleARN != "" { // a mistyped ARN would match nothing and look like success
		if err := checkRoleARN(*roleARN); err != nil {
			return err
		}
	}
	c := newCache(s)
	n, temps, err := c.Clear(ctx, *roleARN)
	switch {
	case n == 0 && temps == 0 && err != nil:
	case temps > 0:
		fmt.Fprintf(s.out, "removed %d cache entries and %d temporary files from %s\n", n, temps, c.Dir())
	default:
		fmt.Fprintf(s.out, "removed %d cache entries from %s\n", n, c.Dir())
	}
	return err
}

// lockWait is how long a process waits for another's lock on an entry; 0 means a minute.
var lockWait time.Duration

// newCache is the user's cache, with its warnings on stderr.
func newCache(s streams) *credcache.Cache {
	c := credcache.New(func(format string, args ...any) { fmt.Fprintf(s.errOut, "awssts: cache: "+format+"\n", args...) })
	c.LockWait = lockWait
	return c
}

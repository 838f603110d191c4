//go:build !unix

package main

import "io/fs"

// privateDir and privateFile check nothing where there are no Unix owners and modes: on
// Windows the cache lives under %LocalAppData%, which the user's profile ACL already keeps
// private.
func privateDir(fs.FileInfo) error { return nil }

func privateFile(fs.FileInfo) error { return nil }

//go:build !unix

package main

// replaceProcess runs argv as a child where a process cannot replace itself.
func replaceProcess(argv, env []string, s streams) error { return runChild(argv, env, s) }

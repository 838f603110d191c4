//go:build !linux

package main

// inTerminalForeground is false where it cannot be told: SIGINT is then always forwarded.
func inTerminalForeground() bool { return false }

//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// replaceProcess runs argv in place of awssts (execve): its exit status, its signals and its
// terminal are then its own, with nothing in between to forward them, or to send them twice.
func replaceProcess(argv, env []string, s streams) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return startFailed(argv[0], err, s)
	}
	return startFailed(argv[0], syscall.Exec(path, argv, env), s)
}

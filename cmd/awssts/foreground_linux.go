package main

import (
	"os"
	"syscall"
	"unsafe"
)

// inTerminalForeground reports whether awssts belongs to its terminal's foreground process
// group, whose members all receive the SIGINT of a Ctrl-C from the terminal itself.
func inTerminalForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	var pgrp int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgrp))); errno != 0 {
		return false
	}
	return int(pgrp) == syscall.Getpgrp()
}

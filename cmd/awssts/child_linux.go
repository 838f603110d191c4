package main

import "syscall"

// childAttr makes the kernel send the child SIGTERM when awssts dies, even by SIGKILL, so
// that it does not run on with a dead endpoint.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} }

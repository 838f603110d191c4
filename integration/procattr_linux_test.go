package integration

import (
	"os/exec"
	"syscall"
)

// killWithParent has the kernel kill the server if the test binary dies first (a -timeout
// panic, a SIGKILL), so no peer outlives the tests that started it.
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

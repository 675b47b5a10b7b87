package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest has cmd killed when the test binary ends, however it ends: a
// test that times out, or a binary killed with SIGKILL, runs no Cleanup,
// and would leave the daemons, mail servers and relays it started behind.
// The signal comes when the thread that started cmd ends; Go ends a thread
// only when a goroutine locked to it exits, which the tests never do.
func dieWithTest(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

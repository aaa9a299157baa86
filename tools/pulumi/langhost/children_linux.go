package main

import "syscall"

// childSysProcAttr: a process group of its own, and SIGKILL from the kernel if the host dies first.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

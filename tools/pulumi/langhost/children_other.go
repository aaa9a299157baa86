//go:build !linux

package main

import "syscall"

// childSysProcAttr: a process group of its own. Only Linux has Pdeathsig: elsewhere, a child whose
// host is SIGKILLed (rather than stopped) runs on until it ends by itself.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

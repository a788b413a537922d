//go:build !linux

package pgtest

import "syscall"

// serverCredential returns nil: outside Linux the server programs run as the
// current user, which must not be root.
func serverCredential() (*credential, error) { return nil, nil }

// procAttr returns nil: there is no parent-death signal outside Linux, so a
// test process killed before Main returns leaves its server running.
func procAttr(*credential, bool) *syscall.SysProcAttr { return nil }

// processAlive returns true, so stale directories are never removed where
// their servers may still be running.
func processAlive(int) bool { return true }

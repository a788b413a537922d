package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// serverCredential returns the postgres user to run initdb, pg_ctl and
// postgres as when this process is root, which initdb refuses to be, and nil
// otherwise. Setting the credential on the child directly, rather than going
// through runuser, keeps the postmaster our direct child, so the parent-death
// signal reaches it.
func serverCredential() (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(superuser)
	if err != nil {
		return nil, fmt.Errorf("running as root, which initdb refuses, and cannot run it as the postgres user: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user id %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres group id %q: %w", u.Gid, err)
	}
	return &credential{uid: uint32(uid), gid: uint32(gid)}, nil
}

// procAttr runs a server program as cred (when not nil) in a process group of
// its own, so a Ctrl-C at the terminal reaches the test process and not the
// server behind its back. For the postmaster, parentDeath asks the kernel to
// send it SIGQUIT (immediate shutdown) when the test process dies, however it
// dies; Go sets the signal after changing credentials, which would clear it.
func procAttr(cred *credential, parentDeath bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if cred != nil {
		a.Credential = &syscall.Credential{Uid: cred.uid, Gid: cred.gid}
	}
	if parentDeath {
		a.Pdeathsig = syscall.SIGQUIT
	}
	return a
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

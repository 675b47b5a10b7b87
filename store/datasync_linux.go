package store

import (
	"os"
	"syscall"
)

// fsyncFile makes f's data durable with fdatasync(2): the data and the
// metadata needed to read it back (its size), not its times. With the
// reserve ahead of the data (reserve.go) a commit's sync then flushes its
// blocks without a journal commit. Tests replace a DB's fsync to make it
// fail or to watch it.
func fsyncFile(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

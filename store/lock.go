package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockFileName is the lock file that an open DB, Restore and a repairing
// CheckFile hold in the database directory. Its content is unused; the
// lock is a flock(2) on it, which the kernel releases when the holder
// exits in any way.
const LockFileName = "cipmini.lock"

// ErrLocked is matched (with errors.Is) by the error returned when the
// database directory is already locked, by another process or by another
// DB in this process.
var ErrLocked = errors.New("store: database directory is in use by another process")

// lockedError names the locked directory; it matches ErrLocked.
type lockedError struct{ dir string }

func (e *lockedError) Error() string {
	return "store: " + e.dir + " is in use by another process"
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// dirLock is an exclusive flock on a directory's lock file.
type dirLock struct{ f *os.File }

// lockDir takes the exclusive lock of dir without waiting.
func lockDir(dir string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFileName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, &lockedError{dir: dir}
		}
		return nil, fmt.Errorf("store: lock %s: %w", f.Name(), err)
	}
	return &dirLock{f: f}, nil
}

// release drops the lock.
func (l *dirLock) release() error {
	// Closing the only descriptor of the open file releases the flock.
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("store: unlock: %w", err)
	}
	return nil
}

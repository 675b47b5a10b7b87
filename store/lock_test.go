package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

func lockedMessage(dir string) string { return "store: " + dir + " is in use by another process" }

func TestLockSameProcess(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	_, err := Open(dir, &Options{Logger: quietLog})
	if !errors.Is(err, ErrLocked) || err.Error() != lockedMessage(dir) {
		t.Fatalf("second Open = %v, want %q", err, lockedMessage(dir))
	}
	if err := Restore(dir, bytes.NewReader(nil), nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("Restore on an open directory = %v, want ErrLocked", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, nil)
	db.Close()
}

func TestLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	holder := startHelper(t, "lock", dir)
	holder.expect(t, "locked")
	_, err := Open(dir, &Options{Logger: quietLog})
	if !errors.Is(err, ErrLocked) || err.Error() != lockedMessage(dir) {
		t.Fatalf("Open while another process holds the lock = %v, want %q", err, lockedMessage(dir))
	}
	if err := Restore(dir, bytes.NewReader(nil), nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("Restore while another process holds the lock = %v, want ErrLocked", err)
	}
	// The holder closes its DB when its stdin closes.
	holder.wait()
	if !holder.cmd.ProcessState.Success() {
		t.Fatalf("lock holder failed: %s", holder.stderr.String())
	}
	db := mustOpen(t, dir, nil)
	db.Close()

	// A holder killed with SIGKILL releases the lock too.
	holder = startHelper(t, "lock", dir)
	holder.expect(t, "locked")
	if _, err := Open(dir, &Options{Logger: quietLog}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open = %v, want ErrLocked", err)
	}
	holder.kill()
	db = mustOpen(t, dir, nil)
	db.Close()
}

func TestLockFileInDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	db := mustOpen(t, dir, nil)
	defer db.Close()
	if _, err := lockDir(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("lockDir on an open DB's directory = %v", err)
	}
}

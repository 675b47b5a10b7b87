package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Backups kept by the device itself.
const (
	// BackupDir is the directory, inside the database directory, that
	// WriteSnapshot writes to by default.
	BackupDir = "backups"
	// snapshotPrefix and snapshotExt frame a snapshot's name:
	// "cipmini-<UTC time as 20060102T150405Z>-<number>.db"; snapshots are
	// ordered by the number (snapshotseq.go).
	snapshotPrefix = "cipmini-"
	snapshotExt    = ".db"
	snapshotLayout = "20060102T150405Z"
	// partSuffix marks a snapshot being written; a crash can leave one,
	// WriteSnapshot removes it.
	partSuffix = ".part"
)

// SnapshotStats are counters of the snapshots a DB wrote since Open.
type SnapshotStats struct {
	// Last is the time of the last snapshot written, or found current
	// (zero: none): the data as of Last is in a snapshot.
	Last time.Time
	// Count, Bytes and Failures count snapshots written, their bytes, and
	// the snapshots that failed.
	Count, Bytes, Failures int64
	// Current counts the snapshots not written because the directory's
	// newest snapshot already held the same data.
	Current int64
}

// SnapshotResult is what one WriteSnapshot did.
type SnapshotResult struct {
	// Bytes is the size of the snapshot, written or not.
	Bytes int64
	// Written lists the directories the snapshot was written to; Current
	// those whose newest snapshot already held byte for byte the same
	// data, left untouched.
	Written, Current []string
}

// WriteSnapshot writes a consistent snapshot of the database into each of
// dirs (created, mode 0700, when missing), named for at and a number one
// above every snapshot's in dirs (the order, whatever the clock says), with the same care
// as a compaction: a temporary file, fsync, rename, fsync of the directory.
// Then it removes the oldest snapshots of each directory beyond keep
// (keep < 1 keeps all). A directory whose newest snapshot already holds
// the same bytes (the data has not changed since; the comparison reads the
// file, so it holds across restarts) is not written to at all: an idle
// device writes nothing. It is safe for concurrent use; writes continue
// while it runs. A failure in one directory does not stop the others; the
// errors are joined.
func (db *DB) WriteSnapshot(at time.Time, keep int, dirs ...string) (SnapshotResult, error) {
	var res SnapshotResult
	db.swapMu.RLock()
	if db.closed {
		db.swapMu.RUnlock()
		return res, ErrClosed
	}
	items, err := snapshotItems(db.bdb, true)
	db.swapMu.RUnlock()
	if err != nil {
		db.snapFailures.Add(1)
		return res, fmt.Errorf("store: snapshot: %w", err)
	}
	size, sum := snapshotSum(items)
	res.Bytes = size
	name := snapshotName(at, nextSnapshotSeq(dirs))
	var errs []error
	for _, dir := range dirs {
		if newestHolds(dir, size, sum) {
			// Rotation still applies a smaller keep; with nothing to
			// remove it touches nothing.
			if err := rotateSnapshots(dir, keep); err != nil {
				errs = append(errs, fmt.Errorf("store: snapshot rotation in %s: %w", dir, err))
			}
			res.Current = append(res.Current, dir)
			db.snapCurrent.Add(1)
			continue
		}
		w, err := writeSnapshotFile(dir, name, items)
		if err == nil {
			err = rotateSnapshots(dir, keep)
		}
		if err != nil {
			db.snapFailures.Add(1)
			errs = append(errs, fmt.Errorf("store: snapshot into %s: %w", dir, err))
			continue
		}
		res.Written = append(res.Written, dir)
		db.snapCount.Add(1)
		db.snapBytes.Add(w)
		db.syncs.Add(2)
	}
	if len(errs) < len(dirs) {
		db.snapLast.Store(at.Unix())
	}
	return res, errors.Join(errs...)
}

// SnapshotStats returns the snapshot counters. Safe for concurrent use.
func (db *DB) SnapshotStats() SnapshotStats {
	s := SnapshotStats{Count: db.snapCount.Load(), Bytes: db.snapBytes.Load(), Failures: db.snapFailures.Load(), Current: db.snapCurrent.Load()}
	if t := db.snapLast.Load(); t != 0 {
		s.Last = time.Unix(t, 0)
	}
	return s
}

// writeSnapshotFile writes items as dir/name crash-safely.
func writeSnapshotFile(dir, name string, items []snapshotItem) (int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	final := filepath.Join(dir, name)
	n, renamed, err := replaceFile(final+partSuffix, final, dir, items)
	if !renamed {
		return 0, err
	}
	return n, err
}

// Snapshots lists the snapshots in dir, newest (highest number) first. A
// missing directory holds none.
func Snapshots(dir string) ([]string, error) {
	names, err := ListFiles(dir, "snapshots", func(name string) bool {
		_, _, ok := parseSnapshotName(name)
		return ok
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(dir, n)
	}
	sortSnapshots(out)
	return out, nil
}

// rotateSnapshots removes the oldest snapshots of dir beyond keep, and any
// snapshot left half written.
func rotateSnapshots(dir string, keep int) error {
	if parts, _ := filepath.Glob(filepath.Join(dir, snapshotPrefix+"*"+snapshotExt+partSuffix)); len(parts) > 0 {
		for _, p := range parts {
			os.Remove(p)
		}
	}
	if keep < 1 {
		return nil
	}
	all, err := Snapshots(dir)
	if err != nil || len(all) <= keep {
		return err
	}
	for _, p := range all[keep:] {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// LatestGoodSnapshot returns the newest snapshot among dirs whose every
// record and checksum verifies (as Restore checks a backup), with the
// reasons the newer ones were passed over.
func LatestGoodSnapshot(dirs ...string) (string, []error, error) {
	var all []string
	for _, d := range dirs {
		s, err := Snapshots(d)
		if err != nil {
			return "", nil, err
		}
		all = append(all, s...)
	}
	sortSnapshots(all)
	var skipped []error
	for _, p := range all {
		if _, err := checkBackup(p); err != nil {
			skipped = append(skipped, fmt.Errorf("%s: %w", p, err))
			continue
		}
		return p, skipped, nil
	}
	return "", skipped, fmt.Errorf("store: no good snapshot in %s", strings.Join(dirs, ", "))
}

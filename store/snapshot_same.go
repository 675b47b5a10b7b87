package store

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
)

// A snapshot is skipped when the directory's newest one holds the bytes it
// would write. The test is the file itself, not a counter kept in memory
// or in a sidecar, so it survives restarts and is never fooled by a
// snapshot damaged since: a changed byte makes the files differ and a new
// snapshot is written. It costs a read of the newest snapshot and SHA-256
// over twice its size, once a day; reads do not wear flash.

// snapshotSum returns the size and SHA-256 of the snapshot file that
// writeSnapshot makes of items.
func snapshotSum(items []snapshotItem) (int64, [sha256.Size]byte) {
	h := sha256.New()
	n, _ := writeSnapshot(h, items) // a hash.Hash never fails
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return n, sum
}

// newestHolds reports whether the newest snapshot in dir has exactly size
// bytes with SHA-256 sum. Any error reading it is a no: write anew.
func newestHolds(dir string, size int64, sum [sha256.Size]byte) bool {
	all, err := Snapshots(dir)
	if err != nil || len(all) == 0 {
		return false
	}
	f, err := os.Open(all[0])
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != size {
		return false
	}
	h := sha256.New()
	if n, err := io.Copy(h, f); err != nil || n != size {
		return false
	}
	return bytes.Equal(h.Sum(nil), sum[:])
}

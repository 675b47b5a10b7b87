package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tidwall/buntdb"
)

// renameFile is os.Rename; tests replace it to make a rename fail.
var renameFile = os.Rename

// Compact rewrites the data file with only the live data, crash-safely:
// the live items go to a temporary file in the same directory, which is
// fsynced and loaded, then renamed over the data file, and the directory
// is fsynced. A crash at any point leaves either the old or the new file,
// both complete. If the rename fails, Compact returns the error and the
// old file keeps serving. Writes wait while Compact runs; reads go on,
// except while the files are swapped.
//
// Compact runs by itself after a commit that passes the thresholds in
// Options; calling it is only needed to force one.
func (db *DB) Compact() error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	if err := db.writable(); err != nil {
		return err
	}
	return db.compactLocked()
}

// needsCompaction says whether the thresholds are passed. The caller
// holds writeMu.
func (db *DB) needsCompaction() bool {
	if db.opts.DisableAutoCompact {
		return false
	}
	size := db.fileSize.Load()
	return size > db.opts.CompactMinSize &&
		size/int64(db.opts.CompactRatio) > db.liveBytes.Load() &&
		size >= db.compactFloor
}

// compactLoop runs automatic compactions, asked for by afterCommit.
func (db *DB) compactLoop() {
	defer db.wg.Done()
	for {
		select {
		case <-db.stop:
			return
		case <-db.compactCh:
		}
		db.writeMu.Lock()
		if db.writable() == nil && db.needsCompaction() {
			if err := db.compactLocked(); err != nil {
				// Do not retry on every commit: wait until the file
				// has grown by another CompactMinSize.
				db.compactFloor = db.fileSize.Load() + db.opts.CompactMinSize
				if !errors.Is(err, ErrFailed) {
					db.log.Error("store: automatic compaction failed", "file", db.path, "err", err)
				}
			}
		}
		db.writeMu.Unlock()
	}
}

// compactLocked compacts; the caller holds writeMu.
func (db *DB) compactLocked() error {
	start := time.Now()
	items, err := snapshotItems(db.bdb, true)
	if err != nil {
		return fmt.Errorf("store: compact: %w", err)
	}
	tmp := db.path + compactSuffix
	written, err := writeFileSynced(tmp, items)
	if err != nil {
		return fmt.Errorf("store: compact: %w", err)
	}
	db.bytesWritten.Add(written)
	nb, err := openBunt(tmp)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: compact: %w", err)
	}
	nf, err := db.prepare(nb, tmp, len(items)+1)
	if err != nil {
		nb.Close()
		os.Remove(tmp)
		return fmt.Errorf("store: compact: %w", err)
	}
	if err := renameFile(tmp, db.path); err != nil {
		nb.Close()
		nf.Close()
		os.Remove(tmp)
		return fmt.Errorf("store: compact: %w", err)
	}
	dirErr := syncDir(db.dir)
	db.syncs.Add(2) // the new file's and the directory's

	db.swapMu.Lock()
	oldDB, oldFile := db.bdb, db.dataFile
	db.bdb, db.dataFile = nb, nf
	db.swapMu.Unlock()
	// The old file is unlinked; closing it syncs nothing of value.
	oldDB.Close()
	oldFile.Close()

	db.reserved = 0 // the new file has none yet: the next commit makes it
	before := db.fileSize.Swap(written)
	db.liveBytes.Store(written)
	db.compactFloor = 0
	db.compactions.Add(1)
	if dirErr != nil {
		// The new file is complete under either name, but appends to it
		// are lost if the rename is undone by a power cut.
		return db.fail(dirErr)
	}
	// The new file holds every commit so far and is on the device.
	db.markSynced(db.committed.Load(), nil)
	db.log.Info("store: compacted the data file", "file", db.path,
		"from_bytes", before, "to_bytes", written, "keys", len(items),
		"duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// prepare re-creates the indexes on nb, which buntdb loaded from path,
// checks that it holds want keys, and opens the descriptor the DB fsyncs.
func (db *DB) prepare(nb *buntdb.DB, path string, want int) (*os.File, error) {
	for _, idx := range db.indexes {
		if err := nb.CreateIndex(idx.name, idx.pattern, idx.less); err != nil {
			return nil, fmt.Errorf("index %q: %w", idx.name, err)
		}
	}
	if n := buntLen(nb); n != want {
		return nil, fmt.Errorf("%s holds %d keys after writing %d", path, n, want)
	}
	return os.OpenFile(path, os.O_RDWR, 0)
}

// snapshotItems returns the live items of b, without the reserved keys, in key
// order. Items that have expired are left out.
// When verify is set, every value's checksum is checked, and a damaged one
// fails the snapshot: a compaction or backup never copies damage on.
func snapshotItems(b *buntdb.DB, verify bool) ([]snapshotItem, error) {
	var items []snapshotItem
	var damaged error
	err := b.View(func(tx *buntdb.Tx) error {
		n, err := tx.Len()
		if err != nil {
			return err
		}
		items = make([]snapshotItem, 0, n)
		now := time.Now()
		return tx.Ascend("", func(key, value string) bool {
			if key == commitKey {
				return true
			}
			if _, ok := unseal(key, value); verify && !ok {
				damaged = fmt.Errorf("%w: the value of %q fails its checksum", ErrDamaged, key)
				return false
			}
			it := snapshotItem{key: key, value: value}
			ttl, err := tx.TTL(key)
			switch {
			case err != nil:
				return true // expired
			case ttl >= 0:
				it.expiresAt = now.Add(ttl)
			}
			items = append(items, it)
			return true
		})
	})
	if err == nil && damaged != nil {
		return nil, damaged
	}
	return items, wrapBunt(err)
}

// writeFileSynced writes items as a marked file at path (mode 0600) and
// fsyncs it. On an error it removes what it wrote.
func writeFileSynced(path string, items []snapshotItem) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := writeSnapshot(f, items)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return n, err
}

// replaceFile puts a marked file of items at final, crash-safely: written
// to tmp in the same directory dir and fsynced, renamed over final, dir
// fsynced. written is what was written to tmp; renamed says whether it
// took final's place. Before that, an error leaves final as it was and no
// tmp.
func replaceFile(tmp, final, dir string, items []snapshotItem) (written int64, renamed bool, err error) {
	written, err = writeFileSynced(tmp, items)
	if err != nil {
		return 0, false, err
	}
	if err := renameFile(tmp, final); err != nil {
		os.Remove(tmp)
		return written, false, err
	}
	return written, true, syncDir(dir)
}

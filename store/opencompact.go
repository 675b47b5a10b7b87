package store

import (
	"time"
)

// A data file that Open finds larger than CompactMinSize and more than
// openCompactNum/openCompactDen times the size of its live data is
// rewritten with only its live records before buntdb loads it. buntdb
// loads every version of every record and drops the older ones as it
// goes, which leaves the values it keeps scattered among freed memory
// that the heap cannot give back: loading only the live records keeps the
// heap of a restarted daemon close to its live data. A file with less
// garbage than that is loaded as it is, so an ordinary start writes
// nothing.
const (
	openCompactNum = 3
	openCompactDen = 2
)

// liveSize is the size the state would take as a compacted file.
func (r *scanResult) liveSize() int64 {
	n := setRecordSize(len(commitKey), len(markerValue(len(r.state)+1, 0)))
	for k, v := range r.state {
		n += setRecordSize(len(k), len(v))
	}
	return n
}

// compactsAtOpen says whether Open rewrites the checked file, which is
// res.valid bytes long and free of damage, before loading it. Files with
// live records that expire are loaded as they are: the checker's state
// does not keep their expiry.
func (db *DB) compactsAtOpen(res *scanResult) bool {
	if db.opts.DisableAutoCompact || res.expiring > 0 || res.valid <= db.opts.CompactMinSize {
		return false
	}
	return res.valid*openCompactDen > res.liveSize()*openCompactNum
}

// compactAtOpen rewrites the data file with the live records of res,
// crash-safely, before buntdb loads it: a kill at any point leaves the
// old file or the new one, both complete, and the next Open removes the
// temporary file. A failure before the rename leaves the old file, which
// is then loaded as it is. It returns the number of keys buntdb will load,
// the reserved one included. The caller holds the lock.
func (db *DB) compactAtOpen(res *scanResult) (int, error) {
	start := time.Now()
	items := res.items()
	written, renamed, err := db.replaceWithItems(items)
	switch {
	case err != nil && !renamed:
		db.log.Warn("store: could not compact the data file before loading it; loading it as it is",
			"file", db.path, "err", err)
		return len(res.state) + 1, nil
	case err != nil:
		return 0, err
	}
	db.compactions.Add(1)
	db.syncs.Add(2) // the new file's and the directory's
	db.log.Info("store: compacted the data file before loading it", "file", db.path,
		"from_bytes", res.valid, "to_bytes", written, "keys", len(items),
		"duration", time.Since(start).Round(time.Millisecond))
	return len(items) + 1, nil
}

// replaceWithItems replaces the data file with a marked file of items
// (replaceFile, through the temporary file the next Open removes) and
// counts the bytes written. renamed says whether the new file took the
// data file's place; before that, an error leaves the old file.
func (db *DB) replaceWithItems(items []snapshotItem) (written int64, renamed bool, err error) {
	written, renamed, err = replaceFile(db.path+compactSuffix, db.path, db.dir, items)
	db.bytesWritten.Add(written)
	if !renamed {
		written = 0
	}
	return written, renamed, err
}

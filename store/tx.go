package store

import (
	"errors"
	"fmt"

	"github.com/tidwall/buntdb"
)

// Tx is a transaction, valid only inside the function given to Update or
// View. It wraps a *buntdb.Tx and hides the keys reserved by the package.
// A Tx is not safe for concurrent use.
type Tx struct {
	btx      *buntdb.Tx
	writable bool
	// touched holds the keys this commit writes a record for: exactly the
	// keys buntdb will write, so that the commit marker counts right.
	touched   map[string]struct{}
	liveDelta int64
	// written is the size of the records buntdb appends for the commit:
	// one for each touched key, as it stands at the end, and the marker.
	written int64
}

// errPanicked rolls back the transaction of an Update whose function
// panicked.
var errPanicked = errors.New("store: update function panicked")

// indexDef is an index to re-create after a compaction.
type indexDef struct {
	name, pattern string
	less          func(a, b string) bool
}

// Update runs fn in a read-write transaction and commits it when fn
// returns nil; when fn returns an error, nothing is written and that error
// is returned. With SyncAlways the commit is on the storage device when
// Update returns nil, and so is every commit made before it: an Update
// that writes nothing (or whose fn fails) still waits for the commits it
// may have read. Commits of concurrent Updates share one fsync (group
// commit). The commit is atomic: after a crash either all of its changes
// are in the file or none is. Updates run one at a time, but wait for the
// device together; fn must not call Update or View.
func (db *DB) Update(fn func(tx *Tx) error) error {
	seq, err := db.commit(fn)
	if werr := db.waitSynced(seq); werr != nil {
		return werr
	}
	return err
}

// commit runs fn in a read-write transaction and commits it when fn returns
// nil, without waiting for the storage device. It returns the number of
// the newest commit made when it ended, which the caller waits for (0 when
// nothing needs waiting for), and fn's error or the commit's.
func (db *DB) commit(fn func(tx *Tx) error) (uint64, error) {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	if err := db.writable(); err != nil {
		return 0, err
	}
	tx := &Tx{writable: true}
	var fnErr error
	var panicked any
	err := db.bdb.Update(func(btx *buntdb.Tx) (err error) {
		tx.btx = btx
		defer func() {
			tx.btx = nil
			// buntdb commits a transaction whose function panics; turn
			// the panic into an error so that it rolls back instead,
			// and raise it again once the transaction is over.
			if r := recover(); r != nil {
				panicked = r
				err = errPanicked
			}
		}()
		if fnErr = fn(tx); fnErr != nil {
			return fnErr
		}
		if len(tx.touched) == 0 {
			return nil
		}
		var dels uint32
		for key := range tx.touched {
			if v, err := btx.Get(key, true); err != nil {
				dels ^= delDigest(key)
				tx.written += delRecordSize(len(key))
			} else {
				tx.written += setRecordSize(len(key), len(v))
			}
		}
		marker := markerValue(len(tx.touched)+1, dels)
		tx.written += setRecordSize(len(commitKey), len(marker))
		_, _, err = btx.Set(commitKey, marker, nil)
		return err
	})
	if panicked != nil {
		panic(panicked)
	}
	if err != nil {
		if fnErr != nil {
			// fn may have decided on commits still on their way to
			// the device.
			return db.committed.Load(), fnErr
		}
		// buntdb rolled the commit back and truncated what it had
		// written of it, and the reserve with it.
		db.reserved = 0
		return 0, fmt.Errorf("store: commit: %w", err)
	}
	if len(tx.touched) == 0 {
		return db.committed.Load(), nil
	}
	db.afterCommit(tx.liveDelta, tx.written)
	return db.committed.Load(), nil
}

// afterCommit accounts for a commit that appended written bytes to the
// data file, numbers it and arranges its sync as the policy says; under
// SyncAlways the committer waits for it (waitSynced). The caller holds
// writeMu. The size is counted, not read back with a stat of the file: the
// records are the ones the commit marker counts, in buntdb's encoding
// (format.go), and a stat was a system call under the scheduler's lock on
// every booking.
func (db *DB) afterCommit(liveDelta, written int64) {
	db.reserve(db.fileSize.Add(written))
	db.bytesWritten.Add(written)
	db.liveBytes.Add(liveDelta)
	// The commit is in the file: a sync from now on covers it
	// (groupcommit.go).
	db.committed.Add(1)
	if db.gsync.gathering.Load() {
		select {
		case db.gsync.arrived <- struct{}{}:
		default:
		}
	}
	if db.opts.Sync == SyncEverySecond {
		db.scheduleSync()
	}
	if db.needsCompaction() {
		select {
		case db.compactCh <- struct{}{}:
		default:
		}
	}
}

// View runs fn in a read-only transaction and returns its error. Views run
// alongside each other and alongside Update; fn must not call Update or
// View.
func (db *DB) View(fn func(tx *Tx) error) error {
	db.swapMu.RLock()
	defer db.swapMu.RUnlock()
	if db.closed {
		return ErrClosed
	}
	return db.bdb.View(func(btx *buntdb.Tx) error {
		tx := &Tx{btx: btx}
		defer func() { tx.btx = nil }()
		return fn(tx)
	})
}

// createIndex adds an index named name over the keys that match pattern
// ('*' matches any run of bytes, '?' one byte), ordered by less applied to
// the values; the Ascend methods iterate it by name. Indexes live in
// memory only: create them after Open. The DB rebuilds them after a
// compaction.
func (db *DB) createIndex(name, pattern string, less func(a, b string) bool) error {
	if name == "" || less == nil {
		return fmt.Errorf("store: an index needs a name and a less function")
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	if db.closed {
		return ErrClosed
	}
	less = wrapLess(less)
	if err := db.bdb.CreateIndex(name, pattern, less); err != nil {
		if err == buntdb.ErrIndexExists {
			return fmt.Errorf("store: index %q already exists", name)
		}
		return wrapBunt(err)
	}
	db.indexes = append(db.indexes, indexDef{name: name, pattern: pattern, less: less})
	return nil
}

// checkUserKey rejects keys a Tx does not store.
func checkUserKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if key[0] == 0 {
		return fmt.Errorf("%w: %q starts with a zero byte", ErrInvalidKey, key)
	}
	if len(key) > MaxKeySize {
		return fmt.Errorf("%w: key of %d bytes (limit %d)", ErrTooLarge, len(key), MaxKeySize)
	}
	return nil
}

// check says whether the Tx may be used, for a write when write is set.
func (tx *Tx) check(write bool) error {
	if tx.btx == nil {
		return ErrTxClosed
	}
	if write && !tx.writable {
		return ErrReadOnly
	}
	return nil
}

// touch notes that the commit writes a record for key.
func (tx *Tx) touch(key string) {
	if tx.touched == nil {
		tx.touched = make(map[string]struct{})
	}
	tx.touched[key] = struct{}{}
}

// Get returns the value of key, or ErrNotFound.
func (tx *Tx) Get(key string) (string, error) {
	if err := tx.check(false); err != nil {
		return "", err
	}
	if checkUserKey(key) != nil {
		return "", ErrNotFound
	}
	v, err := tx.btx.Get(key)
	if err != nil {
		return "", wrapBunt(err)
	}
	plain, ok := unseal(key, v)
	if !ok {
		return "", fmt.Errorf("%w: the value of %q fails its checksum", ErrDamaged, key)
	}
	return plain, nil
}

// Set stores value under key, replacing any value. The key must be
// non-empty, at most MaxKeySize bytes and not start with a zero byte; the
// value at most MaxValueSize bytes.
func (tx *Tx) Set(key, value string) error {
	if err := tx.check(true); err != nil {
		return err
	}
	if err := checkUserKey(key); err != nil {
		return err
	}
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: value of %d bytes (limit %d)", ErrTooLarge, len(value), MaxValueSize)
	}
	value = seal(key, value)
	prev, replaced, err := tx.btx.Set(key, value, nil)
	if err != nil {
		return wrapBunt(err)
	}
	tx.touch(key)
	tx.liveDelta += setRecordSize(len(key), len(value))
	if replaced {
		tx.liveDelta -= setRecordSize(len(key), len(prev))
	}
	return nil
}

// Delete removes key, or returns ErrNotFound.
func (tx *Tx) Delete(key string) error {
	if err := tx.check(true); err != nil {
		return err
	}
	if checkUserKey(key) != nil {
		return ErrNotFound
	}
	// buntdb writes a del record for an item it finds, even an expired
	// one it then reports as not found.
	_, gerr := tx.btx.Get(key, true)
	val, err := tx.btx.Delete(key)
	if err != nil && err != buntdb.ErrNotFound {
		return wrapBunt(err)
	}
	if gerr == nil {
		tx.touch(key)
	}
	if err != nil {
		return ErrNotFound
	}
	tx.liveDelta -= setRecordSize(len(key), len(val))
	return nil
}

// Len returns the number of keys.
func (tx *Tx) Len() (int, error) {
	if err := tx.check(false); err != nil {
		return 0, err
	}
	n, err := tx.btx.Len()
	if err != nil {
		return 0, wrapBunt(err)
	}
	if _, err := tx.btx.Get(commitKey, true); err == nil {
		n--
	}
	return n, nil
}

// iterator wraps an iteration callback: it skips the reserved keys and
// checks and strips each value's envelope, stopping at a damaged one.
type iterator struct {
	fn      func(key, value string) bool
	damaged string
}

func (it *iterator) each(key, value string) bool {
	if key == commitKey {
		return true
	}
	plain, ok := unseal(key, value)
	if !ok {
		it.damaged = key
		return false
	}
	return it.fn(key, plain)
}

// scan runs one iteration and turns its error into a store error.
func scan(index string, fn func(key, value string) bool, run func(func(key, value string) bool) error) error {
	it := &iterator{fn: fn}
	err := run(it.each)
	if err == buntdb.ErrNotFound {
		return fmt.Errorf("store: index %q: %w", index, ErrNotFound)
	}
	if err == nil && it.damaged != "" {
		return fmt.Errorf("%w: the value of %q fails its checksum", ErrDamaged, it.damaged)
	}
	return wrapBunt(err)
}

// AscendKeys calls fn for each key that matches pattern ('*' matches any
// run of bytes, '?' one byte), in key order, until fn returns false.
// fn must not call Set or Delete.
func (tx *Tx) AscendKeys(pattern string, fn func(key, value string) bool) error {
	if err := tx.check(false); err != nil {
		return err
	}
	return scan("", fn, func(f func(k, v string) bool) error { return tx.btx.AscendKeys(pattern, f) })
}

// Ascend calls fn for every item in the order of index ("" for key order),
// until fn returns false. fn must not call Set or Delete.
func (tx *Tx) Ascend(index string, fn func(key, value string) bool) error {
	if err := tx.check(false); err != nil {
		return err
	}
	return scan(index, fn, func(f func(k, v string) bool) error { return tx.btx.Ascend(index, f) })
}

// ascendGreaterOrEqual calls fn for the items from pivot on in the order
// of index ("" for key order, where pivot is a key; otherwise pivot is a
// value), until fn returns false. fn must not call Set or Delete.
func (tx *Tx) ascendGreaterOrEqual(index, pivot string, fn func(key, value string) bool) error {
	if err := tx.check(false); err != nil {
		return err
	}
	if index != "" {
		pivot = pivotValue(pivot)
	}
	return scan(index, fn, func(f func(k, v string) bool) error { return tx.btx.AscendGreaterOrEqual(index, pivot, f) })
}

// ascendRange calls fn for the items in [greaterOrEqual, lessThan) in the
// order of index ("" for key order), until fn returns false. fn must not
// call Set or Delete.
func (tx *Tx) ascendRange(index, greaterOrEqual, lessThan string, fn func(key, value string) bool) error {
	if err := tx.check(false); err != nil {
		return err
	}
	if index != "" {
		greaterOrEqual, lessThan = pivotValue(greaterOrEqual), pivotValue(lessThan)
	}
	return scan(index, fn, func(f func(k, v string) bool) error {
		return tx.btx.AscendRange(index, greaterOrEqual, lessThan, f)
	})
}

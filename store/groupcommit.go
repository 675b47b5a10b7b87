package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// How commits reach the storage device: group commit under SyncAlways and
// the timed fsync of SyncEverySecond.
//
// Group commit: with SyncAlways a commit is appended to the data file under
// writeMu, numbered, and writeMu is released before the fsync; the writer
// then waits until a sync covers its number. Whoever waits first while no
// fsync runs does the fsync for every commit appended so far, so commits
// that arrive together share one fsync, and each Update still returns only
// after its own commit is on the device.
//
// Gathering: the writers an fsync releases usually come back with their
// next commit within a fraction of an fsync (a client's next booking).
// Started at once, the next fsync would cover only the commits made while
// the last one ran, and the writers it released would wait through it and
// then through another: with N busy writers the groups settle at about N/2.
// So the writer about to fsync first waits until as many commits are
// pending as the last fsync covered plus those made while it ran, or for
// at most twice the last fsync's time (never more than maxGather),
// whichever comes first. A lone writer (one commit covered, none made
// meanwhile) never waits; busy writers settle into one group each fsync,
// which halves the fsyncs (and the journal writes the flash takes with
// each); when writers stop coming, the wait ends at the limit and the next
// group is smaller, so the wait follows the load down. The store holds
// none of its locks while it waits (a caller that holds a lock of its own
// across Update, as the scheduler's nightly retirement does, holds it for
// the wait too, at most the limit), and a commit is never reported synced
// before an fsync that began after it.

// groupSync is the state of the fsyncs that cover commits.
type groupSync struct {
	mu   sync.Mutex
	cond *sync.Cond // signalled under mu when synced, syncing or err change
	// synced is the number of the newest commit known to be on the device.
	synced uint64
	// syncing is set while a waiter runs an fsync.
	syncing bool
	// err is set when a sync failed; no commit after synced is ever
	// reported synced then.
	err error
	// hook, when set (tests), is called with every new value of synced,
	// under mu.
	hook func(synced uint64)
	// expect is how many commits the next fsync is expected to cover:
	// those the last one covered (their writers come back) and those
	// made while it ran. lastTook is how long the last one took. They
	// are what gather waits for, and how long.
	expect   uint64
	lastTook time.Duration
	// gathering is set while a writer gathers commits before its fsync;
	// each commit then sends on arrived (capacity 1) without blocking.
	gathering atomic.Bool
	arrived   chan struct{}
	// gathers counts the fsyncs that gather delayed (tests read it).
	gathers int
}

// maxGather bounds the wait for commits before an fsync, whatever the last
// fsync took (a storage device that stalled once must not make every
// writer after it wait as long).
const maxGather = 20 * time.Millisecond

// advance records the outcome of a sync that covered the commits up to
// upTo, and wakes the waiters. The caller holds g.mu.
func (g *groupSync) advance(upTo uint64, err error) {
	switch {
	case g.err != nil:
	case err != nil:
		g.err = err
	case upTo > g.synced:
		g.synced = upTo
		if g.hook != nil {
			g.hook(upTo)
		}
	}
	g.cond.Broadcast()
}

// markSynced records, for Close and a compaction, that a sync covered the
// commits up to upTo (err nil) or failed. The caller holds writeMu, so
// that no commit is being appended.
func (db *DB) markSynced(upTo uint64, err error) {
	db.gsync.mu.Lock()
	db.gsync.advance(upTo, err)
	db.gsync.mu.Unlock()
}

// Commit is Update without the wait for the storage device: it returns
// once fn's changes are committed and visible, before they are fsynced
// under SyncAlways. A caller that reports the change as done (and one that
// reports a decision taken on what it read) calls WaitDurable first. It is
// for callers that serialize their own decisions under a lock of their
// own: they commit under it and wait for the device after releasing it,
// so that the commits of concurrent callers share one fsync. fn must not
// call Update, Commit or View.
func (db *DB) Commit(fn func(tx *Tx) error) error {
	_, err := db.commit(fn)
	return err
}

// WaitDurable returns once every commit made before it was called, and a
// commit under way then, is on the storage device as the sync policy
// promises: whatever a View saw before the call is durable when it
// returns. Under SyncAlways it waits for the fsync that covers them
// (joining one under way, or running one for every commit appended so
// far); under the other policies it returns at once. It returns the DB's
// failure when that fsync failed or the DB failed before it. Safe for
// concurrent use; it must not be called from inside Update or View.
func (db *DB) WaitDurable() error {
	if db.opts.Sync != SyncAlways {
		return nil
	}
	// A commit is visible to readers a moment before it is numbered;
	// writeMu covers that moment.
	db.writeMu.Lock()
	seq := db.committed.Load()
	db.writeMu.Unlock()
	return db.waitSynced(seq)
}

// waitSynced returns once every commit numbered up to seq is on the
// storage device (under SyncAlways; at once under the other policies), or
// with the failure that keeps it from getting there.
func (db *DB) waitSynced(seq uint64) error {
	if db.opts.Sync != SyncAlways || seq == 0 {
		return nil
	}
	g := &db.gsync
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		switch {
		case g.synced >= seq:
			return nil
		case g.err != nil:
			return g.err
		case g.syncing:
			g.cond.Wait()
		default:
			g.syncing = true
			from, target, limit := g.synced, g.expect, min(2*g.lastTook, maxGather)
			g.mu.Unlock()
			waited := db.gather(from, target, limit)
			began := time.Now()
			upTo, err := db.syncAppended()
			took := time.Since(began)
			g.mu.Lock()
			g.syncing = false
			if waited {
				g.gathers++
			}
			if err == nil && upTo > g.synced {
				// The writers this fsync releases, and those that
				// committed while it ran.
				g.expect, g.lastTook = db.committed.Load()-g.synced, took
			}
			g.advance(upTo, err)
		}
	}
}

// gather waits, before an fsync, for the commits of writers likely to come
// back soon: until target commits after from (the newest synced) are
// appended, for at most limit, or until the DB closes. It reports whether
// it waited at all. The caller holds gsync.syncing, so no fsync runs
// meanwhile.
func (db *DB) gather(from, target uint64, limit time.Duration) (waited bool) {
	if target <= 1 || db.committed.Load()-from >= target {
		return false
	}
	g := &db.gsync
	g.gathering.Store(true)
	defer g.gathering.Store(false)
	t := time.NewTimer(limit)
	defer t.Stop()
	for db.committed.Load()-from < target {
		select {
		case <-g.arrived:
		case <-t.C:
			return true
		case <-db.stop:
			return true
		}
	}
	return true
}

// syncAppended fsyncs the data file and returns the number of the newest
// commit the fsync covers. A failed fsync fails the DB.
func (db *DB) syncAppended() (uint64, error) {
	db.swapMu.RLock()
	defer db.swapMu.RUnlock()
	if db.closed {
		// Close synced every commit, or recorded its failure, before
		// it let go of swapMu.
		return 0, ErrClosed
	}
	if f := db.failed.Load(); f != nil {
		// Whatever failed the DB (a failed fsync, a compaction whose
		// rename may not last) leaves unsynced commits in doubt.
		return 0, f
	}
	upTo := db.committed.Load()
	db.syncs.Add(1)
	if err := db.fsync(db.dataFile); err != nil {
		return 0, db.fail(fmt.Errorf("fsync %s: %w", db.path, err))
	}
	return upTo, nil
}

// scheduleSync arranges an fsync one second from now, unless one is
// already pending.
func (db *DB) scheduleSync() {
	db.syncMu.Lock()
	defer db.syncMu.Unlock()
	if db.syncPending {
		return
	}
	db.syncPending = true
	db.syncTimer = time.AfterFunc(time.Second, db.timedSync)
}

// timedSync is the fsync that scheduleSync arranged.
func (db *DB) timedSync() {
	db.swapMu.RLock()
	defer db.swapMu.RUnlock()
	db.syncMu.Lock()
	db.syncPending = false
	db.syncMu.Unlock()
	if db.closed {
		return
	}
	db.syncs.Add(1)
	if err := db.fsync(db.dataFile); err != nil {
		db.fail(fmt.Errorf("fsync %s: %w", db.path, err))
	}
}

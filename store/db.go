package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/buntdb"
)

// SyncPolicy says when committed writes reach the storage device.
type SyncPolicy int

const (
	// SyncAlways fsyncs every commit before Update returns: a caller that
	// answers OK afterwards never loses the write to a crash or a power
	// cut. Commits that arrive while an fsync runs share the next one,
	// and when writers are busy the next fsync first waits, for at most
	// twice the last one's time, for the writers the last one released
	// (groupcommit.go). The default.
	SyncAlways SyncPolicy = iota
	// SyncEverySecond fsyncs at most one second after a commit, so a
	// crash loses at most about a second of writes. Nothing is synced
	// while nothing is written.
	SyncEverySecond
	// SyncNever leaves writes to the kernel's write-back; they are synced
	// by Compact and Close only.
	SyncNever
)

// String returns "always", "every-second" or "never".
func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncEverySecond:
		return "every-second"
	case SyncNever:
		return "never"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// Defaults of Options.
const (
	// DefaultFileName is the data file's name in the database directory.
	DefaultFileName = "cipmini.db"
	// DefaultCompactMinSize is the data file size below which automatic
	// compaction never runs (1 MiB).
	DefaultCompactMinSize = 1 << 20
	// DefaultCompactRatio is how many times larger than its live data the
	// data file must be for automatic compaction to run.
	DefaultCompactRatio = 2
)

// Suffixes of the temporary files in the database directory. A crash can
// leave them behind; Open removes them.
const (
	compactSuffix = ".compact"
	restoreSuffix = ".restore"
)

// Options configure Open and Restore. The zero value (and a nil *Options)
// selects every default.
type Options struct {
	// Sync says when commits are fsynced. Default SyncAlways.
	Sync SyncPolicy
	// Logger receives warnings (an interrupted append cut off the data
	// file) and errors of background work. Default slog.Default().
	Logger *slog.Logger
	// FileName is the data file's name inside the directory, a plain name
	// without a path separator. Default DefaultFileName ("cipmini.db").
	FileName string
	// CompactMinSize and CompactRatio set when compaction runs by itself:
	// after a commit that leaves the data file larger than CompactMinSize
	// bytes (default 1 MiB) and more than CompactRatio times (default 2,
	// at least 2) the size of its live data, which is what a compacted
	// file would take. A meeting room's calendar is a few hundred
	// kilobytes, so compaction is rare and quick. It never runs while no
	// writes happen, so an idle device does not write to its flash.
	// Open also compacts a data file larger than CompactMinSize and more
	// than 1.5 times the size of its live data before loading it, so that
	// the old versions of records never take memory.
	CompactMinSize int64
	CompactRatio   int
	// DisableAutoCompact turns automatic compaction off, the one at Open
	// included; Compact still works. Default false.
	DisableAutoCompact bool
	// MaxDamagedRecords is how many damaged records Open takes out of the
	// data file into QuarantineDir before it refuses to open it with a
	// *DamagedError. Default DefaultMaxDamagedRecords (10); negative
	// means none.
	MaxDamagedRecords int
	// Fsync, when set, is called instead of (*os.File).Sync to sync the
	// data file after commits: for tests that slow the storage device
	// down or make it fail. Default nil.
	Fsync func(*os.File) error
}

// resolveOptions applies the defaults and checks the values.
func resolveOptions(opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Sync < SyncAlways || o.Sync > SyncNever {
		return o, fmt.Errorf("store: invalid sync policy %d", int(o.Sync))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FileName == "" {
		o.FileName = DefaultFileName
	}
	if o.FileName == "." || o.FileName == ".." || o.FileName == LockFileName ||
		strings.ContainsAny(o.FileName, `/\`) || strings.ContainsRune(o.FileName, 0) {
		return o, fmt.Errorf("store: invalid file name %q", o.FileName)
	}
	if o.CompactMinSize < 0 {
		return o, fmt.Errorf("store: negative CompactMinSize %d", o.CompactMinSize)
	}
	if o.CompactMinSize == 0 {
		o.CompactMinSize = DefaultCompactMinSize
	}
	if o.CompactRatio == 0 {
		o.CompactRatio = DefaultCompactRatio
	}
	switch {
	case o.MaxDamagedRecords == 0:
		o.MaxDamagedRecords = DefaultMaxDamagedRecords
	case o.MaxDamagedRecords < 0:
		o.MaxDamagedRecords = 0
	}
	if o.CompactRatio < 2 {
		return o, fmt.Errorf("store: CompactRatio %d is below 2", o.CompactRatio)
	}
	return o, nil
}

// DB is an open database. Its methods are safe for concurrent use. Writes
// (Update, Compact, createIndex) run one at a time; reads (View, Backup)
// run alongside each other and alongside writes, except during the instant
// in which a compaction swaps files. No method of a DB may be called from
// inside the function given to Update or View: it would deadlock.
type DB struct {
	dir  string
	path string
	opts Options
	log  *slog.Logger
	lock *dirLock

	// writeMu serializes writers: Update, Compact, createIndex, Close.
	writeMu sync.Mutex
	// swapMu guards bdb, dataFile and closed: readers hold it shared,
	// a compaction's swap and Close hold it exclusively.
	swapMu   sync.RWMutex
	bdb      *buntdb.DB
	dataFile *os.File // our descriptor of the data file, for fsync and size
	closed   bool
	indexes  []indexDef // re-created after a compaction; under writeMu

	failed atomic.Pointer[dbFailure]

	// committed numbers the commits appended to the data file (written
	// under writeMu); gsync says up to which one they are on the device,
	// and fsync is how (groupcommit.go).
	committed atomic.Uint64
	gsync     groupSync
	fsync     func(*os.File) error

	quarantine []QuarantinedRecord // read at Open; immutable

	snapLast, snapCount, snapBytes, snapFailures, snapCurrent atomic.Int64

	syncMu      sync.Mutex // guards syncPending and syncTimer
	syncPending bool
	syncTimer   *time.Timer

	compactFloor int64 // no automatic compaction below this size; under writeMu
	// reserved is where the zeros written ahead of the data end, 0 when
	// there are none, and reserveRetry the size of the data before which
	// a failed renewal is not tried again (reserve.go); under writeMu.
	reserved, reserveRetry int64
	compactCh              chan struct{}
	stop                   chan struct{}
	wg                     sync.WaitGroup

	fileSize     atomic.Int64
	liveBytes    atomic.Int64
	bytesWritten atomic.Int64
	compactions  atomic.Int64
	syncs        atomic.Int64
}

// Open opens the database in dir, creating dir (mode 0700) and an empty
// data file (mode 0600) when missing. It takes the directory's lock (an
// open DB elsewhere fails it with ErrLocked), removes temporary files a
// crash left behind, and checks the data file with the same checker as
// CheckFile: an interrupted append is cut off with a warning, a corrupt
// file fails Open with a *CorruptError. A data file without commit
// markers, written by plain buntdb, is rewritten with them by a
// compaction, and so is a file that holds much more than its live data
// (Options.CompactMinSize). opts may be nil.
func Open(dir string, opts *Options) (*DB, error) {
	o, err := resolveOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	db := &DB{
		dir:       dir,
		path:      filepath.Join(dir, o.FileName),
		opts:      o,
		log:       o.Logger,
		lock:      lock,
		compactCh: make(chan struct{}, 1),
		stop:      make(chan struct{}),
		fsync:     fsyncFile,
	}
	if o.Fsync != nil {
		db.fsync = o.Fsync
	}
	db.gsync.cond = sync.NewCond(&db.gsync.mu)
	db.gsync.arrived = make(chan struct{}, 1)
	if err := db.load(); err != nil {
		if db.bdb != nil {
			db.bdb.Close()
			db.dataFile.Close()
		}
		lock.release()
		return nil, err
	}
	db.wg.Add(1)
	go db.compactLoop()
	return db, nil
}

// load checks and opens the data file; the caller holds the lock.
func (db *DB) load() error {
	for _, stale := range []string{db.path + compactSuffix, db.path + restoreSuffix, db.path + convertSuffix} {
		if err := os.Remove(stale); err == nil {
			db.log.Info("store: removed a temporary file left by an interrupted compaction or restore", "file", stale)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: %w", err)
		}
	}
	fresh := false
	var rawKeys int
	if _, err := os.Lstat(db.path); errors.Is(err, os.ErrNotExist) {
		f, err := os.OpenFile(db.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := syncDir(db.dir); err != nil {
			return err
		}
		fresh = true
	} else if err != nil {
		return fmt.Errorf("store: %w", err)
	} else {
		rawKeys, fresh, err = db.prepareFile()
		if err != nil {
			return err
		}
	}
	bdb, err := openBunt(db.path)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(db.path, os.O_RDWR, 0)
	if err != nil {
		bdb.Close()
		return fmt.Errorf("store: %w", err)
	}
	db.bdb, db.dataFile = bdb, f
	if n := buntLen(bdb); !fresh && n != rawKeys {
		return fmt.Errorf("store: %s: buntdb loaded %d keys where the check counted %d", db.path, n, rawKeys)
	}
	switch {
	case fresh:
		// Start the file with a commit marker, so that it is marked.
		err := bdb.Update(func(tx *buntdb.Tx) error {
			_, _, err := tx.Set(commitKey, markerValue(1, 0), nil)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: %s: %w", db.path, err)
		}
		db.syncs.Add(1)
		if err := f.Sync(); err != nil {
			return fmt.Errorf("store: fsync %s: %w", db.path, err)
		}
	}
	q, err := ReadQuarantine(db.dir)
	if err != nil {
		return err
	}
	db.quarantine = q
	fi, err := db.dataFile.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	db.fileSize.Store(fi.Size())
	return db.measureLive()
}

// measureLive sets liveBytes to the size a compacted file would have.
func (db *DB) measureLive() error {
	live := setRecordSize(len(commitKey), len(markerValue(1, 0))+5)
	err := db.bdb.View(func(tx *buntdb.Tx) error {
		return tx.Ascend("", func(key, value string) bool {
			if key != commitKey {
				live += setRecordSize(len(key), len(value))
			}
			return true
		})
	})
	db.liveBytes.Store(live)
	return wrapBunt(err)
}

// buntLen is the number of keys in b, reserved ones included.
func buntLen(b *buntdb.DB) int {
	n := 0
	b.View(func(tx *buntdb.Tx) error {
		n, _ = tx.Len()
		return nil
	})
	return n
}

// openBunt opens a data file with buntdb, configured for this package:
// no fsync of its own (the DB fsyncs through its own descriptor and checks
// the error, which buntdb ignores), no automatic Shrink (it is not crash
// safe), and expired items left in place (buntdb would delete them in
// commits without a commit marker).
func openBunt(path string) (*buntdb.DB, error) {
	b, err := buntdb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = b.SetConfig(buntdb.Config{
		SyncPolicy:         buntdb.Never,
		AutoShrinkDisabled: true,
		OnExpiredSync:      func(string, string, *buntdb.Tx) error { return nil },
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return b, nil
}

// syncDir fsyncs a directory, making renames and creations in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: fsync directory %s: %w", dir, err)
	}
	return nil
}

// fail makes err the DB's sticky failure and returns it.
func (db *DB) fail(err error) error {
	f := &dbFailure{cause: err}
	if !db.failed.CompareAndSwap(nil, f) {
		f = db.failed.Load()
	}
	db.log.Error("store: writes stop until the database is reopened", "file", db.path, "err", err)
	return f
}

// writable returns why the DB takes no writes, if it does not. The caller
// holds writeMu.
func (db *DB) writable() error {
	if db.closed {
		return ErrClosed
	}
	if f := db.failed.Load(); f != nil {
		return f
	}
	return nil
}

// Quarantined returns the damaged records in the directory's QuarantineDir
// as Open found them, the ones it took out of the data file included. The
// slice must not be modified. Safe for concurrent use.
func (db *DB) Quarantined() []QuarantinedRecord { return db.quarantine }

// Stats are counters of a DB, for monitoring.
type Stats struct {
	// FileSize is the size of the data file in bytes.
	FileSize int64
	// LiveKeys is the number of keys stored.
	LiveKeys int
	// LiveBytes is the size the data file would have after a compaction.
	LiveBytes int64
	// BytesWritten counts the bytes written to the data file and to
	// compacted files since Open: the DB's share of flash wear.
	BytesWritten int64
	// Compactions counts the compactions since Open.
	Compactions int64
	// Syncs counts the fsyncs since Open of the data file, of compacted
	// files and of the directory: each one a flash write. It does not
	// grow while nothing is written. With SyncAlways, concurrent commits
	// that share an fsync count it once.
	Syncs int64
	// Commits counts the commits that wrote something since Open.
	Commits int64
}

// Stats returns the DB's counters. After Close, LiveKeys is zero.
func (db *DB) Stats() Stats {
	s := Stats{
		FileSize:     db.fileSize.Load(),
		LiveBytes:    db.liveBytes.Load(),
		BytesWritten: db.bytesWritten.Load(),
		Compactions:  db.compactions.Load(),
		Commits:      int64(db.committed.Load()),
		Syncs:        db.syncs.Load(),
	}
	db.View(func(tx *Tx) error {
		s.LiveKeys, _ = tx.Len()
		return nil
	})
	return s
}

// Close syncs and closes the data file and releases the directory's lock.
// It cuts the zeros reserved ahead of the data (reserve.go), so that a
// closed data file ends with its last commit. It waits for a running write
// or compaction to finish. It returns the first error met, and ErrClosed
// when called again.
func (db *DB) Close() error {
	db.writeMu.Lock()
	if db.closed {
		db.writeMu.Unlock()
		return ErrClosed
	}
	db.swapMu.Lock()
	db.closed = true
	db.syncMu.Lock()
	if db.syncTimer != nil {
		db.syncTimer.Stop()
	}
	db.syncMu.Unlock()
	var errs []error
	db.syncs.Add(1)
	if err := db.fsync(db.dataFile); err != nil {
		err = fmt.Errorf("store: fsync %s: %w", db.path, err)
		errs = append(errs, err)
		db.markSynced(0, err)
	} else if f := db.failed.Load(); f != nil {
		// A failed DB's unsynced commits stay in doubt.
		db.markSynced(0, f)
	} else {
		db.markSynced(db.committed.Load(), nil)
		if err := db.cutReserve(db.fileSize.Load()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := db.bdb.Close(); err != nil {
		errs = append(errs, wrapBunt(err))
	}
	if err := db.dataFile.Close(); err != nil {
		errs = append(errs, fmt.Errorf("store: %w", err))
	}
	db.swapMu.Unlock()
	db.writeMu.Unlock()
	close(db.stop)
	db.wg.Wait()
	if err := db.lock.release(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

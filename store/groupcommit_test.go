package store

import (
	"errors"
	"fmt"
	"github.com/cipmini/cipmini/store/storetest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// returnsWithin reports whether done is closed within d.
func returnsWithin(done <-chan struct{}, d time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// Concurrent Updates under SyncAlways share fsyncs, and each returns only
// after a sync that covers its own commit.
func TestGroupCommitSharesFsyncs(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{DisableAutoCompact: true})
	defer db.Close()
	var synced atomic.Uint64
	db.gsync.hook = func(upTo uint64) { synced.Store(upTo) }
	db.fsync = func(f *os.File) error {
		time.Sleep(2 * time.Millisecond) // a slow card: commits pile up meanwhile
		return f.Sync()
	}
	const writers, each = 16, 20
	s0 := db.Stats().Syncs
	runWriters(t, writers, each, func(w, i int) error {
		var seq uint64
		err := db.Update(func(tx *Tx) error {
			seq = db.committed.Load() + 1 // this commit's number
			return tx.Set(fmt.Sprintf("w%d-%d", w, i), "v")
		})
		if err != nil {
			return err
		}
		if got := synced.Load(); got < seq {
			return fmt.Errorf("Update of commit %d returned when only %d were synced", seq, got)
		}
		return nil
	})
	commits := int64(writers * each)
	fsyncs := db.Stats().Syncs - s0
	t.Logf("%d commits, %d fsyncs", commits, fsyncs)
	if fsyncs < 1 || fsyncs >= commits {
		t.Fatalf("%d fsyncs for %d concurrent commits: not shared", fsyncs, commits)
	}
	if got := db.committed.Load(); got != uint64(commits) || synced.Load() != got {
		t.Fatalf("committed %d, synced %d, want %d", got, synced.Load(), commits)
	}
	if n, _ := dbLen(db); n != int(commits) {
		t.Fatalf("%d keys, want %d", n, commits)
	}
}

// runWriters runs writers goroutines at once, each calling commit(w, i)
// for i from 0 to each-1 until it fails, and fails t with their errors.
func runWriters(t *testing.T, writers, each int, commit func(w, i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := commit(w, i); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func dbLen(db *DB) (int, error) {
	var n int
	err := db.View(func(tx *Tx) error {
		var err error
		n, err = tx.Len()
		return err
	})
	return n, err
}

// An Update that writes nothing, after reading a commit whose fsync runs,
// returns only once that fsync is done; Commit returns before it, and
// WaitDurable after it.
func TestGroupCommitReadWaitsForSync(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	g := storetest.NewGate()
	defer g.Release()
	db.fsync = g.Fsync

	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		if err := db.Update(func(tx *Tx) error { return tx.Set("booking", "1") }); err != nil {
			t.Error(err)
		}
	}()
	<-g.Entered // the booking is committed, its fsync under way
	read := make(chan struct{})
	go func() {
		defer close(read)
		err := db.Update(func(tx *Tx) error {
			if _, err := tx.Get("booking"); err != nil {
				return err
			}
			return nil // declined: nothing to write
		})
		if err != nil {
			t.Error(err)
		}
	}()
	if returnsWithin(read, 100*time.Millisecond) {
		t.Fatal("an Update that read an unsynced commit returned before its fsync")
	}
	// Commit does not wait for the device; WaitDurable does.
	if err := db.Commit(func(tx *Tx) error { return tx.Set("other", "2") }); err != nil {
		t.Fatal(err)
	}
	durable := make(chan struct{})
	go func() {
		defer close(durable)
		if err := db.WaitDurable(); err != nil {
			t.Error(err)
		}
	}()
	g.Open <- nil
	if !returnsWithin(wrote, 10*time.Second) || !returnsWithin(read, 10*time.Second) {
		t.Fatal("Updates still waiting after the fsync")
	}
	if returnsWithin(durable, 100*time.Millisecond) {
		t.Fatal("WaitDurable returned before the fsync of the commit made before it")
	}
	<-g.Entered // the second fsync, for "other"
	g.Open <- nil
	if !returnsWithin(durable, 10*time.Second) {
		t.Fatal("WaitDurable still waiting after the fsync")
	}
	if got := g.Calls(); got != 2 {
		t.Fatalf("%d fsyncs, want 2", got)
	}
	// Nothing new: no fsync.
	if err := db.WaitDurable(); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := g.Calls(); got != 2 {
		t.Fatalf("%d fsyncs after idle waits, want 2", got)
	}
}

// A failed fsync reaches every commit waiting for it, and fails the DB.
func TestGroupCommitFsyncFailureReachesEveryWaiter(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	g := storetest.NewGate()
	defer g.Release()
	db.fsync = g.Fsync
	if err := db.Commit(func(tx *Tx) error { return tx.Set("a", "1") }); err != nil {
		t.Fatal(err)
	}
	const waiters = 5
	results := make(chan error, waiters)
	go func() { results <- db.WaitDurable() }()
	<-g.Entered // the first fsync runs; the others commit and wait behind it
	for i := 0; i < waiters-1; i++ {
		go func(i int) {
			results <- db.Update(func(tx *Tx) error { return tx.Set(fmt.Sprint("k", i), "v") })
		}(i)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.committed.Load() < waiters && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	g.Open <- errors.New("EIO")
	for i := 0; i < waiters; i++ {
		select {
		case err := <-results:
			if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "EIO") {
				t.Fatalf("waiter %d: %v, want the fsync failure", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("waiter %d still waiting after the fsync failed", i)
		}
	}
	if got := g.Calls(); got != 1 {
		t.Fatalf("%d fsyncs, want 1", got)
	}
	if err := db.Update(func(tx *Tx) error { return tx.Set("b", "1") }); !errors.Is(err, ErrFailed) {
		t.Fatalf("Update after the failure: %v", err)
	}
	if err := db.WaitDurable(); !errors.Is(err, ErrFailed) {
		t.Fatalf("WaitDurable after the failure: %v", err)
	}
}

// Close syncs the commits still waiting, and a compaction's synced file
// covers them.
func TestGroupCommitCloseAndCompactCover(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{DisableAutoCompact: true})
	g := storetest.NewGate()
	defer g.Release()
	db.fsync = g.Fsync
	if err := db.Commit(func(tx *Tx) error { return tx.Set("a", "1") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	// The compacted file holds "a" and is synced: nothing left to fsync.
	if err := db.WaitDurable(); err != nil {
		t.Fatal(err)
	}
	if err := db.Commit(func(tx *Tx) error { return tx.Set("b", "1") }); err != nil {
		t.Fatal(err)
	}
	g.Open <- nil // for Close's fsync
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.WaitDurable(); err != nil {
		t.Fatalf("after Close: %v", err)
	}
	if got := g.Calls(); got != 1 {
		t.Fatalf("%d fsyncs of the data file, want Close's only", got)
	}
}

package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// gathered is how many fsyncs gather has delayed so far.
func gathered(db *DB) int {
	db.gsync.mu.Lock()
	defer db.gsync.mu.Unlock()
	return db.gsync.gathers
}

// A lone writer never waits for others before its fsync: each of its
// commits gets an fsync of its own at once.
func TestGatherLoneWriterNeverWaits(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{DisableAutoCompact: true})
	defer db.Close()
	s0 := db.Stats().Syncs
	for i := 0; i < 30; i++ {
		if err := db.Update(func(tx *Tx) error { return tx.Set(fmt.Sprint("k", i), "v") }); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.Stats().Syncs - s0; n != 30 {
		t.Fatalf("%d fsyncs for 30 commits one after another, want 30", n)
	}
	if n := gathered(db); n != 0 {
		t.Fatalf("a lone writer waited before %d of its fsyncs", n)
	}
}

// gather returns once target commits are pending, at its limit when they
// do not come, and when the DB closes.
func TestGatherWaitsForTargetLimitOrClose(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{DisableAutoCompact: true})
	from := db.committed.Load()
	commit := func(k string) {
		t.Helper()
		if err := db.Commit(func(tx *Tx) error { return tx.Set(k, "v") }); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan bool, 1)
	go func() { done <- db.gather(from, 3, time.Hour) }()
	commit("a")
	commit("b")
	select {
	case <-done:
		t.Fatal("gather returned with 2 of 3 commits pending")
	case <-time.After(50 * time.Millisecond):
	}
	commit("c")
	select {
	case waited := <-done:
		if !waited {
			t.Fatal("gather did not report its wait")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("gather still waiting with 3 of 3 commits pending")
	}

	if db.gather(db.committed.Load(), 1, time.Hour) {
		t.Fatal("gather waited for a target of one commit")
	}
	if db.gather(from, 3, time.Hour) {
		t.Fatal("gather waited with its target already pending")
	}
	began := time.Now()
	if !db.gather(db.committed.Load(), 5, 20*time.Millisecond) {
		t.Fatal("gather did not wait")
	}
	if took := time.Since(began); took < 20*time.Millisecond {
		t.Fatalf("gather returned after %v, before its 20ms limit", took)
	}

	go func() { done <- db.gather(db.committed.Load(), 5, time.Hour) }()
	time.Sleep(10 * time.Millisecond)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("gather kept waiting after Close")
	}
}

// Writers that come back a moment after their fsync (a client's next
// booking) share one fsync between all of them, not about half of them
// each as with an fsync started the moment the last one ends; every
// commit is still synced before its Update returns (the group commit
// tests), and all of them are stored.
func TestGatherBusyWritersShareOneFsync(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{DisableAutoCompact: true})
	defer db.Close()
	db.fsync = func(f *os.File) error {
		time.Sleep(10 * time.Millisecond) // a slow card
		return f.Sync()
	}
	const writers, each = 8, 25
	s0 := db.Stats().Syncs
	runWriters(t, writers, each, func(w, i int) error {
		// The client's round trip before its next commit.
		time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
		return db.Update(func(tx *Tx) error { return tx.Set(fmt.Sprintf("w%d-%d", w, i), "v") })
	})
	fsyncs := db.Stats().Syncs - s0
	per := float64(writers*each) / float64(fsyncs)
	t.Logf("%d commits, %d fsyncs (%.1f commits each), %d gathered", writers*each, fsyncs, per, gathered(db))
	if per < 5 {
		t.Fatalf("%.1f commits an fsync for %d busy writers, want at least 5 (without gathering: about half of them)", per, writers)
	}
	if n, _ := dbLen(db); n != writers*each {
		t.Fatalf("%d keys, want %d", n, writers*each)
	}
}

package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/ciptest"
)

// Flash care: a DB that is only read, or given commits that change
// nothing, neither writes nor fsyncs, under every sync policy, and even
// when its file is past the compaction thresholds.
func TestIdleDBDoesNotWrite(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncEverySecond, SyncNever} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// Thresholds so low that the file is past them: only a commit
			// may start a compaction, never idleness.
			db := mustOpen(t, dir, &Options{Sync: policy, CompactMinSize: 1, DisableAutoCompact: false})
			defer db.Close()
			for i := 0; i < 50; i++ {
				mustSet(t, db, "k", strings.Repeat("x", i))
			}
			// Let a pending timed fsync (SyncEverySecond) and an automatic
			// compaction settle: the counters stop moving.
			var before Stats
			deadline := time.Now().Add(30 * time.Second)
			for {
				before = db.Stats()
				time.Sleep(1500 * time.Millisecond)
				if db.Stats() == before || time.Now().After(deadline) {
					break
				}
			}
			if policy != SyncNever && before.Syncs == 0 {
				t.Fatalf("no fsync counted after the writes: %+v", before)
			}
			files := ciptest.DirState(t, dir)

			idleUntil := time.Now().Add(3 * time.Second)
			for time.Now().Before(idleUntil) {
				if got := dbContents(t, db)["k"]; got != strings.Repeat("x", 49) {
					t.Fatalf("read %q", got)
				}
				// A commit that reads and changes nothing is not written.
				err := db.Update(func(tx *Tx) error {
					_, err := tx.Get("k")
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if after := db.Stats(); after != before {
				t.Fatalf("idle DB changed its counters:\nbefore %+v\nafter  %+v", before, after)
			}
			if got := ciptest.DirState(t, dir); got != files {
				t.Fatalf("idle DB changed its directory:\nbefore\n%safter\n%s", files, got)
			}
		})
	}
}

// Syncs counts what the policy promises: one fsync per commit with
// SyncAlways, at most about one a second with SyncEverySecond, none before
// Close with SyncNever, and the file's and the directory's for a
// compaction.
func TestSyncsCounter(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{DisableAutoCompact: true})
	s0 := db.Stats().Syncs
	for i := 0; i < 10; i++ {
		mustSet(t, db, "k", fmt.Sprint(i))
	}
	if got := db.Stats().Syncs - s0; got != 10 {
		t.Fatalf("SyncAlways: %d fsyncs for 10 commits", got)
	}
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	if got := db.Stats().Syncs - s0; got != 12 {
		t.Fatalf("after a compaction: %d fsyncs, want 12", got)
	}
	db.Close()

	db = mustOpen(t, t.TempDir(), &Options{Sync: SyncNever})
	s0 = db.Stats().Syncs
	for i := 0; i < 10; i++ {
		mustSet(t, db, "k", fmt.Sprint(i))
	}
	if got := db.Stats().Syncs - s0; got != 0 {
		t.Fatalf("SyncNever: %d fsyncs", got)
	}
	db.Close()

	db = mustOpen(t, t.TempDir(), &Options{Sync: SyncEverySecond})
	defer db.Close()
	s0 = db.Stats().Syncs
	for i := 0; i < 10; i++ {
		mustSet(t, db, "k", fmt.Sprint(i))
	}
	deadline := time.Now().Add(30 * time.Second)
	for db.Stats().Syncs == s0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := db.Stats().Syncs - s0; got < 1 || got > 2 {
		t.Fatalf("SyncEverySecond: %d fsyncs for 10 quick commits, want 1 (or 2 across a second's edge)", got)
	}
}

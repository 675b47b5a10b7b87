package store

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/ciptest"
)

// Flash care for the daily snapshot: unchanged data is not written again,
// not after a restart either; a changed record, or a newest snapshot
// damaged since, is.
func TestSnapshotOnlyOfChangedData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, BackupDir), t.TempDir()
	db := mustOpen(t, dir, &Options{DisableAutoCompact: true})
	defer func() { db.Close() }()
	mustSet(t, db, "k1", "v1", "k2", "v2")
	day := time.Date(2027, 3, 1, 3, 0, 0, 0, time.UTC)
	snap := func(i, keep int) SnapshotResult {
		t.Helper()
		res, err := db.WriteSnapshot(day.AddDate(0, 0, i), keep, a, b)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	count := func(d string) int {
		t.Helper()
		s, err := Snapshots(d)
		if err != nil {
			t.Fatal(err)
		}
		return len(s)
	}
	both := []string{a, b}

	if res := snap(0, 7); !reflect.DeepEqual(res.Written, both) || res.Current != nil || res.Bytes == 0 {
		t.Fatalf("first snapshot: %+v", res)
	}
	state := ciptest.DirState(t, a) + ciptest.DirState(t, b)
	stats := db.Stats()
	if res := snap(1, 7); res.Written != nil || !reflect.DeepEqual(res.Current, both) {
		t.Fatalf("unchanged data: %+v, want no directory written", res)
	}
	if got := ciptest.DirState(t, a) + ciptest.DirState(t, b); got != state {
		t.Fatalf("unchanged data written:\nbefore\n%safter\n%s", state, got)
	}
	if got := db.Stats(); got != stats {
		t.Fatalf("unchanged data: counters %+v, were %+v", got, stats)
	}
	if s := db.SnapshotStats(); s.Count != 2 || s.Current != 2 || !s.Last.Equal(day.AddDate(0, 0, 1)) {
		t.Fatalf("snapshot stats %+v", s)
	}

	// A restart knows nothing in memory: the files decide.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, &Options{DisableAutoCompact: true})
	if res := snap(2, 7); res.Written != nil {
		t.Fatalf("unchanged data after a restart: %+v", res)
	}
	if got := ciptest.DirState(t, a) + ciptest.DirState(t, b); got != state {
		t.Fatalf("unchanged data written after a restart:\nbefore\n%safter\n%s", state, got)
	}

	// The stick's snapshot damaged since: written there anew, not in a.
	sb, _ := Snapshots(b)
	raw, err := os.ReadFile(sb[0])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x20
	os.WriteFile(sb[0], raw, 0o600)
	if res := snap(3, 7); !reflect.DeepEqual(res.Written, []string{b}) || !reflect.DeepEqual(res.Current, []string{a}) {
		t.Fatalf("damaged newest snapshot on the stick: %+v", res)
	}
	if count(a) != 1 || count(b) != 2 {
		t.Fatalf("snapshots %d and %d, want 1 and 2", count(a), count(b))
	}

	// A changed record: a new snapshot in both.
	mustSet(t, db, "k2", "v2'")
	if res := snap(4, 7); !reflect.DeepEqual(res.Written, both) {
		t.Fatalf("changed data: %+v", res)
	}
	if count(a) != 2 || count(b) != 3 {
		t.Fatalf("snapshots %d and %d, want 2 and 3", count(a), count(b))
	}
	// A smaller keep applies without a new snapshot.
	if res := snap(5, 1); res.Written != nil {
		t.Fatalf("unchanged data, keep 1: %+v", res)
	}
	if count(a) != 1 || count(b) != 1 {
		t.Fatalf("keep 1 left %d and %d snapshots", count(a), count(b))
	}
}

package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A clock that jumps ahead (no RTC, a wrong date) and back (1970 before
// NTP), or stands still, neither rotates newer snapshots away nor makes
// restore take an older one: the number in the name orders them.
func TestSnapshotsOrderedByNumberNotClock(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	defer db.Close()
	a, b := filepath.Join(dir, "backups"), t.TempDir()
	// A snapshot from before numbered names, with a time ahead of all.
	legacy := filepath.Join(a, "cipmini-20300101T000000Z.db")
	if _, err := db.WriteSnapshot(time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC), 0, a); err != nil {
		t.Fatal(err)
	}
	first, _ := Snapshots(a)
	if err := os.Rename(first[0], legacy); err != nil {
		t.Fatal(err)
	}
	clocks := []time.Time{
		time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC),
		time.Date(2099, 1, 1, 3, 0, 0, 0, time.UTC), // a wrong clock
		time.Unix(3*3600, 0).UTC(),                  // 1970, before NTP
		time.Unix(3*3600, 0).UTC(),                  // the same again
		time.Date(2026, 5, 2, 3, 0, 0, 0, time.UTC),
	}
	for i, at := range clocks {
		mustSet(t, db, "day", string(rune('a'+i)))
		if _, err := db.WriteSnapshot(at, 3, a, b); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{a, b} {
		all, err := Snapshots(d)
		if err != nil || len(all) != 3 {
			t.Fatalf("%s: %v, %v: want 3 kept", d, all, err)
		}
		for i, p := range all {
			if want := snapshotName(clocks[4-i], uint64(5-i)); filepath.Base(p) != want {
				t.Fatalf("%s: kept %v, want the three last written, newest first (%s at %d)", d, all, want, i)
			}
		}
	}
	got, skipped, err := LatestGoodSnapshot(a, b)
	if err != nil || len(skipped) != 0 || filepath.Base(got) != snapshotName(clocks[4], 5) {
		t.Fatalf("LatestGoodSnapshot = %s, %v, %v", got, skipped, err)
	}
	r := t.TempDir()
	f, err := os.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Restore(r, f, &Options{Logger: quietLog}); err != nil {
		t.Fatal(err)
	}
	rdb := mustOpen(t, r, nil)
	defer rdb.Close()
	if c := dbContents(t, rdb); c["day"] != "e" {
		t.Fatalf("restored %q, want the last day's data", c)
	}
}

// parseSnapshotName reads numbered and older names and refuses others.
func TestParseSnapshotName(t *testing.T) {
	for name, want := range map[string]uint64{
		"cipmini-20260501T030000Z-000042.db": 42,
		"cipmini-19700101T030000Z-1.db":      1,
		"cipmini-20260501T030000Z.db":        0,
	} {
		if seq, _, ok := parseSnapshotName(name); !ok || seq != want {
			t.Errorf("%s: %d, %v", name, seq, ok)
		}
	}
	for _, name := range []string{"cipmini-20260501T030000Z-.db", "cipmini-20260501T030000Z-x1.db",
		"cipmini-2026-000001.db", "cipmini-20260501T030000Z-000001.db.part", "other-20260501T030000Z.db",
		"cipmini-20260501T030000Z--1.db", "cipmini-20260501T030000Z-+1.db"} {
		if _, _, ok := parseSnapshotName(name); ok {
			t.Errorf("%s accepted", name)
		}
	}
}

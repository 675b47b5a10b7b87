package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fillVersions writes keys keys in versions rounds, each round a new value
// of every key, with automatic compaction off: a file about versions times
// its live data. It returns the contents.
func fillVersions(t *testing.T, dir string, keys, versions int) map[string]string {
	t.Helper()
	db := mustOpen(t, dir, &Options{DisableAutoCompact: true})
	for v := 0; v < versions; v++ {
		err := db.Update(func(tx *Tx) error {
			for i := 0; i < keys; i++ {
				if err := tx.Set(crashKey(i), fmt.Sprint(v, " ", crashValue(i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := dbContents(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestOpenCompactsFileOfOldVersions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFileName)
	want := fillVersions(t, dir, 300, 4)
	before, _ := os.Stat(path)

	db := mustOpen(t, dir, &Options{CompactMinSize: 64 << 10})
	s := db.Stats()
	if got := dbContents(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("contents after the compacting open differ: %d keys, want %d", len(got), len(want))
	}
	if s.Compactions != 1 || s.FileSize >= before.Size()/3 || s.BytesWritten != s.FileSize || s.LiveKeys != 300 {
		t.Fatalf("file of %d bytes opened with stats %+v", before.Size(), s)
	}
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	// Writes go to the new file and survive a reopen.
	mustSet(t, db, "late", "write")
	want["late"] = "write"
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := CheckFile(path)
	if err != nil || !rep.Marked || rep.Commits != 2 || rep.Keys != 301 {
		t.Fatalf("compacted file: %+v, %v", rep, err)
	}

	// A file with little garbage is loaded as it is: nothing is written.
	old, _ := os.ReadFile(path)
	db = mustOpen(t, dir, &Options{CompactMinSize: 64 << 10})
	s = db.Stats()
	got := dbContents(t, db)
	db.Close()
	now, _ := os.ReadFile(path)
	if s.Compactions != 0 || s.BytesWritten != 0 || !bytes.Equal(old, now) {
		t.Fatalf("a compact file was rewritten at open: %+v", s)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("contents changed after the second open")
	}
}

func TestOpenCompactionThresholds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions int
		opts     Options
		compacts bool
	}{
		{"little garbage", 1, Options{CompactMinSize: 64 << 10}, false},
		{"garbage below the minimum size", 4, Options{CompactMinSize: 8 << 20}, false},
		{"automatic compaction off", 4, Options{CompactMinSize: 64 << 10, DisableAutoCompact: true}, false},
		{"half again the live data", 2, Options{CompactMinSize: 64 << 10}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, DefaultFileName)
			want := fillVersions(t, dir, 300, tc.versions)
			old, _ := os.ReadFile(path)
			db := mustOpen(t, dir, &tc.opts)
			s := db.Stats()
			got := dbContents(t, db)
			db.Close()
			now, _ := os.ReadFile(path)
			if compacted := s.Compactions == 1 && len(now) < len(old); compacted != tc.compacts || (!tc.compacts && !bytes.Equal(old, now)) {
				t.Fatalf("compacted %v (%d to %d bytes, %+v), want %v", compacted, len(old), len(now), s, tc.compacts)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatal("contents changed")
			}
		})
	}
}

func TestOpenCompactionFailedRenameLoadsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFileName)
	want := fillVersions(t, dir, 300, 4)
	old, _ := os.ReadFile(path)
	renameFile = func(string, string) error { return errors.New("injected rename failure") }
	db, err := Open(dir, &Options{Logger: quietLog, CompactMinSize: 64 << 10})
	renameFile = os.Rename
	if err != nil {
		t.Fatalf("Open after a failed compaction: %v", err)
	}
	s := db.Stats()
	got := dbContents(t, db)
	db.Close()
	if s.Compactions != 0 || s.FileSize != int64(len(old)) || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stats %+v, %d keys; want the old file of %d bytes", s, len(got), len(old))
	}
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	// The next open compacts.
	db = mustOpen(t, dir, &Options{CompactMinSize: 64 << 10})
	defer db.Close()
	if s := db.Stats(); s.Compactions != 1 || s.FileSize >= int64(len(old))/3 || fmt.Sprint(dbContents(t, db)) != fmt.Sprint(want) {
		t.Fatalf("the next open: %+v", s)
	}
}

// TestCrashWhileCompactingAtOpen kills a process in the middle of the
// compaction that Open runs on a file of old versions: the file must be
// the old one or the compacted one, complete, with every key.
func TestCrashWhileCompactingAtOpen(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFileName)
	want := fillVersions(t, dir, compactKeys, 3)
	garbage, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The first two runs measure an open, to aim the kills inside one
	// (the first open of the file, with a cold cache, is slower); the kills
	// fall within twice that time after the child starts opening.
	var took time.Duration
	compacted := 0
	const runs = 8
	for run := 0; run < runs; run++ {
		if err := os.WriteFile(path, garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		c := startHelper(t, "opener", dir)
		c.expect(t, "open")
		if run < 2 {
			f := strings.Fields(c.expect(t, "opened "))
			us, _ := strconv.Atoi(f[1])
			if d := time.Duration(us) * time.Microsecond; took == 0 || d < took {
				took = d
			}
			if f[2] != "1" {
				t.Fatalf("the open did not compact: %v", f)
			}
		} else {
			time.Sleep(time.Duration(rng.Int64N(2*int64(took) + 1)))
		}
		c.kill()
		if fi, err := os.Stat(path); err == nil && fi.Size() < int64(len(garbage)) {
			compacted++
		}
		rep, err := CheckFile(path)
		if err != nil || !rep.Marked || rep.DroppedBytes != 0 {
			t.Fatalf("run %d: check after kill: %+v, %v", run, rep, err)
		}
		db := mustOpen(t, dir, &Options{DisableAutoCompact: true})
		got := dbContents(t, db)
		db.Close()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("run %d: %d keys after the kill, want %d, or values changed", run, len(got), len(want))
		}
		if _, err := os.Stat(path + compactSuffix); err == nil {
			t.Fatalf("run %d: Open left the temporary file", run)
		}
	}
	t.Logf("an open that compacts takes %v; %d of %d kills found the file compacted", took, compacted-2, runs-2)
}

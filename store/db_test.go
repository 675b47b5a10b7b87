package store

import (
	"errors"
	"github.com/cipmini/cipmini/store/storetest"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/buntdb"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db := mustOpen(t, dir, nil)
	defer db.Close()
	for path, want := range map[string]os.FileMode{
		dir:                                 os.ModeDir | 0o700,
		filepath.Join(dir, DefaultFileName): 0o600,
		filepath.Join(dir, LockFileName):    0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}
	rep, _, err := checkFile(filepath.Join(dir, DefaultFileName), false, quietLog, true)
	if err != nil || !rep.Marked || rep.Commits != 1 || rep.Keys != 0 {
		t.Fatalf("a new data file: %+v, %v; want one marked commit and no keys", rep, err)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{Sync: SyncPolicy(7)},
		{FileName: "a/b"},
		{FileName: ".."},
		{FileName: LockFileName},
		{CompactMinSize: -1},
		{CompactRatio: 1},
	} {
		if _, err := Open(t.TempDir(), &o); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("Open with %+v = %v, want an error", o, err)
		}
	}
	o, err := resolveOptions(nil)
	if err != nil || o.Sync != SyncAlways || o.FileName != DefaultFileName ||
		o.CompactMinSize != DefaultCompactMinSize || o.CompactRatio != DefaultCompactRatio || o.Logger == nil {
		t.Fatalf("defaults = %+v, %v", o, err)
	}
}

func TestUpdateViewAndReopen(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, &Options{FileName: "cal.db"})
	mustSet(t, db, "b", "2", "a", "1", "c", "3")
	err := db.Update(func(tx *Tx) error {
		if err := tx.Delete("c"); err != nil {
			return err
		}
		if err := tx.Delete("missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete(missing) = %v", err)
		}
		return tx.Set("a", "one")
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(db *DB) {
		t.Helper()
		err := db.View(func(tx *Tx) error {
			if v, err := tx.Get("a"); v != "one" || err != nil {
				t.Errorf("Get(a) = %q, %v", v, err)
			}
			if _, err := tx.Get("c"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(c) = %v, want ErrNotFound", err)
			}
			if _, err := tx.Get(commitKey); !errors.Is(err, ErrNotFound) {
				t.Errorf("the reserved key is visible: %v", err)
			}
			if n, err := tx.Len(); n != 2 || err != nil {
				t.Errorf("Len = %d, %v", n, err)
			}
			var keys []string
			tx.AscendKeys("*", func(k, v string) bool { keys = append(keys, k); return true })
			if strings.Join(keys, ",") != "a,b" {
				t.Errorf("AscendKeys = %v", keys)
			}
			keys = nil
			tx.ascendRange("", "a", "b", func(k, v string) bool { keys = append(keys, k); return true })
			if strings.Join(keys, ",") != "a" {
				t.Errorf("AscendRange = %v", keys)
			}
			keys = nil
			tx.ascendGreaterOrEqual("", "b", func(k, v string) bool { keys = append(keys, k); return true })
			if strings.Join(keys, ",") != "b" {
				t.Errorf("AscendGreaterOrEqual = %v", keys)
			}
			if err := tx.Set("x", "y"); !errors.Is(err, ErrReadOnly) {
				t.Errorf("Set in a View = %v", err)
			}
			if err := tx.Ascend("nosuch", func(k, v string) bool { return true }); !errors.Is(err, ErrNotFound) {
				t.Errorf("Ascend over a missing index = %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
	if err := db.View(func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("View after Close = %v", err)
	}
	if err := db.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update after Close = %v", err)
	}
	db = mustOpen(t, dir, &Options{FileName: "cal.db"})
	defer db.Close()
	check(db)
}

func TestKeyAndValueLimits(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	cases := []struct {
		key, value string
		want       error
	}{
		{"", "v", ErrInvalidKey},
		{"\x00x", "v", ErrInvalidKey},
		{strings.Repeat("k", MaxKeySize+1), "v", ErrTooLarge},
		{"k", strings.Repeat("v", MaxValueSize+1), ErrTooLarge},
	}
	for _, c := range cases {
		err := db.Update(func(tx *Tx) error { return tx.Set(c.key, c.value) })
		if !errors.Is(err, c.want) {
			t.Errorf("Set(%.10q, %d bytes) = %v, want %v", c.key, len(c.value), err, c.want)
		}
	}
	mustSet(t, db, strings.Repeat("k", MaxKeySize), "largest key")
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	mustSet(t, db, "a", "1")
	size := db.Stats().FileSize
	boom := errors.New("boom")
	err := db.Update(func(tx *Tx) error {
		tx.Set("a", "2")
		tx.Set("b", "3")
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if got := dbContents(t, db); len(got) != 1 || got["a"] != "1" {
		t.Fatalf("after a failed Update: %v", got)
	}
	if db.Stats().FileSize != size {
		t.Fatal("a failed Update wrote to the file")
	}
	// An Update that changes nothing writes nothing.
	if err := db.Update(func(tx *Tx) error { _, err := tx.Get("a"); return err }); err != nil {
		t.Fatal(err)
	}
	if db.Stats().FileSize != size {
		t.Fatal("a read-only Update wrote to the file")
	}
}

func TestUpdatePanicRollsBack(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	defer db.Close()
	mustSet(t, db, "a", "1")
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the function's panic", r)
			}
		}()
		db.Update(func(tx *Tx) error {
			tx.Set("a", "2")
			tx.Set("b", "2")
			panic("boom")
		})
	}()
	mustSet(t, db, "c", "3")
	if got := dbContents(t, db); len(got) != 2 || got["a"] != "1" || got["c"] != "3" {
		t.Fatalf("after a panicking Update: %v", got)
	}
	rep, _, err := checkFile(filepath.Join(dir, DefaultFileName), false, quietLog, true)
	if err != nil || rep.Commits != 3 {
		t.Fatalf("file after a panicking Update: %+v, %v", rep, err)
	}
}

func TestTxUnusableAfterReturn(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	var kept *Tx
	db.Update(func(tx *Tx) error { kept = tx; return nil })
	if err := kept.Set("a", "b"); !errors.Is(err, ErrTxClosed) {
		t.Fatalf("Set on a finished Tx = %v", err)
	}
	if _, err := kept.Get("a"); !errors.Is(err, ErrTxClosed) {
		t.Fatalf("Get on a finished Tx = %v", err)
	}
}

// TestCommitMarkerCounts checks that each commit's marker counts exactly
// the records buntdb writes for it, however the keys were touched.
func TestCommitMarkerCounts(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	mustSet(t, db, "a", "1", "b", "2")
	steps := []func(tx *Tx) error{
		func(tx *Tx) error { tx.Set("x", "1"); return tx.Delete("x") },        // del x only
		func(tx *Tx) error { tx.Set("a", "1"); tx.Set("a", "2"); return nil }, // one set
		func(tx *Tx) error { tx.Delete("nope"); return tx.Delete("b") },       // one del
		func(tx *Tx) error { tx.Set("c", "3"); tx.Set("d", "4"); return tx.Set("e", "5") },
	}
	for _, step := range steps {
		if err := db.Update(step); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	rep, _, err := checkFile(filepath.Join(dir, DefaultFileName), false, quietLog, true)
	if err != nil || rep.Commits != 6 || rep.Records != 1+3+2+2+2+4 || rep.Keys != 4 {
		t.Fatalf("report %+v, %v", rep, err)
	}
}

// TestOpenUpgradesPlainBuntdbFile opens a file written by plain buntdb:
// it is converted to checksummed records with commit markers, and the old
// file is kept.
func TestOpenUpgradesPlainBuntdbFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFileName)
	b, err := buntdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *buntdb.Tx) error {
		tx.Set("a", "1", nil)
		tx.Set("b", "2", nil)
		return nil
	})
	b.Close()
	rec := &storetest.LogRecorder{}
	db := mustOpen(t, dir, &Options{Logger: slog.New(rec)})
	mustSet(t, db, "c", "3")
	db.Close()
	if _, ok := rec.Find(slog.LevelInfo, "store: converted the data file to checksummed records; the old file is kept"); !ok {
		t.Error("the upgrade was not logged")
	}
	if _, err := os.Stat(path + PreChecksumSuffix); err != nil {
		t.Errorf("the old file was not kept: %v", err)
	}
	rep, _, err := checkFile(path, false, quietLog, true)
	if err != nil || !rep.Marked || rep.Keys != 3 {
		t.Fatalf("after the upgrade: %+v, %v", rep, err)
	}
}

func TestOpenCutsTornTailAndWarns(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	mustSet(t, db, "a", "1")
	good := db.Stats().FileSize
	db.Close()
	path := filepath.Join(dir, DefaultFileName)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("*3\r\n$3\r\nset\r\n$1\r\nb\r\n$100\r\nhalf a val"))
	f.Close()
	rec := &storetest.LogRecorder{}
	db = mustOpen(t, dir, &Options{Logger: slog.New(rec)})
	defer db.Close()
	attrs, ok := rec.Find(slog.LevelWarn, "store: cut an incomplete commit off the end of the data file")
	if !ok || attrs["file"].String() != path || attrs["offset"].Int64() != good || attrs["dropped_bytes"].Int64() != 36 {
		t.Fatalf("warning %v (logged %v)", attrs, ok)
	}
	if got := dbContents(t, db); len(got) != 1 || got["a"] != "1" {
		t.Fatalf("contents %v", got)
	}
}

func TestStats(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	before := db.Stats()
	mustSet(t, db, "a", strings.Repeat("x", 2000), "b", "y")
	s := db.Stats()
	// The first commit writes its data and the zeros reserved ahead of it.
	if s.LiveKeys != 2 || s.FileSize <= before.FileSize || s.BytesWritten != s.FileSize-before.FileSize+ReserveBytes {
		t.Fatalf("stats before %+v, after %+v", before, s)
	}
	if size, end := dataEnd(t, db.path); end != s.FileSize || size != s.FileSize+ReserveBytes {
		t.Fatalf("FileSize %d, the file has %d bytes of data, %d in all", s.FileSize, end, size)
	}
}

// TestIdleWritesNothing checks that an idle DB leaves its files alone: no
// background fsync, compaction or buntdb housekeeping touches them.
func TestIdleWritesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 2.5 s")
	}
	dir := t.TempDir()
	db := mustOpen(t, dir, &Options{Sync: SyncEverySecond, CompactMinSize: 1})
	defer db.Close()
	for i := 0; i < 20; i++ {
		mustSet(t, db, "k", strings.Repeat("v", 100+i))
	}
	time.Sleep(1500 * time.Millisecond) // let the pending sync and compaction finish
	fi1, _ := os.Stat(db.path)
	compactions := db.Stats().Compactions
	time.Sleep(2500 * time.Millisecond)
	fi2, _ := os.Stat(db.path)
	if !fi2.ModTime().Equal(fi1.ModTime()) || fi2.Size() != fi1.Size() || db.Stats().Compactions != compactions {
		t.Fatalf("the idle DB wrote: %v %d -> %v %d", fi1.ModTime(), fi1.Size(), fi2.ModTime(), fi2.Size())
	}
}

func TestSyncEverySecondAndNever(t *testing.T) {
	for _, p := range []SyncPolicy{SyncEverySecond, SyncNever} {
		dir := t.TempDir()
		db := mustOpen(t, dir, &Options{Sync: p})
		mustSet(t, db, "a", p.String())
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = mustOpen(t, dir, nil)
		if got := dbContents(t, db); got["a"] != p.String() {
			t.Fatalf("%v: %v", p, got)
		}
		db.Close()
	}
}

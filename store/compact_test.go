package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCompactShrinksAndKeepsData(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, &Options{DisableAutoCompact: true})
	for i := 0; i < 200; i++ {
		mustSet(t, db, fmt.Sprintf("k%03d", i%20), strings.Repeat("v", i))
	}
	want := dbContents(t, db)
	before := db.Stats()
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	after := db.Stats()
	if after.FileSize >= before.FileSize/4 || after.Compactions != 1 || after.FileSize != after.LiveBytes {
		t.Fatalf("stats before %+v, after %+v", before, after)
	}
	if after.BytesWritten != before.BytesWritten+after.FileSize {
		t.Fatalf("BytesWritten %d, want %d", after.BytesWritten, before.BytesWritten+after.FileSize)
	}
	if _, err := os.Stat(db.path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	// Writes after the swap go to the new file.
	mustSet(t, db, "late", "write")
	want["late"] = "write"
	db.Close()
	rep, _, err := checkFile(filepath.Join(dir, DefaultFileName), false, quietLog, true)
	if err != nil || !rep.Marked || rep.Commits != 2 || rep.Keys != 21 {
		t.Fatalf("compacted file: %+v, %v", rep, err)
	}
	db = mustOpen(t, dir, nil)
	defer db.Close()
	got := dbContents(t, db)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after compaction and reopen:\n%v\nwant\n%v", got, want)
	}
}

func TestAutoCompaction(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{CompactMinSize: 64 << 10})
	defer db.Close()
	value := strings.Repeat("x", 2000)
	for i := 0; i < 100; i++ {
		mustSet(t, db, "hot", fmt.Sprint(i, value))
	}
	// Compactions run in the background, possibly more than one while the
	// writes go on (on a slow machine): wait for the file to come down.
	deadline := time.Now().Add(time.Minute)
	for (db.Stats().Compactions == 0 || db.Stats().FileSize > 64<<10) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s := db.Stats()
	if s.Compactions == 0 || s.FileSize > 64<<10 {
		t.Fatalf("no automatic compaction: %+v", s)
	}
	if got := dbContents(t, db); got["hot"] != fmt.Sprint(99, value) {
		t.Fatal("value lost")
	}
}

func TestCompactFailedRenameKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, &Options{DisableAutoCompact: true})
	defer db.Close()
	for i := 0; i < 50; i++ {
		mustSet(t, db, "k", fmt.Sprint(i))
	}
	mustSet(t, db, "other", "x")
	size := db.Stats().FileSize
	renameFile = func(string, string) error { return errors.New("injected rename failure") }
	err := db.Compact()
	renameFile = os.Rename
	if err == nil || !strings.Contains(err.Error(), "injected rename failure") || !strings.HasPrefix(err.Error(), "store: compact: ") {
		t.Fatalf("Compact = %v", err)
	}
	if _, err := os.Stat(db.path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	if db.Stats().FileSize != size {
		t.Fatal("the file size changed")
	}
	// The old file keeps serving reads and writes.
	mustSet(t, db, "after", "failure")
	got := dbContents(t, db)
	if got["k"] != "49" || got["after"] != "failure" {
		t.Fatalf("contents %v", got)
	}
	if err := db.Compact(); err != nil {
		t.Fatalf("Compact after the failure: %v", err)
	}
}

func TestCompactWithConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, &Options{Sync: SyncNever, DisableAutoCompact: true})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				err := db.Update(func(tx *Tx) error { return tx.Set(fmt.Sprintf("w%d-%03d", w, i), "v") })
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if err := db.Compact(); err != nil {
				errs <- err
				return
			}
			db.View(func(tx *Tx) error { _, err := tx.Len(); return err })
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(dbContents(t, db)); n != 900 {
		t.Fatalf("%d keys, want 900", n)
	}
	db.Close()
	db = mustOpen(t, dir, nil)
	defer db.Close()
	if n := len(dbContents(t, db)); n != 900 {
		t.Fatalf("%d keys after reopen, want 900", n)
	}
}

func TestIndexSurvivesCompaction(t *testing.T) {
	db := mustOpen(t, t.TempDir(), &Options{DisableAutoCompact: true})
	defer db.Close()
	if err := db.createIndex("byvalue", "ev:*", func(a, b string) bool { return a < b }); err != nil {
		t.Fatal(err)
	}
	if err := db.createIndex("byvalue", "*", func(a, b string) bool { return a < b }); err == nil {
		t.Fatal("a second index with the same name was accepted")
	}
	mustSet(t, db, "ev:1", "c", "ev:2", "a", "ev:3", "b", "other", "0")
	order := func() string {
		var keys []string
		err := db.View(func(tx *Tx) error {
			return tx.Ascend("byvalue", func(k, v string) bool { keys = append(keys, k); return true })
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(keys, ",")
	}
	if got := order(); got != "ev:2,ev:3,ev:1" {
		t.Fatalf("index order %s", got)
	}
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "ev:2,ev:3,ev:1" {
		t.Fatalf("index order after compaction %s", got)
	}
}

package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/tidwall/buntdb"
)

// oldFormat writes contents as a data file from before checksums: commit
// markers holding bare record counts, plain values.
func oldFormat(contents map[string]string) []byte {
	keys := make([]string, 0, len(contents))
	for k := range contents {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf := appendSetRecord(nil, commitKey, "1", time.Time{})
	buf = appendSetRecord(buf, commitKey, "2", time.Time{})
	buf = appendSetRecord(buf, keys[0], contents[keys[0]], time.Time{})
	buf = appendSetRecord(buf, commitKey, itoa(len(keys)), time.Time{})
	for _, k := range keys[1:] {
		buf = appendSetRecord(buf, k, contents[k], time.Time{})
	}
	return buf
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// TestConvertCrashLeavesOldFile: a conversion whose rename fails leaves the
// old file in place, and the next start converts it.
func TestConvertCrashLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFileName)
	old := oldFormat(map[string]string{"a": "1", "b": "2"})
	os.WriteFile(path, old, 0o600)
	renameFile = func(string, string) error { return os.ErrPermission }
	_, err := Open(dir, &Options{Logger: quietLog})
	renameFile = os.Rename
	if err == nil {
		t.Fatal("Open succeeded with a failing rename")
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, old) {
		t.Fatal("the old file changed")
	}
	db := mustOpen(t, dir, nil)
	defer db.Close()
	if got := dbContents(t, db); got["a"] != "1" || got["b"] != "2" || len(got) != 2 {
		t.Fatalf("after the retried conversion: %v", got)
	}
}

// TestReadBackChecksDamage: a value changed in memory after it was loaded
// is refused on reading, by Get, by the iterations and by compaction.
func TestReadBackChecksDamage(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	mustSet(t, db, "k", "value")
	// Put a value with a wrong checksum straight into buntdb, as a bit
	// flip in memory would leave it.
	db.bdb.Update(func(btx *buntdbTx) error {
		_, _, err := btx.Set("k", "\x00\x00\x00\x00value", nil)
		return err
	})
	db.View(func(tx *Tx) error {
		if _, err := tx.Get("k"); !errorsIs(err, ErrDamaged) {
			t.Errorf("Get: %v, want ErrDamaged", err)
		}
		if err := tx.Ascend("", func(k, v string) bool { return true }); !errorsIs(err, ErrDamaged) {
			t.Errorf("Ascend: %v, want ErrDamaged", err)
		}
		return nil
	})
	if err := db.Compact(); !errorsIs(err, ErrDamaged) {
		t.Errorf("Compact: %v, want ErrDamaged", err)
	}
}

type buntdbTx = buntdb.Tx

var errorsIs = errors.Is

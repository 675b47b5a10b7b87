package sched

import (
	"bytes"
	"github.com/cipmini/cipmini/store/storetest"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// oldFormat writes contents as a data file from before checksums, as the
// store wrote it then: commit markers holding bare record counts under
// the store's reserved key, plain values, in buntdb's append-only format.
func oldFormat(contents map[string]string) []byte {
	const commitKey = "\x00store:commit"
	keys := make([]string, 0, len(contents))
	for k := range contents {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf := appendSetRecord(nil, commitKey, "1")
	buf = appendSetRecord(buf, commitKey, "2")
	buf = appendSetRecord(buf, keys[0], contents[keys[0]])
	buf = appendSetRecord(buf, commitKey, strconv.Itoa(len(keys)))
	for _, k := range keys[1:] {
		buf = appendSetRecord(buf, k, contents[k])
	}
	return buf
}

// appendSetRecord appends buntdb's record of a set of key to value.
func appendSetRecord(buf []byte, key, value string) []byte {
	buf = append(buf, "*3\r\n"...)
	for _, s := range []string{"set", key, value} {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(s)), 10)
		buf = append(buf, "\r\n"...)
		buf = append(buf, s...)
		buf = append(buf, "\r\n"...)
	}
	return buf
}

// writeTempFile writes data to name in a new temporary directory.
func writeTempFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConvertOldFormat converts a file from before checksums: every booking
// survives, the old file is kept, and a second start changes nothing.
func TestConvertOldFormat(t *testing.T) {
	f := newDamageFixture(t)
	old := oldFormat(f.final)
	if _, err := store.CheckFile(writeTempFile(t, "old.db", old)); err != nil {
		t.Fatalf("the old-format file does not check: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, store.DefaultFileName)
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &storetest.LogRecorder{}
	db := mustOpen(t, dir, &store.Options{Logger: slog.New(rec)})
	s, err := NewScheduler(db, testDirectory(t), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	got := dbContents(t, db)
	if len(got) != len(f.final) {
		t.Fatalf("%d keys after the conversion, want %d", len(got), len(f.final))
	}
	for k, v := range f.final {
		if got[k] != v {
			t.Fatalf("key %q = %q after the conversion, want %q", k, got[k], v)
		}
	}
	for k, sp := range f.spans {
		if ps, _ := s.index.busy("room-1@rooms.test", time.Unix(sp[0], 0), time.Unix(sp[1], 0), ""); len(ps) != 1 || ps[0].UID != k[len(eventKeyPrefix):] {
			t.Fatalf("booking %s is not busy after the conversion: %v", k, ps)
		}
	}
	if _, ok := rec.Find(slog.LevelInfo, "store: converted the data file to checksummed records; the old file is kept"); !ok {
		t.Error("the conversion was not logged")
	}
	if kept, err := os.ReadFile(path + store.PreChecksumSuffix); err != nil || !bytes.Equal(kept, old) {
		t.Errorf("the old file was not kept as it was: %v", err)
	}
	db.Close()
	converted, _ := os.ReadFile(path)
	if rep, err := store.CheckData(dir, nil); err != nil || !rep.Checksummed || !rep.OK() {
		t.Fatalf("the converted file is not a clean checksummed file: %+v %v", rep, err)
	}
	fi1, _ := os.Stat(path)

	// A second start converts nothing and writes nothing.
	rec = &storetest.LogRecorder{}
	db = mustOpen(t, dir, &store.Options{Logger: slog.New(rec)})
	if _, ok := rec.Find(slog.LevelInfo, "store: converted the data file to checksummed records; the old file is kept"); ok {
		t.Error("a second start converted again")
	}
	if st := db.Stats(); st.BytesWritten != 0 {
		t.Errorf("a second start wrote %d bytes", st.BytesWritten)
	}
	db.Close()
	after, _ := os.ReadFile(path)
	fi2, _ := os.Stat(path)
	if !bytes.Equal(after, converted) || !fi2.ModTime().Equal(fi1.ModTime()) {
		t.Error("a second start changed the data file")
	}
}

package store

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cipmini/cipmini/store/storetest"
)

// TestReserveKeepsTheFileSize shows the reserve at work: the first commit
// writes zeros ahead of the data, commits then overwrite them without
// growing the file until little is left and it is renewed, and Close cuts
// it, leaving a file that ends with its last commit.
func TestReserveKeepsTheFileSize(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, &Options{DisableAutoCompact: true})
	mustSet(t, db, "k0", "v")
	size, end := dataEnd(t, db.path)
	if end != db.Stats().FileSize || size != end+ReserveBytes {
		t.Fatalf("after the first commit: %d bytes of data, %d in all", end, size)
	}
	value := strings.Repeat("x", 1000)
	grew := 0
	for i := 1; i < 600; i++ {
		mustSet(t, db, fmt.Sprint("k", i), value)
		now, end := dataEnd(t, db.path)
		switch {
		case end != db.Stats().FileSize:
			t.Fatalf("commit %d: %d bytes of data, counted %d", i, end, db.Stats().FileSize)
		case now != size:
			// Renewed: ReserveBytes past the data, once less than
			// reserveLow was left.
			if size-end >= reserveLow || now != end+ReserveBytes {
				t.Fatalf("commit %d: the file grew from %d to %d with %d bytes of data", i, size, now, end)
			}
			size = now
			grew++
		}
	}
	if grew < 2 {
		t.Fatalf("the reserve was renewed %d times over 600 KB", grew)
	}
	want := dbContents(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(db.path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != db.Stats().FileSize || !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("closed: %d bytes ending %q, counted %d", len(b), b[len(b)-4:], db.Stats().FileSize)
	}
	var logged bytes.Buffer
	db = mustOpen(t, dir, &Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	defer db.Close()
	if got := dbContents(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("contents changed across Close and Open")
	}
	if strings.Contains(logged.String(), "cut") {
		t.Fatalf("a clean reopen logged %s", logged.String())
	}
}

// TestReserveLeftByCrashIsCut shows that the zeros a stop without Close
// leaves after the data (a copy of the open DB's file stands for a crash)
// are no damage: Open cuts them with an informational record, CheckFile
// reports them as ReservedBytes, and zeros after an incomplete commit are
// cut with it, as before.
func TestReserveLeftByCrashIsCut(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	mustSet(t, db, "a", "1")
	mustSet(t, db, "b", "2")
	crashed, err := os.ReadFile(db.path)
	if err != nil {
		t.Fatal(err)
	}
	end := db.Stats().FileSize
	if zeros := int64(zeroTail(crashed)); zeros == 0 || int64(len(crashed))-zeros != end {
		t.Fatalf("the open file: %d bytes, %d of them zeros, %d of data counted", len(crashed), zeros, end)
	}

	copyDir := func(b []byte) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, DefaultFileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dir := copyDir(crashed)
	drep, err := CheckData(dir, nil)
	if err != nil || !drep.OK() || drep.Reserved != int64(len(crashed))-end || drep.Keys != 2 {
		t.Fatalf("CheckData: %+v, %v", drep, err)
	}
	rep, err := CheckFile(filepath.Join(dir, DefaultFileName))
	if err != nil || rep.ReservedBytes != int64(len(crashed))-end || rep.DroppedBytes != 0 || rep.Valid != end || rep.Keys != 2 {
		t.Fatalf("CheckFile: %+v, %v", rep, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, DefaultFileName)); fi.Size() != end {
		t.Fatalf("CheckFile left %d bytes, want %d", fi.Size(), end)
	}

	rec := &storetest.LogRecorder{}
	reopened := mustOpen(t, copyDir(crashed), &Options{Logger: slog.New(rec)})
	got := dbContents(t, reopened)
	reopened.Close()
	if got["a"] != "1" || got["b"] != "2" || len(got) != 2 {
		t.Fatalf("contents after the crash: %v", got)
	}
	attrs, ok := rec.Find(slog.LevelInfo, "store: cut the space reserved ahead of the data, which a stop without closing left")
	if !ok || attrs["zero_bytes"].Int64() != int64(len(crashed))-end || attrs["offset"].Int64() != end {
		t.Fatalf("informational record %v (logged %v)", attrs, ok)
	}
	if _, warned := rec.Find(slog.LevelWarn, "store: cut an incomplete commit off the end of the data file"); warned {
		t.Fatal("the reserve was reported as an incomplete commit")
	}

	// A commit cut short, then zeros: the zeros go with it.
	torn := concat(crashed[:end], []byte("*3\r\n$3\r\nset\r\n$1\r\nc\r\n$90\r\nabc"), make([]byte, 1000))
	rec = &storetest.LogRecorder{}
	reopened = mustOpen(t, copyDir(torn), &Options{Logger: slog.New(rec)})
	got = dbContents(t, reopened)
	reopened.Close()
	if len(got) != 2 {
		t.Fatalf("contents after a torn commit: %v", got)
	}
	attrs, ok = rec.Find(slog.LevelWarn, "store: cut an incomplete commit off the end of the data file")
	if !ok || attrs["offset"].Int64() != end || attrs["dropped_bytes"].Int64() != int64(len(torn))-end {
		t.Fatalf("warning %v (logged %v)", attrs, ok)
	}
}

// concat concatenates byte slices into a new one.
func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestReserveThatFailsIsNotRetriedAtEveryCommit shows that when the file
// system refuses the reserve (here a file size limit, as a full card
// would), commits go on, the failure is logged once rather than at every
// commit, and Close still leaves a file that ends with its last commit.
func TestReserveThatFailsIsNotRetriedAtEveryCommit(t *testing.T) {
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Skip("no file size limit here:", err)
	}
	dir := t.TempDir()
	var logged bytes.Buffer
	db := mustOpen(t, dir, &Options{DisableAutoCompact: true, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	limit := syscall.Rlimit{Cur: 100 << 10, Max: was.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skip("cannot set a file size limit:", err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer restore()
	for i := 0; i < 40; i++ {
		mustSet(t, db, fmt.Sprint("k", i), strings.Repeat("x", 1000))
	}
	restore()
	if n := strings.Count(logged.String(), "could not reserve space ahead of the data"); n != 1 {
		t.Fatalf("the failed reserve was logged %d times:\n%s", n, logged.String())
	}
	want := dbContents(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if size, end := dataEnd(t, db.path); size != end || end != db.Stats().FileSize {
		t.Fatalf("closed: %d bytes, %d of data, counted %d", size, end, db.Stats().FileSize)
	}
	db = mustOpen(t, dir, nil)
	defer db.Close()
	if got := dbContents(t, db); fmt.Sprint(got) != fmt.Sprint(want) || len(got) != 40 {
		t.Fatalf("after reopening: %d keys, want 40", len(got))
	}
}

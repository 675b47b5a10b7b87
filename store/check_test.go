package store

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/cipmini/cipmini/store/storetest"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// threeRecords is a file of three records without commit markers, as plain
// buntdb writes it, and the offsets where each record starts and ends.
func threeRecords() ([]byte, []int64) {
	r1 := rawRecord("set", "alpha", "first value")
	r2 := rawRecord("set", "bravo", "second value")
	r3 := rawRecord("set", "charlie", "third value")
	data := joinRecords(r1, r2, r3)
	return data, []int64{0, int64(len(r1)), int64(len(r1) + len(r2)), int64(len(data))}
}

func corruptAt(t *testing.T, err error, path string, offset int64, reason string) {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a *CorruptError", err)
	}
	if ce.Path != path || ce.Offset != offset || ce.Reason != reason {
		t.Fatalf("CorruptError = {%q %d %q}, want {%q %d %q}", ce.Path, ce.Offset, ce.Reason, path, offset, reason)
	}
	want := fmt.Sprintf("store: %s: corrupt record at offset %d: %s", path, offset, reason)
	if err.Error() != want {
		t.Fatalf("error text = %q, want %q", err.Error(), want)
	}
}

func TestCheckEmptyFile(t *testing.T) {
	path := writeTempFile(t, "empty.db", nil)
	rep, err := CheckFile(path)
	if err != nil || rep != (Report{}) {
		t.Fatalf("CheckFile(empty) = %+v, %v", rep, err)
	}
}

func TestCheckCleanFile(t *testing.T) {
	data, _ := threeRecords()
	path := writeTempFile(t, "clean.db", data)
	rep, err := CheckFile(path)
	want := Report{Size: int64(len(data)), Valid: int64(len(data)), Records: 3, Commits: 3, Keys: 3}
	if err != nil || rep != want {
		t.Fatalf("CheckFile = %+v, %v; want %+v", rep, err, want)
	}
}

func TestCheckTruncatedTailIsCut(t *testing.T) {
	data, ends := threeRecords()
	cut := ends[2] + 9 // inside the third record
	path := writeTempFile(t, "torn.db", data[:cut])
	rec := &storetest.LogRecorder{}
	rep, _, err := checkFile(path, true, slog.New(rec), false)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Size: cut, Valid: ends[2], Records: 2, Commits: 2, Keys: 2, DroppedBytes: 9}
	if rep != want {
		t.Fatalf("report = %+v, want %+v", rep, want)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != ends[2] {
		t.Fatalf("file size after repair = %v (%v), want %d", fi.Size(), err, ends[2])
	}
	attrs, ok := rec.Find(slog.LevelWarn, "store: cut an incomplete commit off the end of the data file")
	if !ok {
		t.Fatal("no warning logged")
	}
	if attrs["file"].String() != path || attrs["offset"].Int64() != ends[2] || attrs["dropped_bytes"].Int64() != 9 {
		t.Fatalf("warning attributes = %v", attrs)
	}
	// A second check finds the file clean.
	if rep, err := CheckFile(path); err != nil || rep.DroppedBytes != 0 || rep.Records != 2 {
		t.Fatalf("second check = %+v, %v", rep, err)
	}
}

// TestCheckEveryCutOfThreeRecords cuts a three-record file at every byte
// offset: each cut must recover exactly the records complete before it.
func TestCheckEveryCutOfThreeRecords(t *testing.T) {
	data, ends := threeRecords()
	keys := []string{"alpha", "bravo", "charlie"}
	for cut := int64(0); cut <= int64(len(data)); cut++ {
		path := writeTempFile(t, "cut.db", data[:cut])
		rep, rawKeys, err := checkFile(path, true, quietLog, false)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		complete := 0
		for complete < 3 && ends[complete+1] <= cut {
			complete++
		}
		want := Report{Size: cut, Valid: ends[complete], Records: complete, Commits: complete,
			Keys: complete, DroppedBytes: cut - ends[complete]}
		if rep != want || rawKeys != complete {
			t.Fatalf("cut %d: report %+v (raw %d), want %+v", cut, rep, rawKeys, want)
		}
		got := buntKeys(t, path)
		if len(got) != complete {
			t.Fatalf("cut %d: buntdb holds %v, want %v", cut, got, keys[:complete])
		}
		for _, k := range keys[:complete] {
			if _, ok := got[k]; !ok {
				t.Fatalf("cut %d: key %s lost", cut, k)
			}
		}
	}
}

// TestCheckEveryCutOfMarkedFile does the same for a file written by a DB:
// a commit is kept whole or dropped whole.
func TestCheckEveryCutOfMarkedFile(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	bounds := []int64{db.Stats().FileSize} // end of the header commit
	commits := [][]string{{"a1", "a2"}, {"b1", "b2", "b3"}, {"c1"}}
	for _, keys := range commits {
		err := db.Update(func(tx *Tx) error {
			for _, k := range keys {
				if err := tx.Set(k, "value of "+k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		bounds = append(bounds, db.Stats().FileSize)
	}
	db.Close()
	data, err := os.ReadFile(filepath.Join(dir, DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != bounds[3] {
		t.Fatalf("file is %d bytes, the DB reported %d", len(data), bounds[3])
	}
	for cut := int64(0); cut <= int64(len(data)); cut++ {
		cdir := t.TempDir()
		path := filepath.Join(cdir, DefaultFileName)
		if err := os.WriteFile(path, data[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := CheckFile(path)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		n := -1 // commits complete before the cut, header excluded
		for n+1 < len(bounds) && bounds[n+1] <= cut {
			n++
		}
		var valid int64
		var want []string
		if n >= 0 {
			valid = bounds[n]
			for _, keys := range commits[:n] {
				want = append(want, keys...)
			}
		}
		if rep.Valid != valid || rep.Keys != len(want) || rep.DroppedBytes != cut-valid {
			t.Fatalf("cut %d: report %+v, want valid %d with keys %v", cut, rep, valid, want)
		}
		db := mustOpen(t, cdir, nil)
		got := dbContents(t, db)
		db.Close()
		if len(got) != len(want) {
			t.Fatalf("cut %d: reopened DB holds %v, want %v", cut, got, want)
		}
		for _, k := range want {
			if got[k] != "value of "+k {
				t.Fatalf("cut %d: key %s = %q", cut, k, got[k])
			}
		}
	}
}

func TestCheckCorruptFiles(t *testing.T) {
	data, ends := threeRecords()
	r1 := rawRecord("set", "alpha", "first value")
	r3 := rawRecord("set", "charlie", "third value")
	padTo := func(b []byte, n int) []byte { return append(b, bytes.Repeat([]byte("x"), n-len(b))...) }
	tests := []struct {
		name   string
		data   []byte
		offset int64
		reason string
	}{
		{"64-bit length on a 100-byte file",
			padTo([]byte("*3\r\n$3\r\nset\r\n$18446744073709551615\r\n"), 100), 0,
			"element 2 (key): length 18446744073709551615 at byte 13 exceeds the limit of 65536"},
		{"length beyond 64 bits",
			padTo([]byte("*3\r\n$3\r\nset\r\n$99999999999999999999\r\n"), 100), 0,
			"element 2 (key): length 99999999999999999999 at byte 13 exceeds the limit of 65536"},
		{"huge value length in the middle",
			joinRecords(r1, []byte("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$99999999999\r\nv\r\n"), r3), ends[1],
			fmt.Sprintf("element 3 (value): length 99999999999 at byte %d exceeds the limit of %d", ends[1]+20, MaxValueSize+envelopeLen)},
		{"length running past the end with records after it",
			joinRecords(r1, []byte("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$9999\r\nshort\r\n"), r3), ends[1],
			fmt.Sprintf("a length field claims bytes beyond the end of the file, but a complete record follows at byte %d", ends[1]+34)},
		{"all-zero 4 KiB file", make([]byte, 4096), 0,
			"zero byte where a record should start (all 4096 bytes from there to the end of the file are zero)"},
		{"zero-prefixed file", append(make([]byte, 3), data...), 0,
			"zero byte where a record should start (3 zero bytes)"},
		{"flipped '$' in the middle record",
			func() []byte { d := slices.Clone(data); d[ends[1]+13] ^= 1; return d }(), ends[1],
			fmt.Sprintf("element 2 (key): expected \"$\" at byte %d, found \"%%\"", ends[1]+13)},
		{"unknown command", joinRecords(r1, rawRecord("get", "alpha"), r3), ends[1], `unknown command "get"`},
		{"empty command", rawRecord(""), 0, `unknown command ""`},
		{"wrong arity", rawRecord("del", "a", "b"), 0, "del record with 3 elements"},
		{"four elements", rawRecord("set", "a", "b", "c"), 0, "record has 4 elements; records have 1, 2, 3 or 5"},
		{"bare LF", []byte("*2\n$3\r\ndel\r\n$1\r\na\r\n"), 0, `record header: expected CR at byte 2, found "\n"`},
		{"missing CRLF after a value", []byte("*2\r\n$3\r\ndel\r\n$1\r\nab\r\n"), 0,
			"element 2 (key): 1 bytes at byte 17 are not followed by CRLF"},
		{"leading zero", []byte("*2\r\n$03\r\ndel\r\n$1\r\na\r\n"), 0,
			`element 1 (command): length field "03" at byte 4 has a leading zero`},
		{"partial unknown command at the end", joinRecords(r1, []byte("*2\r\n$3\r\nxy")), ends[1],
			`command "xy" cannot be completed to a command taking 2 elements`},
		{"bad expire argument", rawRecord("set", "k", "v", "zz", "1"), 0, `expire argument "zz" is neither ex nor ae`},
		{"signed expire time", rawRecord("set", "k", "v", "ae", "-1"), 0, `expire time "-1" is not an unsigned decimal number`},
		{"expire time out of range", rawRecord("set", "k", "v", "ae", "9999999999999999999"), 0,
			`expire time "9999999999999999999" is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTempFile(t, "bad.db", tt.data)
			_, err := CheckFile(path)
			corruptAt(t, err, path, tt.offset, tt.reason)
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, tt.data) {
				t.Fatal("CheckFile changed a corrupt file")
			}
			// Open refuses it with the same error.
			dir := filepath.Dir(path)
			if err := os.Rename(path, filepath.Join(dir, DefaultFileName)); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, &Options{Logger: quietLog})
			if err == nil {
				db.Close()
				t.Fatal("Open accepted a corrupt file")
			}
			corruptAt(t, err, filepath.Join(dir, DefaultFileName), tt.offset, tt.reason)
		})
	}
}

// TestCheckFlippedByteInMiddleRecord flips each byte of the middle record:
// a flip in the framing or the command is reported at that record's offset;
// a flip inside the key or value is data, and the file stays valid.
func TestCheckFlippedByteInMiddleRecord(t *testing.T) {
	data, ends := threeRecords()
	key := int64(bytes.Index(data[ends[1]:], []byte("bravo"))) + ends[1]
	val := int64(bytes.Index(data[ends[1]:], []byte("second value"))) + ends[1]
	for pos := ends[1]; pos < ends[2]; pos++ {
		d := slices.Clone(data)
		d[pos] ^= 1
		path := writeTempFile(t, "flip.db", d)
		rep, err := CheckFile(path)
		payload := (pos >= key && pos < key+5) || (pos >= val && pos < val+12)
		if payload {
			if err != nil || rep.Records != 3 || rep.DroppedBytes != 0 {
				t.Fatalf("flip at %d (data): %+v, %v", pos, rep, err)
			}
			continue
		}
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Offset != ends[1] {
			t.Fatalf("flip at %d (framing): %+v, %v; want corruption at offset %d", pos, rep, err, ends[1])
		}
	}
}

func TestCheckCommitMarkers(t *testing.T) {
	header := rawRecord("set", commitKey, "1")
	h := int64(len(header))
	a := rawRecord("set", "a", "1")
	b := rawRecord("set", "b", "2")
	t.Run("valid", func(t *testing.T) {
		data := joinRecords(header, a, rawRecord("set", commitKey, "3"), b, rawRecord("del", "a"), rawRecord("set", commitKey, "2"))
		rep, err := CheckFile(writeTempFile(t, "m.db", data))
		want := Report{Size: int64(len(data)), Valid: int64(len(data)), Records: 6, Commits: 3, Keys: 1, Marked: true}
		if err != nil || rep != want {
			t.Fatalf("CheckFile = %+v, %v; want %+v", rep, err, want)
		}
	})
	t.Run("incomplete last commit", func(t *testing.T) {
		data := joinRecords(header, a, rawRecord("set", commitKey, "2"), b)
		rep, err := CheckFile(writeTempFile(t, "m.db", data))
		valid := int64(len(data) - len(b))
		want := Report{Size: int64(len(data)), Valid: valid, Records: 3, Commits: 2, Keys: 1, Marked: true,
			DroppedBytes: int64(len(b)), DroppedRecords: 1}
		if err != nil || rep != want {
			t.Fatalf("CheckFile = %+v, %v; want %+v", rep, err, want)
		}
	})
	bad := []struct {
		name   string
		data   []byte
		offset int64
		reason string
	}{
		{"second marker", joinRecords(header, rawRecord("set", commitKey, "3"), rawRecord("set", commitKey, "3")), 2 * h,
			fmt.Sprintf("a second commit marker in the commit that starts at byte %d", h)},
		{"count below position", joinRecords(header, a, b, rawRecord("set", commitKey, "2")), h + 2*int64(len(a)),
			fmt.Sprintf("commit marker counts 2 records but is record 3 of the commit that starts at byte %d", h)},
		{"not a count", joinRecords(header, a, rawRecord("set", commitKey, "x")), h + int64(len(a)),
			`commit marker holds "x", not a record count`},
		{"zero count", joinRecords(header, rawRecord("set", commitKey, "0")), h, `commit marker holds "0", not a record count`},
		{"deleted marker", joinRecords(header, rawRecord("del", commitKey)), h, "a commit marker record that is not a plain set"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTempFile(t, "m.db", tt.data)
			_, err := CheckFile(path)
			corruptAt(t, err, path, tt.offset, tt.reason)
		})
	}
}

func TestCheckReplaysLikeBuntdb(t *testing.T) {
	data := joinRecords(
		rawRecord("set", "a", "1"),
		rawRecord("set", "b", "2"),
		rawRecord("flushdb"),
		rawRecord("set", "c", "3"),
		rawRecord("SET", "d", "4"),
		rawRecord("del", "d"),
		rawRecord("set", "c", "expired", "ae", "1"), // 1970: not loaded, c keeps "3"
		rawRecord("set", "e", "far future", "ae", "4102444800"),
		rawRecord("set", "f", "ten seconds", "ex", "10"),
		rawRecord("set", "", "empty key"),
	)
	path := writeTempFile(t, "replay.db", data)
	rep, rawKeys, err := checkFile(path, true, quietLog, false)
	if err != nil {
		t.Fatal(err)
	}
	got := buntKeys(t, path)
	if rep.Keys != 4 || rawKeys != len(got) || got["c"] != "3" {
		t.Fatalf("report %+v (raw %d), buntdb holds %v", rep, rawKeys, got)
	}
}

func TestCheckRepairRespectsLock(t *testing.T) {
	data, ends := threeRecords()
	path := writeTempFile(t, "cipmini.db", data[:ends[2]+3])
	lock, err := lockDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckFile(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("CheckFile of a torn file in a locked directory = %v, want ErrLocked", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != ends[2]+3 {
		t.Fatal("the file was cut while locked")
	}
	lock.release()
	if rep, err := CheckFile(path); err != nil || rep.Valid != ends[2] {
		t.Fatalf("CheckFile after unlock = %+v, %v", rep, err)
	}
	// A clean file is only read, and needs no lock.
	lock, err = lockDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	if _, err := CheckFile(path); err != nil {
		t.Fatalf("CheckFile of a clean file in a locked directory: %v", err)
	}
}

func TestCheckNotAFile(t *testing.T) {
	if _, err := CheckFile(t.TempDir()); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
		t.Fatalf("CheckFile(directory) = %v", err)
	}
	if _, err := CheckFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("CheckFile(missing) = %v", err)
	}
}

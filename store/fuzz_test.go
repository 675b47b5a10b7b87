package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tidwall/buntdb"
)

// fuzzSeeds are valid, torn and corrupt files.
func fuzzSeeds() [][]byte {
	three, ends := threeRecords()
	header := rawRecord("set", commitKey, "1")
	marked := joinRecords(header,
		rawRecord("set", "a", "1"), rawRecord("set", "b", "2"), rawRecord("set", commitKey, "3"),
		rawRecord("del", "a"), rawRecord("set", commitKey, "2"))
	var snap bytes.Buffer
	writeSnapshot(&snap, []snapshotItem{{key: "k1", value: "v1"}, {key: "k2", value: "v2"}})
	seeds := [][]byte{
		nil,
		three,
		three[:ends[2]+7],
		three[:ends[1]+20],
		marked,
		marked[:len(marked)-5],
		snap.Bytes(),
		make([]byte, 4096),
		append(make([]byte, 2), three...),
		joinRecords(rawRecord("set", "a", "1"), rawRecord("flushdb"), rawRecord("set", "b", "2", "ae", "1"), rawRecord("set", "c", "3", "ex", "100")),
		joinRecords(rawRecord("set", "a", "1"), []byte("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$9999\r\nshort\r\n"), rawRecord("del", "a")),
		[]byte("*3\r\n$3\r\nset\r\n$18446744073709551615\r\n"),
		rawRecord(""),
	}
	return seeds
}

// FuzzCheckFile checks arbitrary files: CheckFile never panics, hangs or
// allocates much more than the file's size; whatever it accepts, buntdb
// opens with exactly the keys it counted.
func FuzzCheckFile(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), DefaultFileName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		rep, rawKeys, err := checkFile(path, true, quietLog, false)
		runtime.ReadMemStats(&m1)
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16*uint64(len(data))+1<<20 {
			t.Fatalf("checking %d bytes allocated %d bytes", len(data), alloc)
		}
		after, _ := os.ReadFile(path)
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CorruptError", err)
			}
			if ce.Offset < 0 || ce.Offset >= int64(len(data)) {
				t.Fatalf("corruption at offset %d of a %d-byte file", ce.Offset, len(data))
			}
			if !bytes.Equal(after, data) {
				t.Fatal("a corrupt file was modified")
			}
			return
		}
		if rep.Size != int64(len(data)) || rep.Valid+rep.DroppedBytes != rep.Size ||
			!bytes.Equal(after, data[:rep.Valid]) {
			t.Fatalf("report %+v does not match the file (%d bytes left)", rep, len(after))
		}
		// The repaired file checks clean.
		rep2, raw2, err := checkFile(path, false, quietLog, false)
		if err != nil || rep2.DroppedBytes != 0 || raw2 != rawKeys || rep2.Records != rep.Records {
			t.Fatalf("second check: %+v (%d keys), %v; first %+v (%d keys)", rep2, raw2, err, rep, rawKeys)
		}
		b, err := buntdb.Open(path)
		if err != nil {
			t.Fatalf("buntdb.Open of a file that checked clean: %v", err)
		}
		defer b.Close()
		var n int
		b.View(func(tx *buntdb.Tx) error { n, _ = tx.Len(); return nil })
		if n != rawKeys {
			t.Fatalf("buntdb loaded %d keys, the checker counted %d", n, rawKeys)
		}
	})
}

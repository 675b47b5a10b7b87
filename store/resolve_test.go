package store

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fileRecords parses every record of a checksummed data file.
func fileRecords(t *testing.T, b []byte) []aofRecord {
	t.Helper()
	rp := &recordParser{p: bytesPeeker(b), keepKeys: true}
	var recs []aofRecord
	for off := int64(0); off < int64(len(b)); {
		res, err := rp.parse(off)
		if err != nil || res.status != parsedOK {
			t.Fatalf("record at %d: %v %+v", off, err, res)
		}
		recs = append(recs, res.rec)
		off = res.rec.end
	}
	return recs
}

// markerAt returns the index in recs of the n-th commit marker (from 0).
func markerAt(t *testing.T, recs []aofRecord, n int) aofRecord {
	t.Helper()
	for _, r := range recs {
		if r.key == commitKey {
			if n == 0 {
				return r
			}
			n--
		}
	}
	t.Fatalf("no marker %d", n)
	return aofRecord{}
}

// openBytes opens data as a data file and returns its contents and
// quarantine.
func openBytes(t *testing.T, data []byte) (map[string]string, []QuarantinedRecord) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DefaultFileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, dir, nil)
	defer db.Close()
	return dbContents(t, db), db.Quarantined()
}

// After a commit marker with a changed checksum byte in the middle of the
// file, a torn last commit is still cut whole, whatever order its records
// and those of the commits before were written in.
func TestTornCommitAfterDamagedMarker(t *testing.T) {
	for run := 0; run < 8; run++ {
		dir := t.TempDir()
		db := mustOpen(t, dir, nil)
		mustSet(t, db, "a", "value a")
		mustSet(t, db, "b", "value b")
		mustSet(t, db, "c", "value c", "d", "value d", "e", "value e", "f", "value f")
		db.Close()
		b, err := os.ReadFile(filepath.Join(dir, DefaultFileName))
		if err != nil {
			t.Fatal(err)
		}
		recs := fileRecords(t, b)
		ma := markerAt(t, recs, 1) // commit "a"
		b[ma.valueOff+envelopeLen-1] ^= 0x41
		last := recs[len(recs)-5:]
		for cutAfter := 0; cutAfter < 4; cutAfter++ {
			data := b[:last[cutAfter].end+5]
			got, q := openBytes(t, data)
			if len(got) != 2 || got["a"] != "value a" || got["b"] != "value b" {
				t.Fatalf("run %d, cut after record %d of the last commit: %q, want a and b only", run, cutAfter+1, got)
			}
			if len(q) != 1 || q[0].Key != commitKey {
				t.Fatalf("run %d: quarantine %+v, want the damaged marker", run, q)
			}
		}
		// The whole file: every commit is served.
		if got, _ := openBytes(t, b); len(got) != 6 {
			t.Fatalf("run %d: the whole file gives %q", run, got)
		}
	}
}

// After a damaged marker in the middle of the file, a later commit's del
// record whose key was changed is still found by its commit's digest: the
// deleted key is not served again.
func TestDeleteCheckedAfterDamagedMarker(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	mustSet(t, db, "a", "value a")
	mustSet(t, db, "k", "value k")
	if err := db.Update(func(tx *Tx) error { return tx.Delete("k") }); err != nil {
		t.Fatal(err)
	}
	mustSet(t, db, "z", "value z")
	db.Close()
	b, err := os.ReadFile(filepath.Join(dir, DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	recs := fileRecords(t, b)
	ma := markerAt(t, recs, 1)
	b[ma.valueOff+envelopeLen-1] ^= 0x41
	for _, r := range recs {
		if r.kind == kindDel && r.key == "k" {
			b[r.end-3] = 'q' // del "k" becomes del "q"
		}
	}
	got, q := openBytes(t, b)
	if _, ok := got["k"]; ok {
		t.Fatalf("the deleted key is served again: %q", got)
	}
	if got["a"] != "value a" || got["z"] != "value z" {
		t.Fatalf("contents %q", got)
	}
	if len(q) != 2 {
		t.Fatalf("quarantine %+v, want the marker and the del record", q)
	}
}

// A changed length field that makes a record read longer, swallowing the
// header of the next record, damages only that record: the next one is
// read from where it starts, and the record itself is proven by its
// checksum with its length put back, so nothing is lost.
func TestLengthFieldSwallowingNextRecord(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	// One commit of three records with keys of 23 bytes and values of 26
	// (30 stored): the key length "$23" read as "$73" ends right after the
	// next record's "set", and its value is the next record's key.
	if err := db.Update(func(tx *Tx) error {
		for _, k := range []string{"key-aaaaaaaaaaaaaaaaaa1", "key-bbbbbbbbbbbbbbbbbb2", "key-cccccccccccccccccc3"} {
			if err := tx.Set(k, "value-"+strings.Repeat(k[4:5], 20)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := dbContents(t, db)
	db.Close()
	file, err := os.ReadFile(filepath.Join(dir, DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	swallowing := 0
	for k := range want {
		at := bytes.Index(file, []byte("$23\r\n"+k))
		start := at - len("*3\r\n$3\r\nset\r\n")
		if at < 0 || start < 0 {
			t.Fatalf("record of %s not found", k)
		}
		for _, d := range []byte("3456789") {
			damaged := append([]byte(nil), file...)
			damaged[at+1] = d // the '2' of "$23"
			rp := &recordParser{p: bytesPeeker(damaged), keepKeys: true}
			res, err := rp.parse(int64(start))
			if err != nil || res.status != parsedOK {
				continue // not read as one longer record: another case
			}
			swallowing++
			got, q := openBytes(t, damaged)
			if !maps.Equal(got, want) {
				t.Errorf("key %s, length $%c3: served %v, want %v", k, d, got, want)
			}
			if len(q) != 1 || !q[0].Recovered || q[0].Key != k {
				t.Errorf("key %s, length $%c3: quarantine %+v, want the record recovered", k, d, q)
			}
		}
	}
	if swallowing == 0 {
		t.Fatal("no changed length read as a longer record: the test tests nothing")
	}
}

// A changed digit of a commit marker's record count, or a changed byte of
// its checksum, in the first of three commits: the marker fails its
// checksum, the commits that follow are grouped again, and every record of
// every commit is served with its last value, whatever order the commits'
// records were written in. The count under the failed checksum is a hint:
// a digit of it may be the damage, and taking it would cut the last commit
// as torn.
func TestDamagedMarkerCount(t *testing.T) {
	for run := 0; run < 8; run++ {
		dir := t.TempDir()
		db := mustOpen(t, dir, nil)
		for c := 1; c <= 3; c++ {
			if err := db.Update(func(tx *Tx) error {
				for i := 0; i < 6; i++ {
					if err := tx.Set(fmt.Sprintf("c%d-k%d", c, i), "v"); err != nil {
						return err
					}
				}
				if c == 2 {
					if err := tx.Delete("c1-k5"); err != nil {
						return err
					}
				}
				return tx.Set("count", fmt.Sprintf("%d 532", c))
			}); err != nil {
				t.Fatal(err)
			}
		}
		want := dbContents(t, db)
		db.Close()
		file, err := os.ReadFile(filepath.Join(dir, DefaultFileName))
		if err != nil {
			t.Fatal(err)
		}
		// The file's first marker is its format's; the second is the
		// first commit's: 4 checksum bytes, then "8:00000000".
		value := int(markerAt(t, fileRecords(t, file), 1).valueOff)
		if file[value+envelopeLen] != '8' {
			t.Fatalf("no first commit marker of 8 records: %q", file)
		}
		var changes [][2]int // offset, new byte
		for d := byte('0'); d <= '9'; d++ {
			if d != '8' {
				changes = append(changes, [2]int{value + envelopeLen, int(d)})
			}
		}
		for i := 0; i < envelopeLen; i++ {
			changes = append(changes, [2]int{value + i, int(file[value+i] ^ 0x41)})
		}
		for _, c := range changes {
			damaged := append([]byte(nil), file...)
			damaged[c[0]] = byte(c[1])
			got, q := openBytes(t, damaged)
			if !maps.Equal(got, want) {
				t.Fatalf("run %d, byte %d changed to %q: served %v, want %v (quarantined %+v)", run, c[0], rune(c[1]), got, want, q)
			}
		}
	}
}

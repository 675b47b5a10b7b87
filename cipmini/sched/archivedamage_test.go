package sched

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func archObj(uid string) string {
	return event(uid, 1, stamp1, "20270101T100000Z", "20270101T110000Z", "alice@rooms.test", "room-1@rooms.test")
}

// One damaged byte inside an archive file loses at most the batch it is
// in: the next append moves the file aside whole instead of cutting
// everything after the damage off, and FindArchived reads past the bad
// batch, in the file moved aside too.
func TestArchiveDamageInTheMiddleKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	for _, uid := range []string{"a@x", "b@x", "c@x"} {
		if err := appendArchive(dir, 2027, []string{archObj(uid)}, nil, quietLog); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, ArchiveDirName, "2027.ics.gz")
	before, _ := os.ReadFile(path)
	damaged := bytes.Clone(before)
	damaged[30] ^= 0xff
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, uid := range []string{"b@x", "c@x"} {
		if got, err := FindArchived(dir, uid); err != nil || len(got) != 1 {
			t.Fatalf("%s past the damaged batch: %d found, %v", uid, len(got), err)
		}
	}
	asideBefore := ArchivesSetAside()
	if err := appendArchive(dir, 2027, []string{archObj("d@x")}, nil, quietLog); err != nil {
		t.Fatal(err)
	}
	if ArchivesSetAside() != asideBefore+1 {
		t.Fatalf("not counted: %d", ArchivesSetAside())
	}
	ents, _ := os.ReadDir(filepath.Join(dir, ArchiveDirName))
	var aside string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "2027.ics.gz.damaged-") {
			aside = e.Name()
		}
	}
	if kept, _ := os.ReadFile(filepath.Join(dir, ArchiveDirName, aside)); !bytes.Equal(kept, damaged) {
		t.Fatalf("the damaged file was not kept whole: %q, %d bytes of %d", aside, len(kept), len(damaged))
	}
	for _, uid := range []string{"b@x", "c@x", "d@x"} {
		got, err := FindArchived(dir, uid)
		if err != nil || len(got) != 1 {
			t.Fatalf("%s after the append: %d found, %v", uid, len(got), err)
		}
	}
	// Files sort by year, a year's damaged ones first.
	if got, _ := FindArchived(dir, "d@x"); got[0].File != "2027.ics.gz" {
		t.Fatalf("d@x in %s", got[0].File)
	}
	// A torn tail of the new file is still cut off, not moved aside.
	cur, _ := os.ReadFile(path)
	os.WriteFile(path, append(cur, gzipMagic...), 0o600)
	if err := appendArchive(dir, 2027, []string{archObj("e@x")}, nil, quietLog); err != nil || ArchivesSetAside() != asideBefore+1 {
		t.Fatalf("a torn tail: %v, %d set aside", err, ArchivesSetAside()-asideBefore)
	}
}

// A gzip bomb in the archive directory costs bounded memory and time: its
// member is read as damaged past maxArchiveMember, and the member after it
// is still found.
func TestArchiveGzipBombIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 64 MiB")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ArchiveDirName), 0o700)
	var b bytes.Buffer
	for _, fill := range []string{"\r\n", "x"} { // many lines, then one endless line
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		chunk := []byte(strings.Repeat(fill, 1<<20/len(fill)))
		for i := 0; i < maxArchiveMember>>20+1; i++ {
			zw.Write(chunk)
		}
		zw.Close()
	}
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("\r\n" + archObj("after@x")))
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, ArchiveDirName, "2026.ics.gz"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	got, err := FindArchived(dir, "after@x")
	runtime.ReadMemStats(&m1)
	if err != nil || len(got) != 1 {
		t.Fatalf("the batch after the bomb: %d found, %v", len(got), err)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 3*maxArchiveEntry+(4<<20) {
		t.Fatalf("reading the bomb allocated %d bytes", alloc)
	}
}

package sched

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzFindArchived reads arbitrary archive files, raw and gzip-compressed:
// never a panic, and an append after them (cutting a torn tail off or
// moving a damaged file aside) still leaves a readable archive.
func FuzzFindArchived(f *testing.F) {
	f.Add([]byte(event("a@x", 1, stamp1, "20270101T100000Z", "20270101T110000Z", "alice@rooms.test", "room-1@rooms.test")), true)
	f.Add([]byte("BEGIN:VCALENDAR\r\nUID:a@x\r\nEND:VCALENDAR\r\n"), false)
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n @x\r\n"), true)
	// Two batches, the first damaged in its deflate data.
	var two bytes.Buffer
	for _, uid := range []string{"a@x", "b@x"} {
		zw := gzip.NewWriter(&two)
		zw.Write([]byte("\r\n" + event(uid, 1, stamp1, "20270101T100000Z", "20270101T110000Z", "alice@rooms.test", "room-1@rooms.test")))
		zw.Close()
	}
	two.Bytes()[30] ^= 0xff
	f.Add(two.Bytes(), false)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, ArchiveDirName), 0o700); err != nil {
			t.Fatal(err)
		}
		content := data
		if compress {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			content = b.Bytes()
		}
		path := filepath.Join(dir, ArchiveDirName, "2027.ics.gz")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		FindArchived(dir, "a@x")
		obj := event("z@x", 1, stamp1, "20270101T100000Z", "20270101T110000Z", "alice@rooms.test", "room-1@rooms.test")
		if err := appendArchive(dir, 2027, []string{obj}, nil, quietLog); err != nil {
			t.Fatal(err)
		}
		if got, err := FindArchived(dir, "z@x"); err != nil || len(got) < 1 {
			t.Fatalf("after an append: %d found, %v", len(got), err)
		}
	})
}

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A backup copies the archive files moved aside as damaged too: the
// batches in them that still read are part of the archive.
func TestBackupArchiveCopiesDamagedFiles(t *testing.T) {
	from, to := t.TempDir(), filepath.Join(t.TempDir(), "archive")
	for _, name := range []string{"2027.ics.gz", "2027.ics.gz.damaged-1790000000", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(from, name), []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := copyArchive(from, to)
	if err != nil || n != 2 {
		t.Fatalf("copied %d, %v", n, err)
	}
	if b, err := os.ReadFile(filepath.Join(to, "2027.ics.gz.damaged-1790000000")); err != nil || string(b) != "2027.ics.gz.damaged-1790000000" {
		t.Fatalf("the damaged file: %q %v", b, err)
	}
}

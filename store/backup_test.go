package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupAndRestore(t *testing.T) {
	src := mustOpen(t, t.TempDir(), nil)
	for i := 0; i < 100; i++ {
		mustSet(t, src, fmt.Sprintf("k%03d", i), strings.Repeat("v", i))
	}
	var buf bytes.Buffer
	if err := src.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	want := dbContents(t, src)
	src.Close()

	dir := t.TempDir()
	old := mustOpen(t, dir, nil)
	mustSet(t, old, "old", "data")
	old.Close()
	if err := Restore(dir, bytes.NewReader(buf.Bytes()), &Options{Logger: quietLog}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, DefaultFileName+restoreSuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	db := mustOpen(t, dir, nil)
	defer db.Close()
	if got := dbContents(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("restored %d keys, want %d", len(got), len(want))
	}
}

func TestRestoreRefusesBadBackups(t *testing.T) {
	src := mustOpen(t, t.TempDir(), nil)
	mustSet(t, src, "a", "1", "b", "2")
	var buf bytes.Buffer
	src.Backup(&buf)
	src.Close()
	good := buf.Bytes()
	flipped := bytes.Clone(good)
	flipped[0] = '+'
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":     {nil, "store: restore: the backup is empty"},
		"truncated": {good[:len(good)-3], "store: restore: the backup is truncated: it ends inside the commit that starts at offset 0"},
		"corrupt":   {flipped, `store: backup: corrupt record at offset 0: record header: expected "*" at byte 0, found "+"`},
		"zeros":     {make([]byte, 100), "store: backup: corrupt record at offset 0: zero byte where a record should start (all 100 bytes from there to the end of the file are zero)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := mustOpen(t, dir, nil)
			mustSet(t, db, "keep", "me")
			db.Close()
			err := Restore(dir, bytes.NewReader(c.data), &Options{Logger: quietLog})
			if err == nil || err.Error() != c.want {
				t.Fatalf("Restore = %v, want %q", err, c.want)
			}
			if name == "corrupt" || name == "zeros" {
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Path != "backup" {
					t.Fatalf("error %v is not a CorruptError for the backup", err)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, DefaultFileName+restoreSuffix)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("temporary file left: %v", err)
			}
			db = mustOpen(t, dir, nil)
			defer db.Close()
			if got := dbContents(t, db); len(got) != 1 || got["keep"] != "me" {
				t.Fatalf("the database changed: %v", got)
			}
		})
	}
}

func TestBackupIsConsistentAndChecksClean(t *testing.T) {
	db := mustOpen(t, t.TempDir(), nil)
	defer db.Close()
	mustSet(t, db, "a", "1")
	var buf bytes.Buffer
	if err := db.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	mustSet(t, db, "b", "2") // after the snapshot: not in it
	path := writeTempFile(t, "backup.db", buf.Bytes())
	rep, err := CheckFile(path)
	if err != nil || !rep.Marked || rep.Commits != 1 || rep.Keys != 1 || rep.DroppedBytes != 0 {
		t.Fatalf("backup: %+v, %v", rep, err)
	}
}

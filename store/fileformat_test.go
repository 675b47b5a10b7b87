package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// compactedFile writes k1..k4, compacts and returns the data file: one
// commit, its marker at offset 0.
func compactedFile(t *testing.T) []byte {
	dir := t.TempDir()
	db := mustOpen(t, dir, nil)
	for _, k := range []string{"k1", "k2", "k3", "k4"} {
		mustSet(t, db, k, "value of "+k)
	}
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "*3\r\n$3\r\nset\r\n$13\r\n"+commitKey) {
		t.Fatalf("the compacted file does not start with its marker: %q", b[:40])
	}
	return b
}

// TestDamagedOnlyMarkerIsNoOldFile: a checksummed file whose only commit
// marker has a changed byte is never converted as a file from before
// checksums (which would serve every value with its checksum in front).
func TestDamagedOnlyMarkerIsNoOldFile(t *testing.T) {
	b := compactedFile(t)
	for _, off := range []int{22, 40} { // the marker's key, its value
		data := append([]byte(nil), b...)
		data[off] ^= 0x41
		if f := classifyFile(data); f != formatCheckedNoMarker {
			t.Fatalf("offset %d: classified %d, want checksummed without a marker", off, f)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, DefaultFileName), data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(dir, &Options{Logger: quietLog})
		if err != nil {
			var de *DamagedError
			if !errors.As(err, &de) {
				t.Fatalf("offset %d: refused without a DamagedError: %v", off, err)
			}
			continue
		}
		got := dbContents(t, db)
		db.Close()
		if len(got) != 4 {
			t.Fatalf("offset %d: %d keys: %q", off, len(got), got)
		}
		for k, v := range got {
			if v != "value of "+k {
				t.Fatalf("offset %d: %q served as %q", off, k, v)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, DefaultFileName+PreChecksumSuffix)); err == nil {
			t.Fatalf("offset %d: the file was converted", off)
		}
	}
}

// TestDamagedSnapshotMarker: a snapshot whose marker's key or value has a
// changed byte fails verification, is passed over by LatestGoodSnapshot,
// and CheckData reports it.
func TestDamagedSnapshotMarker(t *testing.T) {
	for _, off := range []int{22, 40} {
		dir := t.TempDir()
		db := mustOpen(t, dir, nil)
		mustSet(t, db, "k1", "old")
		snaps := filepath.Join(dir, "snap")
		t0 := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
		if _, err := db.WriteSnapshot(t0, 5, snaps); err != nil {
			t.Fatal(err)
		}
		mustSet(t, db, "k1", "new")
		if _, err := db.WriteSnapshot(t0.Add(time.Hour), 5, snaps); err != nil {
			t.Fatal(err)
		}
		db.Close()
		all, err := Snapshots(snaps)
		if err != nil || len(all) != 2 {
			t.Fatal(all, err)
		}
		b, err := os.ReadFile(all[0])
		if err != nil {
			t.Fatal(err)
		}
		b[off] ^= 0x41
		if err := os.WriteFile(all[0], b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := checkBackup(all[0]); err == nil {
			t.Fatalf("offset %d: a damaged snapshot verifies", off)
		}
		got, skipped, err := LatestGoodSnapshot(snaps)
		if err != nil || got != all[1] || len(skipped) != 1 {
			t.Fatalf("offset %d: LatestGoodSnapshot = %s, %v, %v; want %s", off, got, skipped, err, all[1])
		}
		cd := t.TempDir()
		if err := os.WriteFile(filepath.Join(cd, DefaultFileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := CheckData(cd, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || !rep.Checksummed {
			t.Fatalf("offset %d: CheckData finds nothing: %+v", off, rep)
		}
	}
}

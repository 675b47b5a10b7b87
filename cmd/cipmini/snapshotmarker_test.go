package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// A snapshot is one commit whose marker is its first record. With a changed
// byte in that marker's key or value it must not pass as a file from before
// checksums: check --data fails it, and restore --latest passes over it to
// the older good one.
func TestRestoreLatestPassesOverDamagedMarker(t *testing.T) {
	t.Parallel()
	data := threeBookings(t)
	snaps := filepath.Join(data, store.BackupDir)
	db, err := store.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
	if _, err := db.WriteSnapshot(t0, 5, snaps); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.Set("note:later", "a later change") }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WriteSnapshot(t0.Add(24*time.Hour), 5, snaps); err != nil {
		t.Fatal(err)
	}
	db.Close()
	all, err := store.Snapshots(snaps)
	if err != nil || len(all) != 2 {
		t.Fatal(all, err)
	}
	good, err := os.ReadFile(all[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{22, 40} { // a byte of the marker's key, of its value
		b := append([]byte(nil), good...)
		b[off] ^= 0x41
		if err := os.WriteFile(all[0], b, 0o600); err != nil {
			t.Fatal(err)
		}
		cd := t.TempDir()
		os.WriteFile(filepath.Join(cd, store.DefaultFileName), b, 0o600)
		if out, err := runCmd(t, "", "check", "--data", cd); err == nil {
			t.Fatalf("offset %d: check --data passed a snapshot with a damaged marker:\n%s", off, out)
		}
		os.WriteFile(filepath.Join(data, store.DefaultFileName), []byte("garbage"), 0o600)
		out, err := runCmd(t, "", "restore", "--data", data, "--latest")
		if err != nil || !strings.Contains(out, "restored "+all[1]) || !strings.Contains(out, "passing over a snapshot") {
			t.Fatalf("offset %d: restore --latest: %v\n%s", off, err, out)
		}
		if out, err := runCmd(t, "", "check", "--data", data); err != nil {
			t.Fatalf("offset %d: check --data after the restore: %v\n%s", off, err, out)
		}
	}
}

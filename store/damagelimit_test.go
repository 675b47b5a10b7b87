package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// More damaged records than MaxDamagedRecords stop the start with a
// *DamagedError; at the limit, they are quarantined and the rest served.
func TestMaxDamagedRecords(t *testing.T) {
	src := t.TempDir()
	db := mustOpen(t, src, nil)
	for i := 0; i < 30; i++ {
		mustSet(t, db, fmt.Sprintf("key-%02d", i), fmt.Sprintf("value number %02d", i))
	}
	db.Close()
	b, err := os.ReadFile(filepath.Join(src, DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 11; i++ {
		at := bytes.Index(b, []byte(fmt.Sprintf("value number %02d", i)))
		b[at] ^= 0x20
	}
	open := func(max int) (*DB, string, error) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, DefaultFileName), b, 0o600)
		db, err := Open(dir, &Options{Logger: quietLog, MaxDamagedRecords: max})
		return db, dir, err
	}
	_, dir, err := open(0)
	var de *DamagedError
	if !errors.As(err, &de) || len(de.Damage) != 11 || de.Max != DefaultMaxDamagedRecords {
		t.Fatalf("11 damaged records with the default limit: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, DefaultFileName)); !bytes.Equal(got, b) {
		t.Fatal("a refused file was changed")
	}
	db, dir, err = open(11)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := dbContents(t, db)
	if len(got) != 19 || len(db.Quarantined()) != 11 {
		t.Fatalf("%d keys served, %d quarantined", len(got), len(db.Quarantined()))
	}
	for i := 11; i < 30; i++ {
		if got[fmt.Sprintf("key-%02d", i)] != fmt.Sprintf("value number %02d", i) {
			t.Fatalf("key-%02d = %q", i, got[fmt.Sprintf("key-%02d", i)])
		}
	}
	q, _ := ReadQuarantine(dir)
	if len(q) != 11 || q[0].Key != "key-00" || q[0].Lost != "key-00" || len(q[0].Raw) == 0 {
		t.Fatalf("quarantine %+v", q)
	}
}

// A file crafted so that every '*' starts a record that parses up to a
// large value makes the search for intact records costly: the start stops
// with a *DamagedError instead of spending its time.
func TestCostlyDamageRefused(t *testing.T) {
	var b []byte
	b = append(b, "*3\r\n$3\r\nset\r\n$13\r\n\x00store:commit\r\n$14\r\n"...)
	b = append(b, markerValue(1, 0)...)
	b = append(b, "\r\n#"...) // damage: no record starts here
	val := []byte("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$")
	big := make([]byte, 0, 1<<20)
	for len(big) < 1<<20 {
		big = append(big, val...)
		big = append(big, fmt.Sprintf("%d\r\n", (1<<20)-len(big)-16)...)
	}
	b = append(b, big...)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, DefaultFileName), b, 0o600)
	start := time.Now()
	_, err := Open(dir, &Options{Logger: quietLog})
	var de *DamagedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "damaged beyond what a start searches") {
		t.Fatalf("Open: %v", err)
	}
	t.Logf("%v after %v", err, time.Since(start))
}

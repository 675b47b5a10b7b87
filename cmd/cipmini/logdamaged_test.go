package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cipmini log reads an archive with a damaged batch and a gzip bomb: it
// finds the events of the batches that still read, in bounded time.
func TestLogReadsPastDamagedArchive(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "archive")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 1, 6, 9, 0, 0, 0, time.UTC)
	var year bytes.Buffer
	for _, uid := range []string{"a@org.test", "b@org.test", "c@org.test"} {
		zw := gzip.NewWriter(&year)
		zw.Write([]byte("\r\n" + orgEvent(uid, 0, "room-2@rooms.test", at, false)))
		zw.Close()
	}
	year.Bytes()[30] ^= 0xff
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	line := []byte(strings.Repeat("\r\n", 1<<19))
	for i := 0; i < 65; i++ {
		zw.Write(line)
	}
	zw.Close()
	zw = gzip.NewWriter(&bomb)
	zw.Write([]byte("\r\n" + orgEvent("d@org.test", 0, "room-2@rooms.test", at, false)))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "2027.ics.gz"), year.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "2026.ics.gz.damaged-1790000000"), bomb.Bytes(), 0o600)
	for _, uid := range []string{"b@org.test", "c@org.test", "d@org.test"} {
		out, err := runCmd(t, "", "log", "--data", data, uid)
		if err != nil || !strings.Contains(out, "archived in 20") {
			t.Fatalf("cipmini log %s: %v\n%s", uid, err, out)
		}
		t.Logf("cipmini log %s:\n%s", uid, out)
	}
}

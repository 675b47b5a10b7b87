package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bigInvitation is an invitation of about size octets for room-1 of
// bounds.test, organized by organizer, padded with X- properties.
func bigInvitation(uid, organizer string, seq int, start time.Time, size int, status string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"+
		"UID:%s\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:%d\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:bounds\r\n"+
		"ORGANIZER:mailto:%s\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:room-1@bounds.test\r\n",
		uid, seq, start.UTC().Format(icalUTC), start.Add(30*time.Minute).UTC().Format(icalUTC), organizer)
	if status != "" {
		fmt.Fprintf(&b, "STATUS:%s\r\n", status)
	}
	pad := strings.Repeat("x", 64)
	for i := 0; b.Len() < size-40; i++ {
		fmt.Fprintf(&b, "X-PAD-%d:%s\r\n", i, pad)
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return []byte(b.String())
}

// dataFileSize is the size of the data in the daemon's data file, 0 when
// missing: the file without the zeros a running store reserves after it.
func dataFileSize(dir string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, "cipmini.db"))
	if err != nil {
		return 0
	}
	return int64(len(bytes.TrimRight(b, "\x00")))
}

// At max_store_bytes a new invitation gets NO 007 with a clear text and a
// log line, and nothing is stored for it; the data file stays under the
// cap; updates and cancellations of stored events are still taken.
func TestStoreCapRefusesNewInvitations(t *testing.T) {
	const limit = 1 << 20
	dir := t.TempDir()
	d := startDaemon(t, boundsConfig(t, fmt.Sprintf("max_store_bytes = %d\nmax_bytes_per_hour = 0\nmax_events_per_hour = 0", limit)), dir)
	c, greeting := cipFrom(t, d, "127.0.0.16")
	if !strings.HasPrefix(greeting, "OK CIP") || c.cmd("AUTHENTICATE LOGIN alice wonderland") != "OK 000 Login complete" {
		t.Fatal("login as alice")
	}
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7)
	var stored []int
	refused := -1
	for i := 0; i < 60 && refused < 0; i++ {
		got := c.send(bigInvitation(fmt.Sprintf("cap-%d@bounds.test", i), "alice@bounds.test", 0, day.Add(time.Duration(i)*time.Hour), 40<<10, ""))
		switch {
		case strings.HasPrefix(got, "OK "):
			stored = append(stored, i)
		case got == "NO 007 Calendar storage full: new invitations are refused until space is freed":
			refused = i
		default:
			t.Fatalf("invitation %d: %q", i, got)
		}
		if n := dataFileSize(dir); n > limit {
			t.Fatalf("data file %d octets after invitation %d, over the cap %d", n, i, limit)
		}
	}
	t.Logf("%d invitations of 40 KiB stored, the next refused; data file %d octets", len(stored), dataFileSize(dir))
	if refused < 0 || len(stored) < 10 {
		t.Fatalf("%d stored, refused at %d", len(stored), refused)
	}
	if !logShows(d, "store: the store is full: new invitation refused", 5*time.Second) {
		t.Fatalf("no log line for the refusal:\n%s", d.log)
	}
	// Nothing was stored for the refused one: its hour is free.
	at := day.Add(time.Duration(refused) * time.Hour)
	if fb := cipFreeBusy(t, d, "room-1@bounds.test", at, at.Add(30*time.Minute)); len(fb) != 0 {
		t.Fatalf("the refused invitation's hour is busy: %v", fb)
	}
	// An update of a stored event and a cancellation are taken at the cap.
	first := stored[0]
	if got := c.send(bigInvitation(fmt.Sprintf("cap-%d@bounds.test", first), "alice@bounds.test", 1, day.Add(time.Duration(first)*time.Hour), 40<<10, "")); !strings.HasPrefix(got, "OK ") {
		t.Fatalf("update at the cap: %q", got)
	}
	last := stored[len(stored)-1]
	if got := c.send(bigInvitation(fmt.Sprintf("cap-%d@bounds.test", last), "alice@bounds.test", 1, day.Add(time.Duration(last)*time.Hour), 1<<10, "CANCELLED")); got != "OK 000 Cancelled" {
		t.Fatalf("cancellation at the cap: %q", got)
	}
	if n := dataFileSize(dir); n > limit+200<<10 {
		t.Fatalf("data file %d octets after an update and a cancellation", n)
	}
}

// logShows waits up to d for text in the daemon's log (read through a pipe,
// so a line written just now may not be there yet).
func logShows(dm *daemonProc, text string, d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(dm.log.String(), text) {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

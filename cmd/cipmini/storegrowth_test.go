package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// storeFullText is the answer to a change refused at max_store_bytes.
const storeFullText = "NO 007 Calendar storage full: new invitations are refused until space is freed"

// recurringInvitation is a small daily invitation of room-1 for five days,
// or, with recurrenceID set, one occurrence of it padded to about size
// octets (status "CANCELLED" cancels that occurrence).
func recurringInvitation(uid string, start, recurrenceID time.Time, size int, status string) []byte {
	var b strings.Builder
	method := "REQUEST"
	if status == "CANCELLED" {
		method = "CANCEL"
	}
	fmt.Fprintf(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:%s\r\nBEGIN:VEVENT\r\n"+
		"UID:%s\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:0\r\nSUMMARY:daily\r\n"+
		"ORGANIZER:mailto:alice@bounds.test\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:room-1@bounds.test\r\n", method, uid)
	if recurrenceID.IsZero() {
		fmt.Fprintf(&b, "DTSTART:%s\r\nDTEND:%s\r\nRRULE:FREQ=DAILY;COUNT=5\r\n",
			start.UTC().Format(icalUTC), start.Add(30*time.Minute).UTC().Format(icalUTC))
	} else {
		fmt.Fprintf(&b, "RECURRENCE-ID:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n", recurrenceID.UTC().Format(icalUTC),
			recurrenceID.UTC().Format(icalUTC), recurrenceID.Add(30*time.Minute).UTC().Format(icalUTC))
	}
	if status != "" {
		fmt.Fprintf(&b, "STATUS:%s\r\n", status)
	}
	for i := 0; b.Len() < size-40; i++ {
		fmt.Fprintf(&b, "X-PAD-%d:%s\r\n", i, strings.Repeat("y", 64))
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return []byte(b.String())
}

// fillStore sends 40 KiB invitations of organizer on c, an hour apart from
// from, until one is refused for space; it returns the indexes stored.
func fillStore(t *testing.T, c *cipConn, prefix, organizer string, from time.Time) []int {
	t.Helper()
	var stored []int
	for i := 0; i < 80; i++ {
		got := c.send(bigInvitation(fmt.Sprintf("%s-%d@bounds.test", prefix, i), organizer, 0, from.Add(time.Duration(i)*time.Hour), 40<<10, ""))
		switch {
		case strings.HasPrefix(got, "OK "):
			stored = append(stored, i)
		case got == storeFullText:
			return stored
		default:
			t.Fatalf("invitation %d: %q", i, got)
		}
	}
	t.Fatalf("80 invitations of 40 KiB stored, none refused")
	return nil
}

// At max_store_bytes a change of a stored event that makes its record
// larger (an update with more text, an added occurrence override) gets
// NO 007 with a log line and changes nothing; an update of the same size,
// the cancellation of an occurrence and of the whole event are taken.
func TestStoreCapRefusesGrowingChanges(t *testing.T) {
	const limit = 1 << 20
	dir := t.TempDir()
	d := startDaemon(t, boundsConfig(t, fmt.Sprintf("max_store_bytes = %d\nmax_bytes_per_hour = 0\nmax_events_per_hour = 0", limit)), dir)
	c, _ := cipFrom(t, d, "127.0.0.17")
	if c.cmd("AUTHENTICATE LOGIN alice wonderland") != "OK 000 Login complete" {
		t.Fatal("login as alice")
	}
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7)
	small := day.Add(-2 * time.Hour)
	if got := c.send(bigInvitation("grow-small@bounds.test", "alice@bounds.test", 0, small, 1<<10, "")); !strings.HasPrefix(got, "OK ") {
		t.Fatalf("small invitation: %q", got)
	}
	daily := day.AddDate(0, 0, 20)
	if got := c.send(recurringInvitation("grow-daily@bounds.test", daily, time.Time{}, 1<<10, "")); !strings.HasPrefix(got, "OK ") {
		t.Fatalf("daily invitation: %q", got)
	}
	stored := fillStore(t, c, "grow", "alice@bounds.test", day)
	if len(stored) < 10 {
		t.Fatalf("only %d stored before the cap", len(stored))
	}

	// The small invitation updated with 40 KiB of text: refused, the
	// booking stays where it was.
	moved := small.Add(-24 * time.Hour)
	if got := c.send(bigInvitation("grow-small@bounds.test", "alice@bounds.test", 1, moved, 40<<10, "")); got != storeFullText {
		t.Fatalf("growing update at the cap: %q", got)
	}
	if !logShows(d, "store: the store is full: change that grows the event refused", 5*time.Second) {
		t.Fatalf("no log line for the refused update:\n%s", d.log)
	}
	if fb := cipFreeBusy(t, d, "room-1@bounds.test", small, small.Add(30*time.Minute)); len(fb) == 0 {
		t.Fatal("the refused update freed the booking")
	}
	if fb := cipFreeBusy(t, d, "room-1@bounds.test", moved, moved.Add(30*time.Minute)); len(fb) != 0 {
		t.Fatalf("the refused update was stored: %v", fb)
	}
	// An added occurrence override of 40 KiB: refused, the occurrence
	// stays as it was.
	third := daily.AddDate(0, 0, 2)
	if got := c.send(recurringInvitation("grow-daily@bounds.test", daily, third, 40<<10, "")); got != storeFullText {
		t.Fatalf("growing override at the cap: %q", got)
	}
	// Cancelling an occurrence is taken at the cap.
	if got := c.send(recurringInvitation("grow-daily@bounds.test", daily, third, 1<<10, "CANCELLED")); !strings.HasPrefix(got, "OK ") {
		t.Fatalf("occurrence cancellation at the cap: %q", got)
	}
	if fb := cipFreeBusy(t, d, "room-1@bounds.test", third, third.Add(30*time.Minute)); len(fb) != 0 {
		t.Fatalf("the cancelled occurrence is still busy: %v", fb)
	}
	// An update of the same size is taken, and a cancellation of the
	// whole event.
	first := stored[0]
	if got := c.send(bigInvitation(fmt.Sprintf("grow-%d@bounds.test", first), "alice@bounds.test", 1, day.Add(time.Duration(first)*time.Hour), 40<<10, "")); !strings.HasPrefix(got, "OK ") {
		t.Fatalf("same-size update at the cap: %q", got)
	}
	if got := c.send(bigInvitation("grow-small@bounds.test", "alice@bounds.test", 1, small, 1<<10, "CANCELLED")); got != "OK 000 Cancelled" {
		t.Fatalf("cancellation at the cap: %q", got)
	}
	if n := dataFileSize(dir); n > limit+200<<10 {
		t.Fatalf("data file %d octets, cap %d", n, limit)
	}
}

// Anonymous sessions fill at most anonymous_store_share of max_store_bytes
// (0.75 by default): then a stranger's invitation is refused while a
// logged-in user's is still taken.
func TestStoreCapKeepsRoomForUsers(t *testing.T) {
	t.Run("default", func(t *testing.T) { storeCapKeepsRoom(t, "", 0.75) })
	t.Run("half", func(t *testing.T) { storeCapKeepsRoom(t, "anonymous_store_share = 0.5", 0.5) })
}

func storeCapKeepsRoom(t *testing.T, setting string, share float64) {
	const limit = 1 << 20
	dir := t.TempDir()
	d := startDaemon(t, boundsConfig(t, fmt.Sprintf("max_store_bytes = %d\nmax_bytes_per_hour = 0\nmax_events_per_hour = 0\n%s", limit, setting)), dir)
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7)
	stranger, _ := cipFrom(t, d, "127.0.0.18")
	stored := fillStore(t, stranger, "anon", "mallory@attacker.test", day)
	n := dataFileSize(dir)
	t.Logf("%d anonymous invitations of 40 KiB stored, data file %d octets", len(stored), n)
	if len(stored) < 5 || n > int64(share*limit) || n < int64(share*limit)-200<<10 {
		t.Fatalf("%d stored anonymously, data file %d octets: want close to %g of %d", len(stored), n, share, limit)
	}
	// Another stranger's address is refused too: the share is for all of
	// them together.
	other, _ := cipFrom(t, d, "127.0.0.19")
	if got := other.send(bigInvitation("anon-other@bounds.test", "eve@attacker.test", 0, day.AddDate(0, 0, 5), 40<<10, "")); got != storeFullText {
		t.Fatalf("a second stranger at the anonymous share: %q", got)
	}
	c, _ := cipFrom(t, d, "127.0.0.20")
	if c.cmd("AUTHENTICATE LOGIN alice wonderland") != "OK 000 Login complete" {
		t.Fatal("login as alice")
	}
	for i := 0; i < 3; i++ {
		at := day.AddDate(0, 0, 10).Add(time.Duration(i) * time.Hour)
		if got := c.send(bigInvitation(fmt.Sprintf("user-%d@bounds.test", i), "alice@bounds.test", 0, at, 40<<10, "")); !strings.HasPrefix(got, "OK ") {
			t.Fatalf("alice's invitation %d after strangers filled their share: %q", i, got)
		}
	}
}

// anonymous_store_share is a share above 0 and at most 1.
func TestStoreCapAnonymousShareSetting(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.toml")
	for _, tc := range []struct {
		text string
		ok   bool
	}{{"anonymous_store_share = 0.5", true}, {"anonymous_store_share = 1", true},
		{"anonymous_store_share = 0", false}, {"anonymous_store_share = 1.5", false}, {"anonymous_store_share = -0.2", false}} {
		os.WriteFile(cfg, []byte("server_id = \"r.example\"\n"+tc.text+"\n"), 0o600)
		out, err := runCmd(t, "", "check", "--config", cfg)
		if (err == nil) != tc.ok || (!tc.ok && !strings.Contains(out, "anonymous_store_share")) {
			t.Errorf("check of %q: %v\n%s", tc.text, err, out)
		}
	}
}

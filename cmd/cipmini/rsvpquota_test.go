package main

import (
	"bufio"
	"fmt"
	"strings"
	"testing"
	"time"
)

// rsvp sends RSVP with data on c and returns the completion.
func (c *cipConn) rsvp(data []byte) string {
	c.t.Helper()
	w := bufio.NewWriter(c.conn)
	w.WriteString("RSVP +\r\n")
	w.Write(data)
	w.WriteString(".\r\n")
	if err := w.Flush(); err != nil {
		return ""
	}
	return c.completion()
}

// remoteReply is bob@remote.test's answer to uid.
func remoteReply(uid, partstat, comment string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n" +
		"UID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:0\r\nORGANIZER:mailto:alice@bounds.test\r\n" +
		"ATTENDEE;PARTSTAT=" + partstat + ":mailto:bob@remote.test\r\nCOMMENT:" + comment + "\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n")
}

// rsvpDaemon starts a daemon that takes anonymous answers with extra
// settings, and stores alice's meeting with bob@remote.test in room-1.
func rsvpDaemon(t *testing.T, extra, uid string) (*daemonProc, string) {
	t.Helper()
	dir := t.TempDir()
	d := startDaemon(t, boundsConfig(t, "allow_anonymous_rsvp = true\n"+extra), dir)
	c, _ := cipFrom(t, d, "127.0.0.21")
	if c.cmd("AUTHENTICATE LOGIN alice wonderland") != "OK 000 Login complete" {
		t.Fatal("login as alice")
	}
	at := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3).Add(10 * time.Hour)
	inv := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"+
		"UID:%s\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:0\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:answers\r\n"+
		"ORGANIZER:mailto:alice@bounds.test\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:room-1@bounds.test\r\n"+
		"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@remote.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		uid, at.Format(icalUTC), at.Add(time.Hour).Format(icalUTC))
	if got := c.send([]byte(inv)); !strings.HasPrefix(got, "OK ") {
		t.Fatalf("alice's meeting: %q", got)
	}
	return d, dir
}

// A thousand identical anonymous answers write nothing after the first.
func TestRSVPRepeatedWritesNothing(t *testing.T) {
	const uid = "rsvp-same@bounds.test"
	d, dir := rsvpDaemon(t, "max_events_per_hour = 0\nmax_bytes_per_hour = 0", uid)
	c, _ := cipFrom(t, d, "127.0.0.22")
	if got := c.rsvp(remoteReply(uid, "ACCEPTED", "see you")); got != "OK 000 RSVP stored" {
		t.Fatalf("first answer: %q", got)
	}
	before := dataFileSize(dir)
	for i := 0; i < 1000; i++ {
		if got := c.rsvp(remoteReply(uid, "ACCEPTED", "see you")); got != "OK 000 RSVP stored" {
			t.Fatalf("answer %d: %q", i, got)
		}
	}
	after := dataFileSize(dir)
	t.Logf("data file %d octets before 1,000 identical answers, %d after", before, after)
	if after-before > 4<<10 {
		t.Fatalf("1,000 identical answers grew the data file by %d octets", after-before)
	}
}

// Answers count against the client's events per hour: a stranger
// rewriting its comment over and over gets NO 007.
func TestRSVPFloodThrottled(t *testing.T) {
	const uid = "rsvp-flood@bounds.test"
	d, dir := rsvpDaemon(t, "max_events_per_hour = 20", uid)
	c, _ := cipFrom(t, d, "127.0.0.23")
	before := dataFileSize(dir)
	taken, refused := 0, 0
	for i := 0; i < 100; i++ {
		switch got := c.rsvp(remoteReply(uid, "TENTATIVE", fmt.Sprintf("comment number %d %s", i, strings.Repeat("z", 200)))); got {
		case "OK 000 RSVP stored":
			taken++
		case "NO 007 Too many events, try again later":
			refused++
		default:
			t.Fatalf("answer %d: %q", i, got)
		}
	}
	t.Logf("%d changing answers taken, %d refused; data file grew %d octets", taken, refused, dataFileSize(dir)-before)
	if taken > 21 || refused < 79 {
		t.Fatalf("%d changing answers taken, %d refused: want at most the 20 an hour", taken, refused)
	}
}

// folded folds a content line at 74 octets (RFC 5545 3.1).
func folded(line string) string {
	var b strings.Builder
	for len(line) > 74 {
		b.WriteString(line[:74] + "\r\n ")
		line = line[74:]
	}
	return b.String() + line
}

// When anonymous sessions have filled their share of max_store_bytes, a
// stranger's answer that grows the record (a long comment) gets NO 007,
// while one that keeps its size is still taken.
func TestRSVPGrowingAtStoreCap(t *testing.T) {
	const uid = "rsvp-cap@bounds.test"
	d, _ := rsvpDaemon(t, "max_events_per_hour = 0\nmax_bytes_per_hour = 0\nmax_store_bytes = 1048576", uid)
	c, _ := cipFrom(t, d, "127.0.0.24")
	if got := c.rsvp(remoteReply(uid, "ACCEPTED", "short")); got != "OK 000 RSVP stored" {
		t.Fatalf("first answer: %q", got)
	}
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 9)
	fillStore(t, c, "rsvpfill", "mallory@attacker.test", day)
	// Top up with small invitations, so that the file is close to the
	// anonymous share.
	for i := 0; ; i++ {
		got := c.send(bigInvitation(fmt.Sprintf("rsvptop-%d@bounds.test", i), "mallory@attacker.test", 0, day.AddDate(0, 0, 5).Add(time.Duration(i)*time.Hour), 2<<10, ""))
		if got == storeFullText {
			break
		}
		if !strings.HasPrefix(got, "OK ") || i > 40 {
			t.Fatalf("small invitation %d: %q", i, got)
		}
	}
	long := strings.Repeat("w", 20<<10)
	data := []byte(strings.Replace(string(remoteReply(uid, "ACCEPTED", "X")), "COMMENT:X", folded("COMMENT:"+long), 1))
	if got := c.rsvp(data); got != storeFullText {
		t.Fatalf("growing answer at the cap: %q", got)
	}
	if !logShows(d, "store: the store is full: answer that grows the event refused", 5*time.Second) {
		t.Fatalf("no log line for the refused answer:\n%s", d.log)
	}
	if got := c.rsvp(remoteReply(uid, "ACCEPTED", "short")); got != "OK 000 RSVP stored" {
		t.Fatalf("the same answer again: %q", got)
	}
	if got := c.rsvp(remoteReply(uid, "DECLINED", "short")); got != "OK 000 RSVP stored" {
		t.Fatalf("an answer of the same size at the cap: %q", got)
	}
}

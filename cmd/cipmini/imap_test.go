package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/imip"
	"github.com/emersion/go-imap/v2"
)

// TestIMAPDoor books rooms by iMIP through a polled mailbox: the
// invitations of four mail clients are put into a real Dovecot's INBOX;
// the daemon polls it over TLS, each room's REPLY reaches a real relay
// (aiosmtpd) with PARTSTAT=ACCEPTED, a bounce is dropped unanswered, and
// every message ends flagged in the done folder. An invitation handled
// again (as after a kill between its booking and its flag) books nothing
// more and is not answered twice.
func TestIMAPDoor(t *testing.T) {
	relay, box := startRelay(t)
	dc := startDovecot(t)
	files := map[string]string{
		"outlook":     "ical-org-ical.net/Outlook2007LineFolds.ics",
		"google":      "ical-org-ical.net/DateTime1.ics",
		"apple":       "KDE-kcalendarcore/AppleICal_1.5.ics",
		"thunderbird": "niccokunzmann-python-recurring-ical-events/issue_223_thunderbird.ics",
	}
	shapesInOrder := []string{"outlook", "google", "apple", "thunderbird"}
	var msgs []string
	for _, shape := range shapesInOrder {
		room := "room-" + shape + "@acme.example"
		cal, _, org := mailInvitation(t, files[shape], room, "REQUEST")
		msgs = append(msgs, delivered(org, shapes[shape](mailHeader(org, room, shape+"-1@client.example"), cal, "REQUEST")))
	}
	bob := "bob@partner.example"
	inv := mailEvent("imap-bounce", bob, "room-x@acme.example", time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC), 0, "REQUEST")
	bounce := "Return-Path: <>\r\n" + shapes["google"](mailHeader(bob, "room-x@acme.example", "bounce@partner.example"), inv, "REQUEST")
	dc.appendMail(t, "INBOX", append(msgs, bounce)...)

	d := startDaemon(t, imapConfig(t, dc, relay, "never"), t.TempDir())
	done := dc.waitFolder(t, imip.DefaultDoneFolder, 5, d)
	if in := dc.folder(t, "INBOX"); len(in) != 0 {
		t.Errorf("INBOX still holds %v", in)
	}
	for id, flags := range done {
		if !hasFlag(flags, imap.FlagSeen) || !hasFlag(flags, imip.DoneKeyword) {
			t.Errorf("%s in the done folder has flags %v", id, flags)
		}
	}
	got := map[string]string{}
	for i := 0; i < 4; i++ {
		r := relayed(t, box, i)
		if r["method"] != "REPLY" || r["autosub"] != "auto-replied" {
			t.Errorf("REPLY %d: %v", i, r)
		}
		got[fmt.Sprint(r["inreplyto"])] = fmt.Sprint(r["parts"])
	}
	for _, shape := range shapesInOrder {
		want := "[mailto:room-" + shape + "@acme.example ACCEPTED]"
		if p := got["<"+shape+"-1@client.example>"]; p != want {
			t.Errorf("%s (%s): REPLY %s, want %s", shape, files[shape], p, want)
		}
	}
	waitLog(t, d, "bounce@partner.example")
	if !strings.Contains(d.log.String(), "bounce: empty return path") {
		t.Errorf("no log line says the bounce was dropped")
	}

	// The Outlook invitation again, as if the daemon had been killed after
	// booking it and before flagging it: answered as before, not twice.
	dc.appendMail(t, "INBOX", msgs[0])
	dc.waitFolder(t, "INBOX", 0, d)
	if n := strings.Count(d.log.String(), "message_id=<outlook-1@client.example>"); n < 2 {
		t.Fatalf("the invitation handled again was logged %d times, want 2:\n%s", n, d.log)
	}
	time.Sleep(2 * time.Second) // what the courier would send, it sends at once
	if n := relayCount(box); n != 4 {
		t.Errorf("%d REPLYs at the relay after the invitation came again, want 4", n)
	}
}

// TestIMAPDoorKill kills the daemon (kill -9) while it works through a
// batch of 20 invitations in the polled mailbox, and starts it again: each
// message is handled exactly once, all end in the done folder, every room
// hour is booked, and the relay gets exactly one REPLY per invitation.
// While the first daemon runs its REPLYs only queue (its relay is a closed
// port), so that what the relay counts is what the door queued.
func TestIMAPDoorKill(t *testing.T) {
	relay, box := startRelay(t)
	dc := startDovecot(t)
	bob := "bob@partner.example"
	day := time.Date(2031, 6, 2, 0, 0, 0, 0, time.UTC)
	const n = 20
	var msgs []string
	for i := 0; i < n; i++ {
		ev := mailEvent(fmt.Sprintf("kill-%d", i), bob, "room-x@acme.example", day.Add(time.Duration(2*i)*time.Hour), 0, "REQUEST")
		shape := []string{"outlook", "google", "apple", "thunderbird"}[i%4]
		msgs = append(msgs, delivered(bob, shapes[shape](mailHeader(bob, "room-x@acme.example", fmt.Sprintf("kill-%d@partner.example", i)), ev, "REQUEST")))
	}
	dc.appendMail(t, "INBOX", msgs...)

	data := t.TempDir()
	first, err := launchDaemon(imapConfig(t, dc, freePort(t), "always"), data)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(first.log.String(), "imip: applied") < 2 {
		if time.Now().After(deadline) {
			first.kill()
			t.Fatalf("the first daemon applied nothing within 60 s:\n%s", first.log)
		}
		time.Sleep(time.Millisecond)
	}
	first.kill()
	applied := strings.Count(first.log.String(), "imip: applied")
	moved := len(dc.folder(t, imip.DefaultDoneFolder))
	t.Logf("killed after %d applied, %d moved", applied, moved)
	if moved >= n {
		t.Fatalf("the whole batch was done before the kill: nothing was tested")
	}

	d := startDaemon(t, imapConfig(t, dc, relay, "always"), data)
	done := dc.waitFolder(t, imip.DefaultDoneFolder, n, d)
	if in := dc.folder(t, "INBOX"); len(in) != 0 {
		t.Errorf("INBOX still holds %d messages", len(in))
	}
	for i := 0; i < n; i++ {
		if _, ok := done[fmt.Sprintf("<kill-%d@partner.example>", i)]; !ok {
			t.Errorf("invitation %d is not in the done folder", i)
		}
	}
	deadline = time.Now().Add(60 * time.Second)
	for relayCount(box) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a second REPLY would come at once
	replies := relayReplies(t, box)
	for i := 0; i < n; i++ {
		if c := replies[fmt.Sprintf("<kill-%d@partner.example>", i)]; c != 1 {
			t.Errorf("invitation %d: %d REPLYs at the relay, want 1", i, c)
		}
	}
	if len(replies) != n {
		t.Errorf("REPLYs at the relay answer %d messages, want %d: %v", len(replies), n, replies)
	}
	busy := cipFreeBusy(t, d, "room-x@rooms.test", day, day.Add(2*n*time.Hour))
	if len(busy) != n {
		t.Errorf("room-x is busy %d times, want %d: %q", len(busy), n, busy)
	}
}

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMailManualAnswer: a manual room invited by mail answers later, as
// its owner or its panel does, by an RSVP over CIP; the answer reaches the
// organizer as an iMIP REPLY at the relay, answering the invitation's
// Message-ID, and nothing is queued for the organizer's domain over CIP.
func TestMailManualAnswer(t *testing.T) {
	relay, box := startRelay(t)
	smtpAddr := freePort(t)
	data := t.TempDir()
	cfg := mailConfigWith(t, smtpAddr, relay, "",
		"[[user]]\nname = \"room-m\"\nkind = \"room\"\npolicy = \"manual\"\npassword = \"keys\"\nemail = [\"room-m@acme.example\"]\n")
	d := startDaemon(t, cfg, data)
	bob, room := "bob@partner.example", "room-m@acme.example"
	day := time.Date(2031, 6, 3, 9, 0, 0, 0, time.UTC)
	sendMail(t, smtpAddr, bob, room, shapes["outlook"](mailHeader(bob, room, "m1@partner.example"),
		mailEvent("manual-1", bob, room, day, 0, "REQUEST"), "REQUEST"))
	waitLog(t, d, "m1@partner.example")
	if !strings.Contains(d.log.String(), "TENTATIVE room-m@rooms.test") {
		t.Fatalf("the manual room did not take the invitation to answer later:\n%s", d.log)
	}

	out, err := runCmd(t, "", "answer", "--server", d.addr, "--login", "room-m", "--password", "keys", "manual-1", "--accept")
	if err != nil || out != "* CONFIRMED room-m@rooms.test\nOK 000 RSVP stored; sending it on to "+bob+"\n" {
		t.Fatalf("the room's answer: %v\n%s", err, out)
	}
	r := relayed(t, box, 0)
	if r["method"] != "REPLY" || fmt.Sprint(r["parts"]) != "[mailto:"+room+" ACCEPTED]" || r["inreplyto"] != "<m1@partner.example>" {
		t.Errorf("the REPLY of the later answer: %v", r)
	}
	queueEmpty(t, cfg, data)
	if busy := cipFreeBusy(t, d, "room-m@rooms.test", day, day.Add(time.Hour)); len(busy) != 1 {
		t.Errorf("after the room accepted: busy %q, want the hour", busy)
	}
	if n := relayCount(box); n != 1 {
		t.Errorf("%d messages at the relay, want the one REPLY", n)
	}
}

// queueEmpty waits until the outgoing queue is empty (a REPLY sent by mail
// leaves it); a message for a CIP server, which never goes out here, fails
// the test.
func queueEmpty(t *testing.T, cfg, data string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := runCmd(t, "", "queue", "--config", cfg, "--data", data)
		if err == nil && strings.Contains(out, "the outgoing queue is empty") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outgoing queue keeps messages: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMailAttendeeReply: a local person organizes over CIP and invites an
// attendee elsewhere, who answers by mail with a REPLY: the answer is
// stored on the organizer's event; a REPLY for the attendee from another
// sender is not.
func TestMailAttendeeReply(t *testing.T) {
	relay, _ := startRelay(t)
	smtpAddr := freePort(t)
	data := t.TempDir()
	cfg := mailConfig(t, smtpAddr, relay)
	d := startDaemon(t, cfg, data)
	bob, eve, alice := "bob@partner.example", "eve@partner.example", "alice@acme.example"
	day := time.Date(2031, 7, 1, 14, 0, 0, 0, time.UTC)
	c, ctx := aliceClient(t, d)
	ev := mailEvent("alice-1", "alice@rooms.test", bob, day, 0, "REQUEST")
	if r, err := c.SendEvent(ctx, []byte(ev)); err != nil || !r.Completion.OK {
		t.Fatalf("alice's SENDEVENT: %v %+v", err, r)
	}
	reply := func(from, attendee, partstat string) string {
		return strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "METHOD:REPLY",
			"BEGIN:VEVENT", "UID:alice-1", "DTSTAMP:20300102T000000Z", "SEQUENCE:0",
			"DTSTART:" + day.Format(icalUTC), "DTEND:" + day.Add(time.Hour).Format(icalUTC),
			"ORGANIZER:mailto:alice@rooms.test", "ATTENDEE;PARTSTAT=" + partstat + ":mailto:" + attendee,
			"END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
	}
	answers := func() string {
		t.Helper()
		out, err := runCmd(t, "", "log", "alice-1", "--config", cfg, "--data", data)
		if err != nil {
			t.Fatalf("cipmini log: %v\n%s", err, out)
		}
		return out
	}

	// Eve answers for Bob, then as herself: neither is stored.
	sendMail(t, smtpAddr, eve, alice, shapes["google"](mailHeader(eve, alice, "forged@partner.example"), reply(eve, bob, "DECLINED"), "REPLY"))
	sendMail(t, smtpAddr, eve, alice, shapes["google"](mailHeader(eve, alice, "eve@partner.example"), reply(eve, eve, "ACCEPTED"), "REPLY"))
	waitLog(t, d, "forged@partner.example")
	waitLog(t, d, "<eve@partner.example>")
	if out := answers(); strings.Contains(out, " rsvp ") {
		t.Fatalf("another sender's REPLY was stored:\n%s", out)
	}

	// Bob's own REPLY is.
	sendMail(t, smtpAddr, bob, alice, shapes["outlook"](mailHeader(bob, alice, "bob-r1@partner.example"), reply(bob, bob, "ACCEPTED"), "REPLY"))
	waitLog(t, d, "bob-r1@partner.example")
	out := answers()
	if !strings.Contains(out, "mail "+bob) || !strings.Contains(out, bob+"=ACCEPTED") {
		t.Fatalf("bob's REPLY is not stored:\n%s", out)
	}
	if strings.Contains(out, "DECLINED") || strings.Contains(out, eve) {
		t.Errorf("eve's REPLYs left a trace:\n%s", out)
	}
}

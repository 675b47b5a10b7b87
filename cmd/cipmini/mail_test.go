package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/ciptest"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// relayPy is the relay REPLYs go through: Debian's python3-aiosmtpd,
// writing each message it receives to a file of its directory and
// answering "250 OK", or its third argument.
const relayPy = `
import sys, asyncio, os, itertools
from aiosmtpd.controller import Controller
out = sys.argv[2]
n = itertools.count()
class H:
    async def handle_DATA(self, server, session, envelope):
        p = os.path.join(out, "%04d.eml" % next(n))
        with open(p + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(p + ".tmp", p)
        return sys.argv[3] if len(sys.argv) > 3 else "250 OK"
c = Controller(H(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
`

// pyPartstat reads a REPLY's calendar part with python3-icalendar and
// prints the METHOD and each ATTENDEE's PARTSTAT.
const pyPartstat = `
import sys, json, email, icalendar
m = email.message_from_binary_file(sys.stdin.buffer)
out = {"autosub": m.get("Auto-Submitted", ""), "inreplyto": m.get("In-Reply-To", ""), "parts": []}
for p in m.walk():
    if p.get_content_type() == "text/calendar":
        cal = icalendar.Calendar.from_ical(p.get_payload(decode=True))
        out["method"] = str(cal.get("METHOD", ""))
        for c in cal.walk("VEVENT"):
            a = c.get("ATTENDEE")
            out["parts"].append(str(a) + " " + a.params.get("PARTSTAT", ""))
print(json.dumps(out))
`

// startRelay starts aiosmtpd and returns its address and mail directory.
func startRelay(t *testing.T) (string, string) {
	t.Helper()
	return startRelayAnswering(t, "250 OK")
}

// startRelayAnswering is startRelay with the relay answering every
// message's data with answer (an SMTP reply line).
func startRelayAnswering(t *testing.T, answer string) (string, string) {
	t.Helper()
	ok := exec.Command("/usr/bin/python3", "-c", "import aiosmtpd, icalendar").Run() == nil
	needTool(t, "python3-aiosmtpd and python3-icalendar", ok)
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	cmd := exec.Command("/usr/bin/python3", "-c", relayPy, port, dir, answer)
	dieWithTest(cmd)
	stdin, _ := cmd.StdinPipe()
	var out bytes.Buffer
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	line := make([]byte, 6)
	done := make(chan error, 1)
	go func() { _, err := stdout.Read(line); done <- err }()
	select {
	case err := <-done:
		if err != nil || string(line[:5]) != "ready" {
			t.Fatalf("aiosmtpd did not start: %v %s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("aiosmtpd did not start within 30 s")
	}
	return addr, dir
}

// relayed waits for the n-th message at the relay, reads it with
// python3-icalendar, and returns what it says.
func relayed(t *testing.T, dir string, n int) map[string]any {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("%04d.eml", n))
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(p)
		if err == nil {
			cmd := exec.Command("/usr/bin/python3", "-c", pyPartstat)
			cmd.Stdin = bytes.NewReader(b)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("python3-icalendar: %v\n%s", err, b)
			}
			var r map[string]any
			json.Unmarshal(out, &r)
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %d at the relay within 30 s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// relayCount is the number of messages at the relay.
func relayCount(dir string) int {
	m, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	return len(m)
}

// shapes build the MIME of each client around an invitation's calendar.
var shapes = map[string]func(h, cal, method string) string{
	// Outlook: multipart/alternative with text, HTML and text/calendar,
	// beside an application/ics attachment.
	"outlook": func(h, cal, method string) string {
		return h + "Content-Type: multipart/mixed; boundary=\"_mixed_\"\r\n\r\n" +
			"--_mixed_\r\nContent-Type: multipart/alternative; boundary=\"_alt_\"\r\n\r\n" +
			"--_alt_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\nWhen: soon\r\n" +
			"--_alt_\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n<p>When: soon</p>\r\n" +
			"--_alt_\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=" + method + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(cal) + "\r\n" +
			"--_alt_--\r\n" +
			"--_mixed_\r\nContent-Type: application/ics; name=\"invite.ics\"\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(cal) + "\r\n" +
			"--_mixed_--\r\n"
	},
	// Google Calendar: multipart/mixed, the alternative inside, and an
	// application/ics invite.ics.
	"google": func(h, cal, method string) string {
		return h + "Content-Type: multipart/mixed; boundary=\"000m\"\r\n\r\n" +
			"--000m\r\nContent-Type: multipart/alternative; boundary=\"000a\"\r\n\r\n" +
			"--000a\r\nContent-Type: text/plain; charset=\"UTF-8\"; format=flowed; delsp=yes\r\n\r\nInvitation\r\n" +
			"--000a\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=" + method + "\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + cal +
			"--000a--\r\n" +
			"--000m\r\nContent-Type: application/ics; name=\"invite.ics\"\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(cal) + "\r\n" +
			"--000m--\r\n"
	},
	// Apple Calendar: a text part and the calendar as an attachment.
	"apple": func(h, cal, method string) string {
		return h + "Content-Type: multipart/mixed; boundary=\"Apple-Mail=_1\"\r\n\r\n" +
			"--Apple-Mail=_1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\r\n" +
			"--Apple-Mail=_1\r\nContent-Disposition: attachment; filename=iCal-20240101.ics\r\nContent-Type: text/calendar; method=" + method + "; name=iCal-20240101.ics\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + cal +
			"--Apple-Mail=_1--\r\n"
	},
	// Thunderbird: alternative text and calendar, and invite.ics.
	"thunderbird": func(h, cal, method string) string {
		return h + "Content-Type: multipart/mixed; boundary=\"------------tb\"\r\n\r\n" +
			"--------------tb\r\nContent-Type: multipart/alternative; boundary=\"------------tba\"\r\n\r\n" +
			"--------------tba\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nInvitation\r\n" +
			"--------------tba\r\nContent-Type: text/calendar; charset=UTF-8; method=" + method + "\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + cal +
			"--------------tba--\r\n" +
			"--------------tb\r\nContent-Type: application/ics; name=\"invite.ics\"\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(cal) + "\r\n" +
			"--------------tb--\r\n"
	},
}

// mailInvitation makes an invitation of the room's mail address from a
// corpus file: its first UID, METHOD set to method, and the organizer the
// file names (or the one invitations adds).
func mailInvitation(t *testing.T, file, room, method string) (cal, uid, organizer string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ciptest.Corpus(t), "realworld", file))
	if err != nil {
		t.Fatal(err)
	}
	parts, uids := invitations(string(data), room)
	cal = regexp.MustCompile(`(?m)^METHOD:.*\r?\n`).ReplaceAllString(parts[0], "")
	cal = strings.Replace(cal, "VERSION:2.0", "VERSION:2.0\r\nMETHOD:"+method, 1)
	cal = strings.ReplaceAll(strings.ReplaceAll(cal, "\r\n", "\n"), "\n", "\r\n")
	evs, err := vcal.ParseEvents([]byte(cal), nil)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return cal, uids[0], evs[0].Organizer.Address
}

func b64(s string) string {
	out := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(out) > 76 {
		b.WriteString(out[:76] + "\r\n")
		out = out[76:]
	}
	b.WriteString(out)
	return b.String()
}

// sendMail delivers a message to the daemon's SMTP listener.
func sendMail(t *testing.T, addr, from, to, msg string) {
	t.Helper()
	if err := smtp.SendMail(addr, nil, from, []string{to}, []byte(msg)); err != nil {
		t.Fatalf("SMTP to the daemon: %v", err)
	}
}

func mailHeader(from, to, id string) string {
	return "From: " + from + "\r\nTo: " + to + "\r\nSubject: Invitation\r\nMessage-ID: <" + id + ">\r\nMIME-Version: 1.0\r\n"
}

// mailConfig is a daemon with the mail door on smtpAddr, REPLYs through
// relay, and one accept-if-free room per mail client shape plus room-x.
func mailConfig(t *testing.T, smtpAddr, relay string) string {
	return mailConfigWith(t, smtpAddr, relay, "", "")
}

// mailConfigWith is mailConfig with top-level settings top and [[user]]
// tables users added.
func mailConfigWith(t *testing.T, smtpAddr, relay, top, users string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "server_id = \"rooms.test\"\nlisten = \"127.0.0.1:0\"\nsync = \"never\"\nsmtp_listen = %q\nsmtp_accept_from = [\"127.0.0.1\"]\nsmtp_relay = %q\nsmtp_from = \"rooms@acme.example\"\nqueue_retry_first = \"1s\"\n", smtpAddr, relay)
	b.WriteString(top)
	b.WriteString(users)
	b.WriteString("[[user]]\nname = \"alice\"\npassword = \"wonderland\"\nemail = [\"alice@acme.example\"]\n")
	for _, r := range []string{"outlook", "google", "apple", "thunderbird", "x"} {
		fmt.Fprintf(&b, "[[user]]\nname = \"room-%s\"\nkind = \"room\"\nemail = [\"room-%s@acme.example\", \"Room-%s@rooms.acme.example\"]\n", r, r, r)
	}
	p := filepath.Join(t.TempDir(), "mail.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMailDoor books rooms by iMIP over loopback: the invitations of four
// mail clients, built around calendars of those clients from the corpus,
// go by SMTP to the daemon, and each room's REPLY reaches a real relay
// (aiosmtpd) with PARTSTAT=ACCEPTED, read by python3-icalendar. Then the
// hour of a CIP booking is declined by mail, a CANCEL from another sender
// frees nothing and one from the organizer frees the room, and a bounce,
// an auto-reply and a message of 1,000 parts are dropped without a reply.
func TestMailDoor(t *testing.T) {
	relay, box := startRelay(t)
	smtpAddr := freePort(t)
	d := startDaemon(t, mailConfig(t, smtpAddr, relay), t.TempDir())
	files := map[string]string{
		"outlook":     "ical-org-ical.net/Outlook2007LineFolds.ics",
		"google":      "ical-org-ical.net/DateTime1.ics",
		"apple":       "KDE-kcalendarcore/AppleICal_1.5.ics",
		"thunderbird": "niccokunzmann-python-recurring-ical-events/issue_223_thunderbird.ics",
	}
	n := 0
	for _, shape := range []string{"outlook", "google", "apple", "thunderbird"} {
		room := "room-" + shape + "@acme.example"
		cal, uid, org := mailInvitation(t, files[shape], room, "REQUEST")
		msg := shapes[shape](mailHeader(org, room, shape+"-1@client.example"), cal, "REQUEST")
		sendMail(t, smtpAddr, org, room, msg)
		r := relayed(t, box, n)
		n++
		want := "mailto:" + room + " ACCEPTED"
		if r["method"] != "REPLY" || fmt.Sprint(r["parts"]) != "["+want+"]" || r["autosub"] != "auto-replied" ||
			r["inreplyto"] != "<"+shape+"-1@client.example>" {
			t.Errorf("%s (%s, uid %s): REPLY %v, want %s", shape, files[shape], uid, r, want)
		}
	}

	// The same hour by CIP and by mail: the first is accepted, the second
	// declined, by mail too.
	day := time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC)
	c, ctx := aliceClient(t, d)
	cipEv := mailEvent("cip-1", "alice@rooms.test", "room-x@rooms.test", day, 0, "REQUEST")
	if r, err := c.SendEvent(ctx, []byte(cipEv)); err != nil || !hasInfo(r.Info, "CONFIRMED room-x@rooms.test") {
		t.Fatalf("CIP SENDEVENT: %v %+v", err, r)
	}
	bob := "bob@partner.example"
	sendMail(t, smtpAddr, bob, "room-x@acme.example",
		shapes["google"](mailHeader(bob, "room-x@acme.example", "clash@partner.example"), mailEvent("mail-1", bob, "room-x@acme.example", day, 0, "REQUEST"), "REQUEST"))
	if r := relayed(t, box, n); fmt.Sprint(r["parts"]) != "[mailto:room-x@acme.example DECLINED]" {
		t.Errorf("the clash: REPLY %v", r)
	}
	n++

	// Bob's invitation an hour later is accepted; a CANCEL of it from
	// another sender changes nothing, one from Bob frees the hour.
	later := day.Add(2 * time.Hour)
	sendMail(t, smtpAddr, bob, "room-x@acme.example",
		shapes["outlook"](mailHeader(bob, "room-x@acme.example", "b2@partner.example"), mailEvent("mail-2", bob, "room-x@acme.example", later, 0, "REQUEST"), "REQUEST"))
	if r := relayed(t, box, n); fmt.Sprint(r["parts"]) != "[mailto:room-x@acme.example ACCEPTED]" {
		t.Errorf("bob's later invitation: REPLY %v", r)
	}
	n++
	eve := "eve@partner.example"
	sendMail(t, smtpAddr, eve, "room-x@acme.example",
		shapes["thunderbird"](mailHeader(eve, "room-x@acme.example", "e1@partner.example"), mailEvent("mail-2", bob, "room-x@acme.example", later, 1, "CANCEL"), "CANCEL"))
	sendMail(t, smtpAddr, eve, "room-x@acme.example",
		shapes["thunderbird"](mailHeader(eve, "room-x@acme.example", "e2@partner.example"), mailEvent("mail-2", eve, "room-x@acme.example", later, 1, "CANCEL"), "CANCEL"))
	waitLog(t, d, "e2@partner.example")
	if busy := cipFreeBusy(t, d, "room-x@rooms.test", later, later.Add(time.Hour)); len(busy) != 1 {
		t.Fatalf("after another sender's CANCEL: busy %q, want the hour still booked", busy)
	}
	sendMail(t, smtpAddr, bob, "room-x@acme.example",
		shapes["apple"](mailHeader(bob, "room-x@acme.example", "b3@partner.example"), mailEvent("mail-2", bob, "room-x@acme.example", later, 1, "CANCEL"), "CANCEL"))
	waitLog(t, d, "b3@partner.example")
	if busy := cipFreeBusy(t, d, "room-x@rooms.test", later, later.Add(time.Hour)); len(busy) != 0 {
		t.Fatalf("after the organizer's CANCEL: busy %q, want free", busy)
	}

	// Mail never to answer: a bounce, an auto-reply, 1,000 parts.
	inv := mailEvent("mail-3", bob, "room-x@acme.example", day.Add(5*time.Hour), 0, "REQUEST")
	sendMail(t, smtpAddr, "", "room-x@acme.example", shapes["google"](mailHeader(bob, "room-x@acme.example", "bounce@partner.example"), inv, "REQUEST"))
	sendMail(t, smtpAddr, bob, "room-x@acme.example", shapes["google"](mailHeader(bob, "room-x@acme.example", "auto@partner.example")+"Auto-Submitted: auto-generated\r\n", inv, "REQUEST"))
	var many strings.Builder
	many.WriteString(mailHeader(bob, "room-x@acme.example", "many@partner.example") + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	for i := 0; i < 999; i++ {
		many.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	many.WriteString("--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n" + inv + "--b--\r\n")
	sendMail(t, smtpAddr, bob, "room-x@acme.example", many.String())
	for _, id := range []string{"bounce@", "auto@", "many@"} {
		waitLog(t, d, id)
	}
	for _, want := range []string{"bounce: empty return path", "Auto-Submitted: auto-generated", "too many MIME parts"} {
		if !strings.Contains(d.log.String(), want) {
			t.Errorf("no log line saying %q", want)
		}
	}
	time.Sleep(2 * time.Second) // what the courier would send, it sends at once
	if got := relayCount(box); got != n {
		t.Errorf("%d messages at the relay, want %d: dropped mail was answered", got, n)
	}
	if busy := cipFreeBusy(t, d, "room-x@rooms.test", day.Add(5*time.Hour), day.Add(6*time.Hour)); len(busy) != 0 {
		t.Errorf("dropped mail booked the room: %q", busy)
	}
}

// mailEvent is an hour-long event at start, organized by org with the
// room as attendee.
func mailEvent(uid, org, room string, start time.Time, seq int, method string) string {
	f := "20060102T150405Z"
	return strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "METHOD:" + method,
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20300101T000000Z", fmt.Sprintf("SEQUENCE:%d", seq),
		"DTSTART:" + start.Format(f), "DTEND:" + start.Add(time.Hour).Format(f),
		"SUMMARY:Planning", "ORGANIZER:mailto:" + org, "ATTENDEE;PARTSTAT=NEEDS-ACTION;CUTYPE=ROOM:mailto:" + room,
		"END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
}

// waitLog waits until the daemon's log mentions s.
func waitLog(t *testing.T, d *daemonProc, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(d.log.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never mentioned %q:\n%s", s, d.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

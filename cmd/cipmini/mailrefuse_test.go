package main

import (
	"bufio"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// TestMailDoorRefusals drives the daemon's SMTP listener over loopback
// where it says no: a client outside smtp_accept_from gets 554 on
// connecting, an unknown recipient 550 at RCPT, a message over 4 MiB 552;
// with imip_require_auth only a message whose Authentication-Results, of
// the configured relay, passes DKIM for the From domain books the room;
// and the relay's 550 to the REPLY fails it for good in the queue.
func TestMailDoorRefusals(t *testing.T) {
	relay, box := startRelayAnswering(t, "550 5.7.1 Not relaying for you")
	smtpAddr := freePort(t)
	data := t.TempDir()
	cfg := mailConfigWith(t, smtpAddr, relay,
		"queue_retry_max = \"1s\"\nimip_require_auth = true\nimip_authserv_id = \"relay.acme.example\"\n", "")
	d := startDaemon(t, cfg, data)
	bob, room := "bob@partner.example", "room-x@acme.example"

	// 127.0.0.2 is not in smtp_accept_from = ["127.0.0.1"].
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 10 * time.Second}
	conn, err := dialer.Dial("tcp", smtpAddr)
	if err != nil {
		t.Fatalf("dialing from 127.0.0.2: %v", err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.HasPrefix(line, "554 ") {
		t.Errorf("a client from 127.0.0.2 was greeted %q (%v), want 554", line, err)
	}

	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(bob); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("nobody@acme.example"); smtpCode(err) != 550 {
		t.Errorf("RCPT TO an unknown address: %v, want 550", err)
	}
	if err := c.Rcpt(room); err != nil {
		t.Fatalf("RCPT TO the room: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2031, 8, 5, 9, 0, 0, 0, time.UTC)
	big := mailHeader(bob, room, "big@partner.example") + "Content-Type: text/plain\r\n\r\n" +
		strings.Repeat(strings.Repeat("x", 98)+"\r\n", 5<<20/100)
	w.Write([]byte(big))
	if err := w.Close(); smtpCode(err) != 552 {
		t.Errorf("a message of 5 MiB: %v, want 552", err)
	}
	c.Quit()

	// Not applied: no Authentication-Results, one of another authserv-id,
	// one of the relay whose DKIM domain is not the From's.
	for i, ar := range []string{
		"",
		"Authentication-Results: mx.elsewhere.example; dkim=pass header.d=partner.example\r\n",
		"Authentication-Results: relay.acme.example; dkim=pass header.d=elsewhere.example; spf=fail smtp.mailfrom=bob@partner.example\r\n",
	} {
		id := "unauth" + string(rune('0'+i)) + "@partner.example"
		uid := "auth-" + string(rune('0'+i))
		sendMail(t, smtpAddr, bob, room, shapes["google"](mailHeader(bob, room, id)+ar, mailEvent(uid, bob, room, day, 0, "REQUEST"), "REQUEST"))
		waitLog(t, d, id)
		if busy := cipFreeBusy(t, d, "room-x@rooms.test", day, day.Add(time.Hour)); len(busy) != 0 {
			t.Fatalf("message %s booked the room without passing authentication: %q", id, busy)
		}
	}
	// Applied: DKIM passed for the From domain, says the relay.
	sendMail(t, smtpAddr, bob, room, shapes["google"](mailHeader(bob, room, "authed@partner.example")+
		"Authentication-Results: relay.acme.example; dkim=pass header.d=partner.example header.s=s1\r\n",
		mailEvent("auth-ok", bob, room, day, 0, "REQUEST"), "REQUEST"))
	waitLog(t, d, "authed@partner.example")
	if busy := cipFreeBusy(t, d, "room-x@rooms.test", day, day.Add(time.Hour)); len(busy) != 1 {
		t.Fatalf("the authenticated invitation: busy %q, want the hour booked", busy)
	}

	// Its REPLY meets the relay's 550: failed, and never tried again.
	relayed(t, box, 0)
	state := func() []string {
		t.Helper()
		out, err := runCmd(t, "", "queue", "--config", cfg, "--data", data)
		if err != nil {
			t.Fatalf("cipmini queue: %v\n%s", err, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 5 && f[3] == "IMIP-REPLY" {
				return f
			}
		}
		return nil
	}
	deadline := time.Now().Add(20 * time.Second)
	f := state()
	for (f == nil || f[1] != "failed") && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		f = state()
	}
	if f == nil || f[1] != "failed" || f[2] != bob || f[4] != "auth-ok" || f[5] != "1" {
		t.Fatalf("the REPLY refused by the relay: queue line %q, want failed after 1 try", f)
	}
	time.Sleep(3 * time.Second) // queue_retry_first and _max are 1s
	if f := state(); f == nil || f[1] != "failed" || f[5] != "1" {
		t.Errorf("3 s later the REPLY is %q: a final refusal was tried again", f)
	}
	if n := relayCount(box); n != 1 {
		t.Errorf("%d messages reached the relay, want 1", n)
	}
}

// smtpCode is the SMTP reply code of a net/smtp error, 0 for none.
func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

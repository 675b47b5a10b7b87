package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The person who looks after a manual projector answers invitations with
// `cipmini answer`; the answers change its busy time and go to the
// organizer's server through the queue.
func TestAnswerManualResource(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte(`server_id = "res.test"
[[user]]
name = "projector"
kind = "equipment"
policy = "manual"
invite = "anyone"
password = "lamp"
`), 0o600)
	data := t.TempDir()
	d := startDaemon(t, cfg, data)
	invitation := func(uid, start, end string) string {
		f := filepath.Join(dir, uid+".ics")
		os.WriteFile(f, []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:"+uid+
			"\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:"+start+"\r\nDTEND:"+end+
			"\r\nORGANIZER:mailto:tom@x.test\r\nATTENDEE:mailto:projector@res.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), 0o600)
		return f
	}
	for _, uid := range []string{"one", "two"} {
		start := map[string]string{"one": "20270301T100000Z", "two": "20270302T100000Z"}[uid]
		end := strings.Replace(start, "T10", "T11", 1)
		out, err := runCmd(t, "", "send", "--server", d.addr, invitation(uid, start, end))
		if err != nil || !strings.HasPrefix(out, "* TENTATIVE projector@res.test\n") {
			t.Fatalf("invitation %s: %v\n%s", uid, err, out)
		}
	}
	out, err := runCmd(t, "", "answer", "--server", d.addr, "--login", "projector", "--password", "lamp", "one", "--decline", "--comment", "Lamp broken; sorry")
	if err != nil || out != "OK 000 RSVP stored; sending it on to x.test\n" {
		t.Fatalf("decline: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", "answer", "--server", d.addr, "--login", "projector", "--password", "lamp", "two", "--accept")
	if err != nil || out != "* CONFIRMED projector@res.test\nOK 000 RSVP stored; sending it on to x.test\n" {
		t.Fatalf("accept: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "", "answer", "--server", d.addr, "--login", "projector", "--password", "wrong", "two", "--accept"); err == nil {
		t.Fatalf("a wrong password answered:\n%s", out)
	}
	out, err = runCmd(t, "", "freebusy", "--server", d.addr, "--from", "2027-03-01", "projector@res.test")
	if err != nil || strings.Contains(out, "2027-03-01 10:00Z") || !strings.Contains(out, "2027-03-02 10:00Z  2027-03-02 11:00Z  BUSY\n") {
		t.Fatalf("free/busy after the answers: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", "queue", "--config", cfg, "--data", data)
	if err != nil || strings.Count(out, " x.test ") != 2 || strings.Count(out, " RSVP ") != 2 {
		t.Fatalf("queue: %v\n%s", err, out)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The README's demo: the embedded configuration, a booking of room-1 with
// `cipmini send`, its busy time with `cipmini freebusy`, a clash declined.
func TestReadmeDemo(t *testing.T) {
	d := startDaemon(t, "", t.TempDir())
	demo := filepath.Join("..", "..", "testdata", "demo")
	out, err := runCmd(t, "", "send", "--server", d.addr, filepath.Join(demo, "booking.ics"))
	if err != nil || !strings.Contains(out, "* CONFIRMED room-1@cipmini.local") || !strings.Contains(out, "OK 000") {
		t.Fatalf("send booking: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", "freebusy", "--server", d.addr, "--from", "2027-03-01", "room-1@cipmini.local")
	if err != nil || !strings.Contains(out, "2027-03-02 10:00Z  2027-03-02 11:00Z  BUSY") {
		t.Fatalf("freebusy: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", "send", "--server", d.addr, filepath.Join(demo, "clash.ics"))
	if err != nil || !strings.Contains(out, "* DECLINED room-1@cipmini.local") {
		t.Fatalf("send clash: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", "freebusy", "--server", d.addr, "--from", "20270302T000000Z", "--to", "20270303T000000Z", "--ics", "room-1@cipmini.local")
	if err != nil || !strings.Contains(out, "FREEBUSY;FBTYPE=BUSY:20270302T100000Z/20270302T110000Z") {
		t.Fatalf("freebusy --ics: %v\n%s", err, out)
	}
	// alice's free/busy needs a login.
	out, err = runCmd(t, "", "freebusy", "--server", d.addr, "alice@cipmini.local")
	if err == nil || !strings.Contains(out, "* PERMDENIED alice@cipmini.local") {
		t.Fatalf("anonymous freebusy of alice: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", "freebusy", "--server", d.addr, "--login", "alice", "--password", "wonderland", "alice@cipmini.local")
	if err != nil || !strings.Contains(out, "alice@cipmini.local") || !strings.Contains(out, "free") {
		t.Fatalf("alice's own freebusy: %v\n%s", err, out)
	}
}

func TestPasswdAndCheck(t *testing.T) {
	out, err := runCmd(t, "s3cret\n", "passwd", "--cost", "4")
	hash := strings.TrimSpace(out)
	if err != nil || bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret")) != nil {
		t.Fatalf("passwd: %v %q", err, out)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("server_id = \"r.example\"\n[[user]]\nname = \"room\"\nkind = \"room\"\n[[user]]\nname = \"pat\"\npassword_hash = \"" + hash + "\"\n[[user]]\nname = \"sam\"\npassword = \"plain\"\n")
	out, err = runCmd(t, "", "check", "--config", cfg)
	if err != nil || !strings.Contains(out, "configuration OK") || !strings.Contains(out, "user sam has a plain password") ||
		strings.Contains(out, "user pat has") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for bad, want := range map[string]string{
		"server_id = \"r.example\"\nlisten_on = \":1\"\n": "unknown setting listen_on",
		"listen = \":1\"\n": "server_id is required",
		"server_id = \"r.example\"\n[[user]]\nname = \"x\"\nkind = \"robot\"\n":   "kind = \"robot\"",
		"server_id = \"r.example\"\n[[user]]\nname = \"x\"\npolicy = \"never\"\n": "policy applies to rooms and equipment only",
		"server_id = \"r.example\"\nsync = \"sometimes\"\n":                       "sync = \"sometimes\"",
		"server_id = \"r.example\"\n[[user]]\nname = \"x@elsewhere\"\n":           "not in this server's domains",
	} {
		write(bad)
		out, err := runCmd(t, "", "check", "--config", cfg)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("check of %q: %v\n%s\nwant %q", bad, err, out, want)
		}
	}
	if out, err := runCmd(t, "", "check"); err != nil || !strings.Contains(out, "server cipmini.local: 3 users") {
		t.Fatalf("check of the demo: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "", "frobnicate"); err == nil || !strings.Contains(out, "unknown command") {
		t.Fatalf("unknown command: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "", "version"); err != nil || !strings.HasPrefix(out, "cipmini ") {
		t.Fatalf("version: %v\n%s", err, out)
	}
}

// backup while the server runs and while it is stopped; restore refuses a
// running server and brings the bookings back into an empty directory.
func TestBackupRestore(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, "", data)
	c := d.client(t)
	for i := 0; i < 3; i++ {
		if r, err := c.SendEvent(t.Context(), []byte(booking(i))); err != nil || !r.Completion.OK {
			t.Fatal(err, r)
		}
	}
	live := filepath.Join(t.TempDir(), "live.db")
	if out, err := runCmd(t, "", "backup", "--data", data, live); err != nil {
		t.Fatalf("backup of a running server: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "", "restore", "--data", data, live); err == nil || !strings.Contains(out, "stop the server") {
		t.Fatalf("restore into a running server: %v\n%s", err, out)
	}
	d.stop(t)
	stopped := filepath.Join(t.TempDir(), "stopped.db")
	if out, err := runCmd(t, "", "backup", "--data", data, stopped); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	for _, b := range []string{live, stopped} {
		fresh := t.TempDir()
		if out, err := runCmd(t, "", "restore", "--data", fresh, b); err != nil {
			t.Fatalf("restore: %v\n%s", err, out)
		}
		d := startDaemon(t, "", fresh)
		if got := roomBusy(t, d); len(got) != 3 {
			t.Fatalf("restored %s: %d bookings, want 3", filepath.Base(b), len(got))
		}
		d.stop(t)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	os.WriteFile(garbage, make([]byte, 100), 0o600)
	if out, err := runCmd(t, "", "restore", "--data", t.TempDir(), garbage); err == nil || !strings.Contains(out, "corrupt") {
		t.Fatalf("restore of a corrupt backup: %v\n%s", err, out)
	}
}

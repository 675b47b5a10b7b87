package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/ciptest"
)

const fedA = `server_id = "a.com"
listen = "127.0.0.1:0"
queue_retry_first = "100ms"
queue_retry_max = "500ms"
[[user]]
name = "poleary"
password = "pete"
[[user]]
name = "alex"
[[peer]]
server_id = "b.com"
password = "PASSWORD_B"
login_password = "PASSWORD_A"
`

const fedB = `server_id = "b.com"
listen = "127.0.0.1:0"
queue_retry_first = "100ms"
queue_retry_max = "500ms"
[[user]]
name = "bob"
password = "bob-pw"
[[peer]]
server_id = "a.com"
password = "PASSWORD_A"
login_password = "PASSWORD_B"
`

// projectX is the draft's section 3 event, with concrete values.
const projectX = "UID: projectx@a.com\r\nSEQUENCE: 1\r\nDTSTART: 20270115T150000Z\r\nDTEND: 20270115T160000Z\r\n" +
	"DESCRIPTION: Project X review meeting\r\nATTENDEE; ROLE=OWNER: Pete O'Leary <poleary@a.com>\r\n" +
	"ATTENDEE: Alex SystemA <alex@a.com>\r\nATTENDEE: Bob SystemB <bob@b.com>\r\n"

// publish points the SRV record of a server id at a daemon.
func publish(dns *ciptest.DNSServer, id string, d *daemonProc) {
	_, port, _ := net.SplitHostPort(d.addr)
	p, _ := strconv.Atoi(port)
	dns.SetA("cip."+id, "127.0.0.1")
	dns.SetSRV("_cip._tcp."+id, ciptest.SRV{Priority: 10, Weight: 1, Port: uint16(p), Target: "cip." + id + "."})
}

// eventually retries check every 100 ms for up to 30 s.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var ok bool
		if ok, last = check(); ok {
			return
		}
	}
	t.Fatalf("%s: not within 30 s; last:\n%s", what, last)
}

// The draft's section 3 scenario between two real servers found only
// through DNS SRV: Pete's event, stored on a.com, reaches Bob on b.com; Bob
// accepts on b.com while a.com is down; b.com restarts (kill -9) with the
// answer still queued; a.com comes back on another port; the answer is
// delivered exactly once and a.com's copy shows Bob accepted.
func TestFederationDraftScenario(t *testing.T) {
	dns := ciptest.StartDNS(t)
	cfgDir := t.TempDir()
	aCfg, bCfg := filepath.Join(cfgDir, "a.toml"), filepath.Join(cfgDir, "b.toml")
	os.WriteFile(aCfg, []byte(fedA), 0o600)
	os.WriteFile(bCfg, []byte(fedB), 0o600)
	aData, bData := t.TempDir(), t.TempDir()
	b := startDaemon(t, bCfg, bData, "--dns-resolver", dns.Addr)
	publish(dns, "b.com", b)
	a := startDaemon(t, aCfg, aData, "--dns-resolver", dns.Addr)
	publish(dns, "a.com", a)

	event := filepath.Join(cfgDir, "projectx.txt")
	os.WriteFile(event, []byte(projectX), 0o600)
	out, err := runCmd(t, "", "send", "--server", a.addr, "--login", "poleary", "--password", "pete", event)
	if err != nil || out != "* TENTATIVE alex@a.com\n* NOTFOUND bob@b.com\nOK 000 Stored\n" {
		t.Fatalf("poleary's SENDEVENT at a.com: %v\n%s", err, out)
	}
	// a.com forwards it to b.com, found by SRV; Bob's copy makes him
	// tentatively busy there (read through SRV as well).
	eventually(t, "the event at b.com", func() (bool, string) {
		out, _ := runCmd(t, "", "freebusy", "--dns-resolver", dns.Addr, "--login", "a.com", "--password", "PASSWORD_A",
			"--from", "2027-01-15", "bob@b.com")
		return strings.Contains(out, "2027-01-15 15:00Z  2027-01-15 16:00Z  BUSY-TENTATIVE"), out
	})

	// a.com goes down; Bob accepts on b.com; the answer waits in b.com's queue.
	a.stop(t)
	out, err = runCmd(t, "", "rsvp", "--server", b.addr, "--login", "bob", "--password", "bob-pw",
		"--uid", "projectx@a.com", "--attendee", "bob@b.com", "--status", "accepted", "--sequence", "1")
	if err != nil || out != "* CONFIRMED bob@b.com\nOK 000 RSVP stored; sending it on to a.com\n" {
		t.Fatalf("Bob's RSVP at b.com: %v\n%s", err, out)
	}
	eventually(t, "a failed try in b.com's queue", func() (bool, string) {
		out, _ := runCmd(t, "", "queue", "--config", bCfg, "--data", bData)
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) > 5 && f[1] == "queued" && f[2] == "a.com" && f[3] == "RSVP" && f[5] != "0" {
				return true, out
			}
		}
		return false, out
	})
	b.kill()
	b = startDaemon(t, bCfg, bData, "--dns-resolver", dns.Addr)
	publish(dns, "b.com", b)
	a = startDaemon(t, aCfg, aData, "--dns-resolver", dns.Addr)
	publish(dns, "a.com", a)

	// a.com's copy shows Bob accepted: an RSVP there lists everyone accepted.
	eventually(t, "Bob's answer at a.com", func() (bool, string) {
		c := a.client(t)
		ctx := context.Background()
		if r, err := c.Authenticate(ctx, "poleary", "pete"); err != nil || r.Err() != nil {
			return false, "login failed"
		}
		r, err := c.RSVP(ctx, []byte("UID: projectx@a.com\r\nSEQUENCE: 1\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:poleary@a.com\r\n"))
		if err != nil {
			return false, err.Error()
		}
		var lines []string
		for _, in := range r.Info {
			lines = append(lines, in.String())
		}
		got := strings.Join(append(lines, r.Completion.String()), "\n")
		return got == "* CONFIRMED poleary@a.com\n* CONFIRMED bob@b.com\nOK 000 RSVP stored", got
	})
	eventually(t, "b.com's queue empty", func() (bool, string) {
		out, _ := runCmd(t, "", "queue", "--config", bCfg, "--data", bData)
		return strings.Contains(out, "the outgoing queue is empty"), out
	})
	if n := strings.Count(b.log.String(), `msg="store: delivered" message=`); n != 1 {
		t.Fatalf("b.com delivered %d times:\n%s", n, b.log)
	}
}

// Two servers with certificates from one site CA deliver to each other over
// AUTHENTICATE TLS, authenticated by their certificates, with no password:
// alice's event on a.example reaches bob on b.example.
func TestFederationOverTLS(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	if out, err := runCmd(t, "", "cert", "ca", "--out", caDir); err != nil {
		t.Fatalf("cert ca: %v\n%s", err, out)
	}
	cfg := func(id, other, otherAddr, users string) string {
		crt, key := siteCert(t, caDir, dir, id)
		path := filepath.Join(dir, id+".toml")
		os.WriteFile(path, []byte(`server_id = "`+id+`"
tls_cert = "`+crt+`"
tls_key = "`+key+`"
peer_ca = "`+filepath.Join(caDir, "ca.crt")+`"
tls_listen = ""
queue_retry_first = "100ms"
queue_retry_max = "500ms"
`+users+`
[[peer]]
server_id = "`+other+`"
address = "`+otherAddr+`"
`), 0o600)
		return path
	}
	b := startDaemon(t, cfg("b.example", "a.example", "127.0.0.1:1", "[[user]]\nname = \"bob\"\nfreebusy = \"public\""), t.TempDir())
	a := startDaemon(t, cfg("a.example", "b.example", b.addr, "[[user]]\nname = \"alice\"\npassword = \"alice-pw\""), t.TempDir(),
		"--log-level", "debug")
	event := filepath.Join(dir, "ev.txt")
	os.WriteFile(event, []byte("UID: tlsfed@a.example\r\nSEQUENCE: 0\r\nDTSTART: 20270301T100000Z\r\nDTEND: 20270301T110000Z\r\n"+
		"ATTENDEE; ROLE=OWNER: alice@a.example\r\nATTENDEE: bob@b.example\r\n"), 0o600)
	// alice is local to a.example: TLS is configured there, so her cleartext
	// LOGIN needs allow_plaintext_login; she logs in over the client API.
	c := a.client(t)
	ctx := context.Background()
	caPEM, _ := os.ReadFile(filepath.Join(caDir, "ca.crt"))
	trust, err := cipmini.ParsePeerTrust(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartTLS(ctx, trust.ClientConfig("a.example", nil)); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Authenticate(ctx, "alice", "alice-pw"); err != nil || r.Err() != nil {
		t.Fatalf("login: %v %v", err, r.Err())
	}
	data, _ := os.ReadFile(event)
	if r, err := c.SendEvent(ctx, data); err != nil || !r.Completion.OK {
		t.Fatalf("SENDEVENT: %v %+v", err, r)
	}
	eventually(t, "the event at b.example", func() (bool, string) {
		out, _ := runCmd(t, "", "freebusy", "--server", b.addr, "--from", "2027-03-01", "bob@b.example")
		return strings.Contains(out, "2027-03-01 10:00Z  2027-03-01 11:00Z  BUSY-TENTATIVE"), out + "\n" + a.log.String()
	})
}

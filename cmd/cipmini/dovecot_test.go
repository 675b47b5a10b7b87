package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dovecot is a Dovecot IMAP server of a test: one user, maildir storage,
// TLS only with a certificate of a test CA.
type dovecot struct {
	addr string // localhost:port, implicit TLS
	ca   string // the CA's certificate file
	log  string // Dovecot's log file
}

const (
	imapUser     = "room-mailbox"
	imapPassword = "imap-secret"
)

// startDovecot writes a dovecot.conf in a temporary directory and runs
// `dovecot -F` until the test ends. Dovecot never gives a mailbox to root:
// run as root, the mail belongs to nobody; otherwise everything runs as
// the test's user.
func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		bin = "/usr/sbin/dovecot"
	}
	_, statErr := os.Stat(bin)
	needTool(t, "dovecot (Debian package dovecot-imapd)", statErr == nil)
	dir := t.TempDir()
	// Dovecot's unprivileged processes read inside it.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	caDir := filepath.Join(dir, "ca")
	if out, err := runCmd(t, "", "cert", "ca", "--out", caDir, "--name", "Test mail CA"); err != nil {
		t.Fatalf("cert ca: %v\n%s", err, out)
	}
	crt, key := siteCert(t, caDir, dir, "localhost")
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	mail := filepath.Join(dir, "mail")
	for _, d := range []string{"run", "state", "mail"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	uid, gid, users := me.Uid, me.Gid, ""
	if os.Getuid() == 0 {
		uid, gid = "65534", "65534"
		if err := os.Chown(mail, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	} else {
		g, err := user.LookupGroupId(me.Gid)
		if err != nil {
			t.Fatal(err)
		}
		users = fmt.Sprintf("default_login_user = %s\ndefault_internal_user = %s\ndefault_internal_group = %s\n", me.Username, me.Username, g.Name)
	}
	passwd := filepath.Join(dir, "passwd")
	os.WriteFile(passwd, []byte(imapUser+":{PLAIN}"+imapPassword+"\n"), 0o644)
	logPath := filepath.Join(dir, "dovecot.log")
	conf := fmt.Sprintf(`protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[2]s
%[3]sssl = required
ssl_cert = <%[4]s
ssl_key = <%[5]s
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[6]s
}
userdb {
  driver = static
  args = uid=%[7]s gid=%[8]s home=%[9]s/%%u
}
mail_location = maildir:%[9]s/%%u/Maildir
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = %[10]s
    ssl = yes
  }
}
`, dir, logPath, users, crt, key, passwd, uid, gid, mail, port)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	dieWithTest(cmd)
	out := &syncLog{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	dc := &dovecot{addr: "localhost:" + port, ca: filepath.Join(caDir, "ca.crt"), log: logPath}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := dc.dial()
		if err == nil {
			c.Logout().Wait()
			c.Close()
			return dc
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("dovecot did not serve within 30 s: %v\n%s\n%s", err, out, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dial logs in over TLS, checking the server's certificate.
func (dc *dovecot) dial() (*imapclient.Client, error) {
	b, err := os.ReadFile(dc.ca)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(b)
	c, err := imapclient.DialTLS(dc.addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}})
	if err != nil {
		return nil, err
	}
	if err := c.Login(imapUser, imapPassword).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (dc *dovecot) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := dc.dial()
	if err != nil {
		b, _ := os.ReadFile(dc.log)
		t.Fatalf("IMAP login: %v\n%s", err, b)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// appendMail puts messages into a folder, as the delivering server would.
func (dc *dovecot) appendMail(t *testing.T, folder string, msgs ...string) {
	t.Helper()
	c := dc.client(t)
	for _, m := range msgs {
		a := c.Append(folder, int64(len(m)), nil)
		a.Write([]byte(m))
		a.Close()
		if _, err := a.Wait(); err != nil {
			t.Fatalf("APPEND: %v", err)
		}
	}
}

// folder lists a folder's messages: each one's Message-ID and flags.
func (dc *dovecot) folder(t *testing.T, name string) map[string][]imap.Flag {
	t.Helper()
	c := dc.client(t)
	out := map[string][]imap.Flag{}
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && (ie.Code == imap.ResponseCodeNonExistent || strings.Contains(ie.Text, "doesn't exist")) {
			return out // not made yet
		}
		t.Fatalf("SELECT %s: %v", name, err)
	}
	if sel.NumMessages == 0 {
		return out
	}
	hdr := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-ID"}, Peek: true}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{hdr}}).Collect()
	if err != nil {
		t.Fatalf("FETCH %s: %v", name, err)
	}
	for _, b := range bufs {
		id := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(b.FindBodySection(hdr))), "Message-ID:"))
		if _, dup := out[id]; dup {
			t.Errorf("%s holds %s twice", name, id)
		}
		out[id] = b.Flags
	}
	return out
}

// waitFolder waits until the folder holds n messages and returns them.
func (dc *dovecot) waitFolder(t *testing.T, name string, n int, d *daemonProc) map[string][]imap.Flag {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		m := dc.folder(t, name)
		if len(m) == n {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d messages, want %d:\n%s", name, len(m), n, d.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// imapConfig is mailConfig's daemon polling the Dovecot instead of
// listening to SMTP.
func imapConfig(t *testing.T, dc *dovecot, relay, sync string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "server_id = \"rooms.test\"\nlisten = \"127.0.0.1:0\"\nsync = %q\nsmtp_relay = %q\nsmtp_from = \"rooms@acme.example\"\nqueue_retry_first = \"1s\"\nqueue_retry_max = \"1s\"\n", sync, relay)
	fmt.Fprintf(&b, "imap_server = %q\nimap_ca = %q\nimap_username = %q\nimap_password = %q\nimap_poll = \"200ms\"\n", dc.addr, dc.ca, imapUser, imapPassword)
	b.WriteString("[[user]]\nname = \"alice\"\npassword = \"wonderland\"\n")
	for _, r := range []string{"outlook", "google", "apple", "thunderbird", "x"} {
		fmt.Fprintf(&b, "[[user]]\nname = \"room-%s\"\nkind = \"room\"\nemail = [\"room-%s@acme.example\"]\n", r, r)
	}
	p := filepath.Join(t.TempDir(), "imap.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// delivered is a message as a mailbox holds it: the delivering server's
// Return-Path first.
func delivered(returnPath, msg string) string {
	return "Return-Path: <" + returnPath + ">\r\n" + msg
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// relayReplies counts the REPLYs at the relay by the Message-ID they
// answer.
func relayReplies(t *testing.T, box string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for i := 0; i < relayCount(box); i++ {
		r := relayed(t, box, i)
		out[fmt.Sprint(r["inreplyto"])]++
	}
	return out
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// aliceHash is a bcrypt hash of "wonderland" at the lowest cost, so that the
// tests are quick; the dummy hash of unknown names takes the same cost.
var aliceHash = sync.OnceValue(func() string { return hashAt(bcrypt.MinCost) })

func hashAt(cost int) string {
	h, err := bcrypt.GenerateFromPassword([]byte("wonderland"), cost)
	if err != nil {
		panic(err)
	}
	return string(h)
}

// boundsConfig is a server with a room anyone may book, alice with a
// bcrypt password, a panel PIN and a short failed-login delay; extra goes
// at the top level.
func boundsConfig(t *testing.T, extra string) string {
	t.Helper()
	return boundsConfigHash(t, extra, aliceHash())
}

// boundsConfigHash is boundsConfig with alice's password hash given.
func boundsConfigHash(t *testing.T, extra, hash string) string {
	t.Helper()
	text := fmt.Sprintf(`server_id = "bounds.test"
panel_pin = "4321"
auth_failure_delay = "1ms"
%s
[[user]]
name = "room-1"
kind = "room"
invite = "anyone"

[[user]]
name = "alice"
password_hash = %q
`, extra, hash)
	p := filepath.Join(t.TempDir(), "bounds.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// dialerFrom dials from the loopback address ip (127.0.0.0/8 is all
// loopback on Linux), so that one test can be several clients.
func dialerFrom(ip string) *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
}

// httpFrom is an HTTP client whose connections come from ip.
func httpFrom(ip string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: dialerFrom(ip).DialContext}}
}

// getAs fetches url from ip with HTTP Basic credentials (none when login is
// empty) and returns the status.
func getAs(t *testing.T, c *http.Client, url, login, pw string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if login != "" {
		req.SetBasicAuth(login, pw)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// metric reads one unlabelled value from /metrics.
func metric(t *testing.T, base, name string) int64 {
	t.Helper()
	_, body := httpGet(t, base+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", name, line)
			}
			return n
		}
	}
	t.Fatalf("no %s in /metrics:\n%s", name, body)
	return 0
}

// cipConn is a raw CIP connection from a chosen address.
type cipConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// cipFrom connects to the daemon from ip and returns the connection and
// its first line (the greeting, or a NO 007 refusal).
func cipFrom(t *testing.T, d *daemonProc, ip string) (*cipConn, string) {
	t.Helper()
	conn, err := dialerFrom(ip).DialContext(context.Background(), "tcp", d.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &cipConn{t: t, conn: conn, r: bufio.NewReader(conn)}
	return c, c.line()
}

// line reads one line (without CRLF), "" at EOF or after 30 s.
func (c *cipConn) line() string {
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimRight(s, "\r\n")
}

// cmd sends a command line and returns the completion, skipping
// informational lines.
func (c *cipConn) cmd(line string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		return ""
	}
	return c.completion()
}

func (c *cipConn) completion() string {
	for {
		l := c.line()
		if !strings.HasPrefix(l, "* ") {
			return l
		}
	}
}

// send sends SENDEVENT with data and returns the completion.
func (c *cipConn) send(data []byte) string {
	c.t.Helper()
	w := bufio.NewWriterSize(c.conn, 64<<10)
	w.WriteString("SENDEVENT +\r\n")
	w.Write(data)
	w.WriteString(".\r\n")
	if err := w.Flush(); err != nil {
		return ""
	}
	return c.completion()
}

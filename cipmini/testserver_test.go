package cipmini

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// echoBackend is the test backend: it answers from what it is sent, so that
// transcripts can check framing, dot-stuffing and identities.
//   - SENDEVENT: "* TENTATIVE <addr>" for each ATTENDEE line (the text after
//     its last ':' or inside <...>), then "OK 000 SENDEVENT COMPLETED <lines>
//     lines <octets> octets". Data holding "PANIC" panics; "BLOCK" waits
//     for the release channel.
//   - RSVP: "OK 000 RSVP from <identity>".
//   - FREEBUSY: returns the request as its data block.
type echoBackend struct {
	release chan struct{} // closed or sent on to let a BLOCK command finish
	entered chan struct{} // receives once a BLOCK command is inside
}

func (b *echoBackend) SendEvent(ctx context.Context, req *Request) *Reply {
	if bytes.Contains(req.Data, []byte("PANIC")) {
		panic("test backend told to panic")
	}
	if bytes.Contains(req.Data, []byte("BLOCK")) {
		if b.entered != nil {
			b.entered <- struct{}{}
		}
		<-b.release
	}
	r := &Reply{}
	lines := bytes.Split(bytes.TrimSuffix(req.Data, []byte("\r\n")), []byte("\r\n"))
	if len(req.Data) == 0 {
		lines = nil
	}
	for _, l := range lines {
		if len(l) >= 8 && strings.EqualFold(string(l[:8]), "ATTENDEE") {
			v := l[bytes.LastIndexByte(l, ':')+1:]
			if i := bytes.IndexByte(v, '<'); i >= 0 {
				v = bytes.TrimSuffix(v[i+1:], []byte(">"))
			}
			r.Info = append(r.Info, UserInfo(InfoTentative, string(bytes.TrimSpace(v))))
		}
	}
	r.Completion = OK(CodeNone, "SENDEVENT COMPLETED "+strconv.Itoa(len(lines))+" lines "+
		strconv.Itoa(len(req.Data))+" octets")
	return r
}

func (b *echoBackend) RSVP(ctx context.Context, req *Request) *Reply {
	who := "anonymous"
	switch req.Identity.Kind {
	case User:
		who = "user " + req.Identity.Name
	case Peer:
		who = "peer " + req.Identity.Name
	}
	return &Reply{Completion: OK(CodeNone, "RSVP from "+who)}
}

func (b *echoBackend) FreeBusy(ctx context.Context, req *Request) *Reply {
	return &Reply{Data: bytes.Clone(req.Data), Completion: OK(CodeNone, "FREEBUSY COMPLETED")}
}

// testAuth knows one user and one peer.
type testAuth struct{}

func (testAuth) Login(ctx context.Context, remote net.Addr, identity, password string) (Identity, error) {
	switch {
	case identity == "bill" && password == "aardvark":
		return Identity{Kind: User, Name: "bill@test.example"}, nil
	case identity == "a.com" && password == "PASSWORD_A":
		return Identity{Kind: Peer, Name: "a.com"}, nil
	}
	return Identity{}, ErrAuthFailed
}

// startServer serves srv on a loopback port and returns its address. The
// server is closed when the test ends.
func startServer(t testing.TB, srv *Server) string {
	t.Helper()
	if srv.ServerID == "" {
		srv.ServerID = "test.example"
	}
	if srv.Backend == nil {
		srv.Backend = &echoBackend{}
	}
	if srv.Auth == nil {
		srv.Auth = testAuth{}
	}
	if srv.AuthFailureDelay == 0 {
		srv.AuthFailureDelay = 5 * time.Millisecond
	}
	if srv.Logger == nil {
		srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return l.Addr().String()
}

// rawConn is a test client speaking raw lines.
type rawConn struct {
	t    testing.TB
	conn net.Conn
	lr   *wire.LineReader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, lr: wire.NewLineReader(conn, 1<<20)}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

// expect reads one line and compares it with want.
func (c *rawConn) expect(want string) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.lr.ReadLine()
	if err != nil {
		c.t.Fatalf("want %q, got error %v", want, err)
	}
	if string(line) != want {
		c.t.Fatalf("want %q, got %q", want, line)
	}
}

// expectClosed checks that the server closes the connection within d.
func (c *rawConn) expectClosed(d time.Duration) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(d))
	line, err := c.lr.ReadLine()
	if err == nil {
		c.t.Fatalf("want the connection closed, got %q", line)
	}
	if isTimeout(err) {
		c.t.Fatalf("connection still open after %v", d)
	}
}

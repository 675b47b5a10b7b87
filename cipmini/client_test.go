package cipmini

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func dialClient(t testing.TB, addr string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientAgainstServer(t *testing.T) {
	addr := startServer(t, &Server{})
	c := dialClient(t, addr)
	ctx := context.Background()
	if c.ServerID() != "test.example" {
		t.Fatalf("server id %q", c.ServerID())
	}
	if maj, min := c.Version(); maj != 1 || min != 0 {
		t.Fatalf("version %d.%d", maj, min)
	}
	r, err := c.SendEvent(ctx, []byte("UID: 1@a.com\nATTENDEE: bob@b.com\n.\n..x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Err() != nil || len(r.Info) != 1 || r.Info[0] != (Info{Code: InfoTentative, Args: "bob@b.com"}) {
		t.Fatalf("SENDEVENT answer %+v", r)
	}
	// 4 lines: the "." and "..x" lines arrive as they were sent.
	if r.Completion.Text != "SENDEVENT COMPLETED 4 lines 43 octets" {
		t.Fatalf("completion %q", r.Completion.Text)
	}

	req := "ATTENDEE: room-1@test.example\r\n.\r\n..\r\nDTSTART: 20261130T080000Z\r\n"
	r, err = c.FreeBusy(ctx, []byte(req))
	if err != nil || r.Err() != nil {
		t.Fatal(err, r)
	}
	if string(r.Data) != req {
		t.Fatalf("FREEBUSY data %q, want %q", r.Data, req)
	}

	r, err = c.Authenticate(ctx, "bill", "wrong")
	if err != nil {
		t.Fatal(err)
	}
	var re *ReplyError
	if !errors.As(r.Err(), &re) || re.Completion.Code != CodeNone || re.Completion.Text != "Access denied." {
		t.Fatalf("failed login: %v", r.Err())
	}
	if r, err = c.Authenticate(ctx, "bill", "aardvark"); err != nil || r.Err() != nil {
		t.Fatal(err, r.Err())
	}
	r, err = c.RSVP(ctx, []byte("UID: 1@test.example\r\n"))
	if err != nil || r.Completion.Text != "RSVP from user bill@test.example" {
		t.Fatal(err, r)
	}
	if r, err = c.Noop(ctx); err != nil || !r.Completion.OK {
		t.Fatal(err, r)
	}
	if _, err := c.Authenticate(ctx, "bill\r\nQUIT", "x"); err != ErrBadArgument {
		t.Fatalf("CR LF in an argument: %v", err)
	}
	if _, err := c.Authenticate(ctx, "bill", "two words"); err != ErrBadArgument {
		t.Fatalf("space in an argument: %v", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

// fakeServer accepts one connection and runs script on it.
func fakeServer(t *testing.T, script func(conn net.Conn, r *bufio.Reader)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		script(conn, bufio.NewReader(conn))
	}()
	return l.Addr().String()
}

func TestClientRefusesMajorVersion(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("OK CIP 2.0 future.example\r\n"))
		r.ReadString('\n')
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, addr)
	var pe *ProtocolError
	if !errors.As(err, &pe) || !strings.Contains(pe.Why, "major version 2") {
		t.Fatalf("got %v", err)
	}
}

func TestClientBusyGreeting(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("NO 007 Too many connections\r\n"))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, addr)
	var re *ReplyError
	if !errors.As(err, &re) || re.Completion.Code != CodeTempFailure {
		t.Fatalf("got %v", err)
	}
}

// A peer that sends a "+" go-ahead after the command line: the client skips
// it, for a command without data and before a FREEBUSY data block.
func TestClientSkipsStrayPlus(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("OK CIP 1.0 old.example\r\n"))
		readBlockCommand(r)
		conn.Write([]byte("+\r\n* TENTATIVE bob@b.com\r\nOK 000 stored\r\n"))
		readBlockCommand(r)
		conn.Write([]byte("+\r\n+\r\nBEGIN:VCALENDAR\r\n..\r\nEND:VCALENDAR\r\n.\r\n* NOTFOUND x@old.example\r\nOK 003 partial\r\n"))
		readBlockCommand(r)
		conn.Write([]byte("+\r\nNO 000 nobody here\r\n"))
	})
	c := dialClient(t, addr)
	ctx := context.Background()
	r, err := c.SendEvent(ctx, []byte("UID: 1\r\n"))
	if err != nil || len(r.Info) != 1 || r.Completion != OK(CodeNone, "stored") {
		t.Fatalf("%v %+v", err, r)
	}
	r, err = c.FreeBusy(ctx, []byte("ATTENDEE: x@old.example\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Data) != "BEGIN:VCALENDAR\r\n.\r\nEND:VCALENDAR\r\n" || r.Completion != OK(CodePartial, "partial") ||
		len(r.Info) != 1 || r.Info[0].Code != InfoNotFound {
		t.Fatalf("%+v", r)
	}
	r, err = c.FreeBusy(ctx, []byte("ATTENDEE: y@old.example\r\n"))
	if err != nil || r.Data != nil || r.Completion.OK {
		t.Fatalf("%v %+v", err, r)
	}
}

// readBlockCommand reads a command line and its data block.
func readBlockCommand(r *bufio.Reader) {
	for {
		l, err := r.ReadString('\n')
		if err != nil || l == ".\r\n" {
			return
		}
	}
}

// A server that never answers: the command ends at the client's timeout.
func TestClientTimeout(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("OK CIP 1.0 slow.example\r\n"))
		time.Sleep(3 * time.Second)
	})
	c := dialClient(t, addr)
	c.Timeout = 100 * time.Millisecond
	_, err := c.Noop(context.Background())
	if err == nil || !isTimeout(errors.Unwrap(err)) {
		t.Fatalf("got %v, want a timeout", err)
	}
	// A cancelled context ends a command too.
	c2 := dialClient(t, fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("OK CIP 1.0 slow.example\r\n"))
		time.Sleep(3 * time.Second)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c2.Noop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestClientProtocolError(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("OK CIP 1.0 odd.example\r\n"))
		r.ReadString('\n')
		conn.Write([]byte("HELLO THERE\r\n"))
	})
	c := dialClient(t, addr)
	_, err := c.Noop(context.Background())
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
}

func TestParseCompletion(t *testing.T) {
	for in, want := range map[string]Completion{
		"OK 000 Login complete.": OK(CodeNone, "Login complete."),
		"NO 006":                 NO(CodeTooLarge, ""),
		"ok 003  partial ":       OK(CodePartial, "partial"),
		"OK":                     OK(CodeNone, ""),
		"NO Access denied.":      NO(CodeNone, "Access denied."),
	} {
		got, ok := parseCompletion([]byte(in))
		if !ok || got != want {
			t.Errorf("%q: %+v %v", in, got, ok)
		}
	}
	for _, in := range []string{"OKAY", "* OK", "+", "NOPE 000"} {
		if _, ok := parseCompletion([]byte(in)); ok {
			t.Errorf("%q taken for a completion", in)
		}
	}
}

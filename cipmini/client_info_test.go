package cipmini

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// A peer that answers one RSVP with a flood of informational lines: the
// client keeps at most MaxInfoLines of them, then fails the command and
// closes the connection instead of reading the rest into memory.
func TestClientBoundsInfoLines(t *testing.T) {
	const flood = 300000
	sent := make(chan int, 1)
	addr := fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("OK CIP 1.0 flood.example\r\n"))
		readBlockCommand(r)
		w := bufio.NewWriter(conn)
		n := 0
		for ; n < flood; n++ {
			w.WriteString("* REDIRECT EVENT u@x IS NOW u")
			w.WriteString(strings.Repeat("9", 8))
			w.WriteString("@x\r\n")
			if n%1000 == 999 && w.Flush() != nil {
				break
			}
		}
		if n == flood {
			w.WriteString("OK 000 done\r\n")
			if w.Flush() != nil {
				n--
			}
		}
		sent <- n
	})
	c := dialClient(t, addr)
	r, err := c.RSVP(context.Background(), []byte("UID: 1\r\n"))
	if !errors.Is(err, ErrTooManyInfo) || r != nil {
		t.Fatalf("got %v, %v; want ErrTooManyInfo", r, err)
	}
	if n := <-sent; n >= flood {
		t.Fatalf("the peer wrote all %d lines: the client kept reading", n)
	}
	if _, err := c.Noop(context.Background()); err == nil {
		t.Fatal("the connection is still open after the flood")
	}
}

// The total bytes of informational lines are bounded too, and an answer
// within both bounds is kept whole.
func TestClientBoundsInfoBytes(t *testing.T) {
	long := "* TENTATIVE " + strings.Repeat("x", 900) + "\r\n"
	addr := fakeServer(t, func(conn net.Conn, r *bufio.Reader) {
		conn.Write([]byte("OK CIP 1.0 flood.example\r\n"))
		readBlockCommand(r)
		conn.Write([]byte(strings.Repeat(long, 3) + "OK 000 fine\r\n"))
		readBlockCommand(r)
		conn.Write([]byte(strings.Repeat(long, 10) + "OK 000 fine\r\n"))
	})
	c := dialClient(t, addr)
	c.MaxInfoBytes = 4000
	r, err := c.SendEvent(context.Background(), []byte("UID: 1\r\n"))
	if err != nil || len(r.Info) != 3 {
		t.Fatalf("%v %+v", err, r)
	}
	if _, err := c.SendEvent(context.Background(), []byte("UID: 1\r\n")); !errors.Is(err, ErrTooManyInfo) {
		t.Fatalf("got %v, want ErrTooManyInfo", err)
	}
}

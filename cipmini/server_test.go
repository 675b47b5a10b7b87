package cipmini

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// A panicking backend answers NO 007 and closes that connection only; the
// others keep being served, and the panic is logged with its stack.
func TestBackendPanic(t *testing.T) {
	var logBuf syncBuffer
	srv := &Server{Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}
	addr := startServer(t, srv)
	other := dialRaw(t, addr)
	other.expect("OK CIP 1.0 test.example")

	c := dialRaw(t, addr)
	c.expect("OK CIP 1.0 test.example")
	c.send("SENDEVENT +\r\nUID: PANIC\r\n.\r\n")
	c.expect("NO 007 Internal error")
	c.expectClosed(5 * time.Second)

	other.send("SENDEVENT +\r\nATTENDEE: bob@b.com\r\n.\r\n")
	other.expect("* TENTATIVE bob@b.com")
	other.expect("OK 000 SENDEVENT COMPLETED 1 lines 21 octets")
	third := dialRaw(t, addr)
	third.expect("OK CIP 1.0 test.example")
	third.send("NOOP\r\n")
	third.expect("OK 000")

	log := logBuf.String()
	if !strings.Contains(log, "panic in backend") || !strings.Contains(log, "echoBackend") {
		t.Fatalf("panic not logged with its stack:\n%s", log)
	}
}

// Shutdown wakes idle sessions with NO 007, lets a command in flight finish
// and be answered, and returns once every session has ended.
func TestShutdown(t *testing.T) {
	b := &echoBackend{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	srv := &Server{Backend: b}
	addr := startServer(t, srv)

	idle := dialRaw(t, addr)
	idle.expect("OK CIP 1.0 test.example")
	busy := dialRaw(t, addr)
	busy.expect("OK CIP 1.0 test.example")
	busy.send("SENDEVENT +\r\nUID: BLOCK\r\n.\r\n")
	<-b.entered

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	idle.expect("NO 007 Server shutting down")
	idle.expectClosed(5 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a command in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	busy.expect("OK 000 SENDEVENT COMPLETED 1 lines 12 octets")
	busy.expect("NO 007 Server shutting down")
	busy.expectClosed(5 * time.Second)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// A Shutdown whose context ends first closes the remaining connections.
func TestShutdownDeadline(t *testing.T) {
	b := &echoBackend{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	srv := &Server{Backend: b}
	addr := startServer(t, srv)
	busy := dialRaw(t, addr)
	busy.expect("OK CIP 1.0 test.example")
	busy.send("SENDEVENT +\r\nUID: BLOCK\r\n.\r\n")
	<-b.entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: %v, want DeadlineExceeded", err)
	}
	busy.expectClosed(5 * time.Second)
	close(b.release)
}

// A client trickling one byte at a time cannot hold the connection: the
// deadline covers the whole line.
func TestTrickleDisconnected(t *testing.T) {
	srv := &Server{ReadTimeout: 300 * time.Millisecond}
	addr := startServer(t, srv)
	c := dialRaw(t, addr)
	c.expect("OK CIP 1.0 test.example")
	start := time.Now()
	for i := 0; ; i++ {
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.conn.Write([]byte{"NOOPNOOPNOOP"[i%12]}); err != nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("still connected after 10 s of trickling")
		}
		time.Sleep(50 * time.Millisecond)
		c.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		if line, err := c.lr.ReadLine(); err == nil {
			if string(line) != "NO 007 Idle timeout, closing" {
				t.Fatalf("got %q", line)
			}
			c.expectClosed(5 * time.Second)
			return
		} else if !isTimeout(err) {
			t.Fatalf("closed without an answer: %v", err)
		}
	}
}

// Serve refuses to start without its required fields, and after Shutdown.
func TestServeErrors(t *testing.T) {
	var srv Server
	if err := srv.ListenAndServe("127.0.0.1:0"); err == nil {
		t.Fatal("served without a backend")
	}
	srv = Server{ServerID: "x", Backend: &echoBackend{}}
	srv.Shutdown(context.Background())
	if err := srv.ListenAndServe("127.0.0.1:0"); err != ErrServerClosed {
		t.Fatalf("after Shutdown: %v", err)
	}
}

// Text from a backend cannot break the line structure.
func TestReplyTextSanitized(t *testing.T) {
	srv := &Server{Backend: &crlfBackend{}}
	addr := startServer(t, srv)
	c := dialRaw(t, addr)
	c.expect("OK CIP 1.0 test.example")
	c.send("RSVP +\r\n.\r\n")
	c.expect("* NOTFOUND a  b")
	c.expect("OK 000 x  OK 000 forged")
}

type crlfBackend struct{ echoBackend }

func (*crlfBackend) RSVP(ctx context.Context, req *Request) *Reply {
	return &Reply{Info: []Info{UserInfo(InfoNotFound, "a\r\nb")}, Completion: OK(CodeNone, "x\r\nOK 000 forged")}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)

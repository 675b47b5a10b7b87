package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLineReader(t *testing.T) {
	in := "one\r\ntwo\nthree\r\n" + strings.Repeat("x", 40) + "\r\nfour\r\n\r\nfive"
	lr := NewLineReader(strings.NewReader(in), 32)
	want := []struct {
		line string
		err  error
	}{
		{"one", nil}, {"two", nil}, {"three", nil},
		{"", ErrLineTooLong}, {"four", nil}, {"", nil},
		{"", io.ErrUnexpectedEOF},
	}
	for i, w := range want {
		line, err := lr.ReadLine()
		if err != w.err || string(line) != w.line {
			t.Fatalf("line %d: got %q, %v; want %q, %v", i, line, err, w.line, w.err)
		}
	}
	if _, err := lr.ReadLine(); err != io.EOF {
		t.Fatalf("after the end: %v, want io.EOF", err)
	}
}

func TestLineReaderLimitIsExact(t *testing.T) {
	// The limit counts the CRLF: 30 octets and CRLF fit in 32, 31 do not.
	ok := strings.Repeat("a", 30) + "\r\n"
	long := strings.Repeat("b", 31) + "\r\n"
	lf := strings.Repeat("c", 31) + "\n"
	lr := NewLineReader(strings.NewReader(ok+long+lf), 32)
	if l, err := lr.ReadLine(); err != nil || len(l) != 30 {
		t.Fatalf("30 octets: %q, %v", l, err)
	}
	if _, err := lr.ReadLine(); err != ErrLineTooLong {
		t.Fatalf("31 octets and CRLF: %v, want ErrLineTooLong", err)
	}
	if l, err := lr.ReadLine(); err != nil || len(l) != 31 {
		t.Fatalf("31 octets and LF: %q, %v", l, err)
	}
}

func TestLineReaderDrainsHugeLine(t *testing.T) {
	in := strings.Repeat("z", 1<<20) + "\r\nnext\r\n"
	lr := NewLineReader(strings.NewReader(in), 64)
	if _, err := lr.ReadLine(); err != ErrLineTooLong {
		t.Fatalf("got %v", err)
	}
	if lr.Consumed() != 1<<20+2 {
		t.Fatalf("consumed %d", lr.Consumed())
	}
	if l, err := lr.ReadLine(); err != nil || string(l) != "next" {
		t.Fatalf("after the long line: %q, %v", l, err)
	}
}

func TestLineReaderZeroAllocs(t *testing.T) {
	line := []byte("ATTENDEE;ROLE=OWNER;STATUS=CONFIRMED:bill@abc.com\r\n")
	r := &repeatReader{chunk: bytes.Repeat(line, 64)}
	lr := NewLineReader(r, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := lr.ReadLine(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per line read, want 0", allocs)
	}
}

// repeatReader returns chunk over and over, never EOF.
type repeatReader struct {
	chunk []byte
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.chunk[r.off:])
	r.off = (r.off + n) % len(r.chunk)
	return n, nil
}

func BenchmarkReadLine(b *testing.B) {
	line := []byte("ATTENDEE;ROLE=OWNER;STATUS=CONFIRMED:bill@abc.com\r\n")
	lr := NewLineReader(&repeatReader{chunk: bytes.Repeat(line, 64)}, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := lr.ReadLine(); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzLineReader checks that every line returned is within the limit and has
// no LF, that the reader consumes the whole input and never fails otherwise.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("NOOP\r\nQUIT\r\n"), 16)
	f.Add([]byte("a\nb\r\n\r\n.\r\n"), 20)
	f.Add([]byte(strings.Repeat("x", 100)+"\r\ny\r\n"), 32)
	f.Add([]byte("no end"), 16)
	f.Add([]byte("\r\r\n\n\r"), 17)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		max = 16 + abs(max)%200
		lr := NewLineReader(bytes.NewReader(data), max)
		total := 0
		for {
			line, err := lr.ReadLine()
			total += lr.Consumed()
			if err == io.EOF {
				break
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err == ErrLineTooLong {
				continue
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if len(line) > max-1 || bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line of %d octets over limit %d, or with LF", len(line), max)
			}
		}
		if total != len(data) {
			t.Fatalf("consumed %d of %d octets", total, len(data))
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n {
			return 0
		}
		return -n
	}
	return n
}

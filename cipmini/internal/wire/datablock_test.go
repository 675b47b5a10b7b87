package wire

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestReadDataBlock(t *testing.T) {
	in := "a\r\n..b\r\n.c\r\n\r\n..\r\n.\r\nNOOP\r\n"
	lr := NewLineReader(strings.NewReader(in), 0)
	got, err := ReadDataBlock(lr, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\r\n.b\r\n.c\r\n\r\n.\r\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if l, _ := lr.ReadLine(); string(l) != "NOOP" {
		t.Fatalf("next line %q", l)
	}
}

func TestReadDataBlockEOF(t *testing.T) {
	lr := NewLineReader(strings.NewReader("UID: 1\r\nATTENDEE: x\r\n"), 0)
	got, err := ReadDataBlock(lr, []byte("keep"), 0)
	if err != io.ErrUnexpectedEOF || string(got) != "keep" {
		t.Fatalf("got %q, %v; want nothing handed on and ErrUnexpectedEOF", got, err)
	}
}

func TestReadDataBlockTooLarge(t *testing.T) {
	in := strings.Repeat("0123456789\r\n", 20) + ".\r\nNOOP\r\n"
	lr := NewLineReader(strings.NewReader(in), 0)
	got, err := ReadDataBlock(lr, nil, 100)
	if err != ErrDataTooLarge || len(got) != 0 {
		t.Fatalf("got %d octets, %v", len(got), err)
	}
	if l, _ := lr.ReadLine(); string(l) != "NOOP" {
		t.Fatalf("not in sync: next line %q", l)
	}
}

func TestReadDataBlockUnbounded(t *testing.T) {
	// No terminator within four times the limit: abandoned, not drained forever.
	r := &repeatReader{chunk: []byte("0123456789\r\n")}
	lr := NewLineReader(r, 0)
	_, err := ReadDataBlock(lr, nil, 1000)
	if err != ErrBlockUnbounded {
		t.Fatalf("got %v", err)
	}
}

func TestWriteDataBlock(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	WriteDataBlock(w, []byte("a\n.b\r\n.\r\nlast"))
	w.Flush()
	if want := "a\r\n..b\r\n..\r\nlast\r\n.\r\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

// FuzzDataBlockRoundTrip writes arbitrary data as a block and reads it back:
// the result is the data with CRLF line ends, and the stream stays in sync.
func FuzzDataBlockRoundTrip(f *testing.F) {
	f.Add([]byte("UID: 1\r\n.\r\n..\r\n.x\r\n"))
	f.Add([]byte("no final newline"))
	f.Add([]byte("\n\n\r\n."))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		WriteDataBlock(w, data)
		w.WriteString("NEXT\r\n")
		w.Flush()
		lr := NewLineReader(&out, 1<<20)
		got, err := ReadDataBlock(lr, nil, 1<<20)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if want := canonicalLines(data); !bytes.Equal(got, want) {
			t.Fatalf("round trip: got %q, want %q", got, want)
		}
		if l, err := lr.ReadLine(); err != nil || string(l) != "NEXT" {
			t.Fatalf("out of sync: %q, %v", l, err)
		}
	})
}

// canonicalLines gives every line of data a CRLF end, as a block carries it.
func canonicalLines(data []byte) []byte {
	out := []byte{}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		out = append(append(out, line...), '\r', '\n')
	}
	return out
}

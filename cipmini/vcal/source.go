package vcal

import (
	"bufio"
	"bytes"
	"io"
)

// lineSource yields the physical lines of a data block. readLine returns a
// line without its terminator (LF or CRLF); the slice is valid only until the
// next readLine or peek. Both return io.EOF at the end of the data, and
// ErrLineTooLong or ErrDataTooLarge when a limit is reached.
type lineSource interface {
	readLine() ([]byte, error)
	peek() (byte, error)
	// rest reports whether only white space is left; it may read ahead.
	rest() (onlySpace bool, err error)
}

// bytesSource reads lines from a byte slice without copying.
type bytesSource struct {
	data    []byte
	pos     int
	start   int // offset of the line readLine returned last
	maxLine int
	tooBig  bool
}

func newBytesSource(data []byte, lim *Limits) bytesSource {
	return bytesSource{data: data, maxLine: lim.MaxLineBytes, tooBig: len(data) > lim.MaxBytes}
}

func (b *bytesSource) readLine() ([]byte, error) {
	if b.tooBig {
		return nil, ErrDataTooLarge
	}
	if b.pos >= len(b.data) {
		return nil, io.EOF
	}
	b.start = b.pos
	rest := b.data[b.pos:]
	line := rest
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		line = rest[:i]
		b.pos += i + 1
	} else {
		b.pos = len(b.data)
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > b.maxLine {
		return nil, ErrLineTooLong
	}
	return line, nil
}

func (b *bytesSource) peek() (byte, error) {
	if b.tooBig {
		return 0, ErrDataTooLarge
	}
	if b.pos >= len(b.data) {
		return 0, io.EOF
	}
	return b.data[b.pos], nil
}

func (b *bytesSource) rest() (bool, error) {
	return len(bytes.TrimSpace(b.data[b.pos:])) == 0, nil
}

// readerSource reads lines from a stream through a bufio.Reader. It calls the
// underlying reader only when it needs bytes it does not have.
type readerSource struct {
	br       *bufio.Reader
	acc      []byte // a line longer than the bufio buffer, gathered
	n        int    // octets consumed
	maxLine  int
	maxBytes int
}

// readerBufferSize is the bufio buffer for a stream; longer lines are
// gathered in an extra buffer up to the line limit.
const readerBufferSize = 4096

func newReaderSource(r io.Reader, lim *Limits) *readerSource {
	return &readerSource{
		br:       bufio.NewReaderSize(r, readerBufferSize),
		maxLine:  lim.MaxLineBytes,
		maxBytes: lim.MaxBytes,
	}
}

func (r *readerSource) readLine() ([]byte, error) {
	r.acc = r.acc[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		r.n += len(frag)
		if r.n > r.maxBytes {
			return nil, ErrDataTooLarge
		}
		if err == bufio.ErrBufferFull {
			r.acc = append(r.acc, frag...)
			if len(r.acc) > r.maxLine+1 {
				return nil, ErrLineTooLong
			}
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF && len(frag) == 0 && len(r.acc) == 0 {
			return nil, io.EOF
		}
		line := frag
		if len(r.acc) > 0 {
			r.acc = append(r.acc, frag...)
			line = r.acc
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > r.maxLine {
			return nil, ErrLineTooLong
		}
		return line, nil
	}
}

func (r *readerSource) peek() (byte, error) {
	b, err := r.br.Peek(1)
	if len(b) == 1 {
		return b[0], nil
	}
	return 0, err
}

func (r *readerSource) rest() (bool, error) {
	for {
		c, err := r.br.ReadByte()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		r.n++
		if r.n > r.maxBytes {
			return false, ErrDataTooLarge
		}
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return false, nil
		}
	}
}

package wire

import (
	"bufio"
	"errors"
	"io"
)

// DefaultMaxLineLength is the longest line, CRLF included, that a LineReader
// accepts when no other limit is given (docs/PROTOCOL.md section 3.1).
const DefaultMaxLineLength = 8192

// ErrLineTooLong is returned by LineReader.ReadLine for a line longer than the
// limit. The reader has already consumed the rest of that line, so the next
// ReadLine starts at the following line and the session stays in sync.
var ErrLineTooLong = errors.New("cipmini: line too long")

// LineReader reads CRLF-terminated lines (a bare LF is accepted) of bounded
// length from a stream, without copying: it is a thin layer over
// bufio.Reader.ReadSlice with a buffer exactly as large as the longest line,
// so reading a line allocates nothing.
//
// A LineReader is not safe for concurrent use.
type LineReader struct {
	br  *bufio.Reader
	max int
	// n counts the octets consumed by the last ReadLine, terminator and any
	// drained excess included.
	n int
}

// NewLineReader returns a LineReader over r for lines of at most max octets
// including the line terminator; max <= 0 means DefaultMaxLineLength. Values
// below 16 are raised to 16, bufio's minimum buffer.
func NewLineReader(r io.Reader, max int) *LineReader {
	if max <= 0 {
		max = DefaultMaxLineLength
	}
	if max < 16 {
		max = 16
	}
	return &LineReader{br: bufio.NewReaderSize(r, max), max: max}
}

// Reset makes the reader read from r, discarding any buffered data.
func (lr *LineReader) Reset(r io.Reader) { lr.br.Reset(r); lr.n = 0 }

// Buffered reports how many octets are buffered but not yet returned.
func (lr *LineReader) Buffered() int { return lr.br.Buffered() }

// ReadLine returns the next line without its terminator (CRLF or LF). The slice
// points into the reader's buffer and is valid only until the next call.
//
// A line longer than the limit is consumed up to and including its LF and
// reported as ErrLineTooLong. A final line without a terminator at EOF is
// reported as io.ErrUnexpectedEOF; a clean EOF at a line start as io.EOF. Any
// other error is the underlying reader's (a timeout, for instance), in which
// case the stream is no longer in sync.
func (lr *LineReader) ReadLine() ([]byte, error) {
	line, err := lr.br.ReadSlice('\n')
	lr.n = len(line)
	if err == nil {
		line = line[:len(line)-1]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		return line, nil
	}
	if err == bufio.ErrBufferFull {
		return nil, lr.drain()
	}
	if err == io.EOF && len(line) > 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return nil, err
}

// drain discards the rest of an over-long line, up to and including its LF.
func (lr *LineReader) drain() error {
	for {
		rest, err := lr.br.ReadSlice('\n')
		lr.n += len(rest)
		switch err {
		case nil:
			return ErrLineTooLong
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return io.ErrUnexpectedEOF
		default:
			return err
		}
	}
}

// Consumed reports how many octets the last ReadLine took from the stream,
// including the terminator and, for an over-long line, everything drained.
func (lr *LineReader) Consumed() int { return lr.n }

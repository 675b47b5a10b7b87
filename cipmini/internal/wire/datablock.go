package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DefaultMaxDataBytes is the largest data block, after dot-unstuffing and with
// CRLF line ends, that is accepted when no other limit is given
// (docs/PROTOCOL.md section 3.5).
const DefaultMaxDataBytes = 256 << 10

// drainFactor bounds how far past its limit a data block is drained while
// looking for its terminator: a block larger than drainFactor times the limit
// is not worth keeping the session in sync for, and the connection is closed.
const drainFactor = 4

// ErrDataTooLarge is returned by ReadDataBlock for a block over the limit.
// The block has been read to its terminating "." line, so the stream is in
// sync, unless the reader also returned an error that says otherwise.
var ErrDataTooLarge = errors.New("cipmini: data block too large")

// ErrBlockUnbounded reports a block that ran past drainFactor times the
// limit without a terminator; the stream cannot be brought back in sync.
var ErrBlockUnbounded = errors.New("cipmini: data block without terminator within limit")

// ReadDataBlock reads a dot-terminated data block from lr and appends it to
// buf: dot-stuffing removed (one "." off a line starting with "..", as
// docs/PROTOCOL.md section 3.4 says; a line such as ".x" is kept as it is),
// every line ending in CRLF. Only a line of exactly "." ends the block.
// max <= 0 means DefaultMaxDataBytes.
//
// A block over max octets, or holding an over-long line, is read to its
// terminator and reported as ErrDataTooLarge or ErrLineTooLong (both leave the
// stream in sync); the returned slice is then buf unchanged. A block that runs
// on past four times max without a terminator is abandoned with an error that
// is neither, and the caller should close the connection. EOF before the
// terminator is io.ErrUnexpectedEOF, and nothing is handed on.
func ReadDataBlock(lr *LineReader, buf []byte, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxDataBytes
	}
	start := len(buf)
	var failed error // the first limit breached; reading goes on to the "."
	consumed := 0
	for {
		line, err := lr.ReadLine()
		consumed += lr.Consumed()
		switch {
		case err == ErrLineTooLong:
			if failed == nil {
				failed = ErrLineTooLong
			}
		case err != nil:
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf[:start], err
		case len(line) == 1 && line[0] == '.':
			if failed != nil {
				return buf[:start], failed
			}
			return buf, nil
		case failed == nil:
			if len(line) > 1 && line[0] == '.' && line[1] == '.' {
				line = line[1:]
			}
			if len(buf)-start+len(line)+2 > max {
				failed = ErrDataTooLarge
				buf = buf[:start]
				break
			}
			buf = append(buf, line...)
			buf = append(buf, '\r', '\n')
		}
		if failed != nil && consumed > drainFactor*max {
			return buf[:start], ErrBlockUnbounded
		}
	}
}

// WriteDataBlock writes data to w as a dot-terminated block: every line ends
// in CRLF (a bare LF is given a CR; a last line without a terminator gets
// one), a line starting with "." gets one more, and a "." line ends it.
// It does not flush w.
func WriteDataBlock(w *bufio.Writer, data []byte) error {
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > 0 && line[0] == '.' {
			w.WriteByte('.')
		}
		w.Write(line)
		w.WriteString("\r\n")
	}
	_, err := w.WriteString(".\r\n")
	return err
}

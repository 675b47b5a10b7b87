package vcal

import (
	"bufio"
	"io"

	"github.com/emersion/go-ical"
)

// MaxLineOctets is the longest line Encode writes, line end excluded
// (RFC 5545 section 3.1).
const MaxLineOctets = 75

// Encode writes cal as iCalendar 2.0 text with go-ical's encoder, folding
// every line longer than MaxLineOctets octets (go-ical does not fold) without
// splitting a UTF-8 sequence. It returns go-ical's error for a calendar that
// breaks RFC 5545 (a VEVENT without UID, for instance); the calendars that
// ParseEvents returns always encode. It is safe for concurrent use with
// distinct writers.
func Encode(w io.Writer, cal *ical.Calendar) error {
	bw := bufio.NewWriter(w)
	fw := &foldWriter{w: bw}
	if err := ical.NewEncoder(fw).Encode(cal); err != nil {
		return err
	}
	return bw.Flush()
}

// foldWriter inserts "CRLF SPACE" so that no line exceeds MaxLineOctets
// octets. A fold is placed only before the first byte of a UTF-8 sequence.
type foldWriter struct {
	w *bufio.Writer
	n int // octets on the current line
}

func (f *foldWriter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\r' || c == '\n':
			f.n = 0
		case c&0xC0 == 0x80: // continuation byte: never fold before it
			if f.n >= MaxLineOctets { // only for invalid UTF-8
				f.fold()
			}
			f.n++
		default:
			if f.n+seqLen(c) > MaxLineOctets {
				f.fold()
			}
			f.n++
		}
		if err := f.w.WriteByte(c); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func (f *foldWriter) fold() {
	f.w.WriteString("\r\n ")
	f.n = 1
}

// seqLen is the length of the UTF-8 sequence that starts with c.
func seqLen(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c&0xE0 == 0xC0:
		return 2
	case c&0xF0 == 0xE0:
		return 3
	case c&0xF8 == 0xF0:
		return 4
	}
	return 1
}

package vcal

import (
	"bufio"
	"bytes"
	"io"

	"github.com/emersion/go-ical"
)

// MaxLineOctets is the longest line Encode writes, line end excluded
// (RFC 5545 section 3.1).
const MaxLineOctets = 75

// Encode writes cal as iCalendar 2.0 text as go-ical's encoder does, folding
// every line longer than MaxLineOctets octets (go-ical does not fold) without
// splitting a UTF-8 sequence. It returns go-ical's error for a calendar that
// breaks RFC 5545 (a VEVENT without UID, for instance); the calendars that
// ParseEvents returns always encode. It is safe for concurrent use with
// distinct writers.
func Encode(w io.Writer, cal *ical.Calendar) error {
	eb := encodeBufs.Get().(*encodeBuf)
	defer encodeBufs.Put(eb)
	text, ok := eb.appendTree(eb.out[:0], cal)
	if cap(text) <= 64<<10 {
		eb.out = text[:0]
	}
	if ok {
		_, err := w.Write(text)
		return err
	}
	return encodeGoIcal(w, cal)
}

// appendEncoded appends what Encode writes to b; on an error it returns b.
func (eb *encodeBuf) appendEncoded(b []byte, cal *ical.Calendar) ([]byte, error) {
	if text, ok := eb.appendTree(b, cal); ok {
		return text, nil
	}
	w := bytes.NewBuffer(b)
	if err := encodeGoIcal(w, cal); err != nil {
		return b, err
	}
	return w.Bytes(), nil
}

// EncodeString returns what Encode writes, as a string, with one
// allocation for a calendar Encode writes without go-ical (every calendar
// ParseEvents returns). It is safe for concurrent use.
func EncodeString(cal *ical.Calendar) (string, error) {
	eb := encodeBufs.Get().(*encodeBuf)
	defer encodeBufs.Put(eb)
	text, err := eb.appendEncoded(eb.out[:0], cal)
	if cap(text) <= 64<<10 {
		eb.out = text[:0]
	}
	if err != nil {
		return "", err
	}
	return string(text), nil
}

// encodeGoIcal is Encode with go-ical's encoder.
func encodeGoIcal(w io.Writer, cal *ical.Calendar) error {
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
		var fold bool
		if f.n, fold = foldStep(f.n, c); fold {
			f.w.WriteString("\r\n ")
		}
		if err := f.w.WriteByte(c); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// foldStep takes byte c onto a line of n octets: it returns the line's
// octets after c, and whether "CRLF SPACE" goes before c. A line end
// starts a new line; a fold goes only before the first byte of a UTF-8
// sequence, or before a continuation byte of a full line (invalid UTF-8).
func foldStep(n int, c byte) (int, bool) {
	switch {
	case c == '\r' || c == '\n':
		return 0, false
	case c&0xC0 == 0x80: // continuation byte: never fold before it
		if n >= MaxLineOctets {
			return 2, true
		}
	default:
		if n+seqLen(c) > MaxLineOctets {
			return 2, true
		}
	}
	return n + 1, false
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

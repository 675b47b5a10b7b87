package wire

import (
	"bufio"
	"strings"
)

// WriteText writes s to w with any CR, LF or NUL replaced by a space, so
// that text from a backend can never break the line structure of the
// protocol.
func WriteText(w *bufio.Writer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 {
			c = ' '
		}
		w.WriteByte(c)
	}
}

// ValidArg reports whether s can be sent as one word of a command line: not
// empty, and no space, tab, CR, LF or NUL.
func ValidArg(s string) bool {
	if s == "" {
		return false
	}
	return !strings.ContainsAny(s, " \t\r\n\x00")
}

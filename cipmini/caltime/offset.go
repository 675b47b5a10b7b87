package caltime

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// maxOffsetSeconds bounds UTC offsets: RFC 5545 allows two-digit hours.
const maxOffsetSeconds = 24*3600 - 1

var errBadOffset = errors.New("caltime: bad UTC offset")

// parseOffset parses a UTC offset: "+hh", "+hhmm", "+hhmmss", "+hh:mm" or
// "+hh:mm:ss" with a mandatory sign ("+" or "-"). It returns seconds east
// of UTC.
func parseOffset(s string) (int, error) {
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return 0, errBadOffset
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	rest := s[1:]
	var parts [3]int
	n := 0
	for len(rest) > 0 {
		if n == 3 || len(rest) < 2 || !isDigit(rest[0]) || !isDigit(rest[1]) {
			return 0, errBadOffset
		}
		parts[n] = int(rest[0]-'0')*10 + int(rest[1]-'0')
		n++
		rest = rest[2:]
		if len(rest) > 0 && rest[0] == ':' {
			rest = rest[1:]
			if len(rest) == 0 {
				return 0, errBadOffset
			}
		}
	}
	if parts[1] > 59 || parts[2] > 59 || parts[0] > 23 {
		return 0, errBadOffset
	}
	return sign * (parts[0]*3600 + parts[1]*60 + parts[2]), nil
}

// ParseUTCOffset parses a UTC offset as found in TZOFFSETFROM, TZOFFSETTO
// and numeric date-time suffixes: "+0100", "-0500", "+053000", "+05:30" or
// "-08". It returns the offset in seconds east of UTC.
func ParseUTCOffset(s string) (int, error) {
	off, err := parseOffset(trimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("caltime: bad UTC offset %s", quote(s))
	}
	return off, nil
}

// formatOffset formats seconds east of UTC as "+hhmm" (or "+hhmmss").
func formatOffset(off int) string {
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	b := []byte{sign, byte('0' + off/36000), byte('0' + off/3600%10),
		byte('0' + off/600%6), byte('0' + off/60%10)}
	if s := off % 60; s != 0 {
		b = append(b, byte('0'+s/10), byte('0'+s%10))
	}
	return string(b)
}

// fixedZones caches the locations of whole quarter-hour offsets, the only
// ones seen in practice, so parsing does not allocate a location each time.
var fixedZones sync.Map // int -> *time.Location

// fixedZone returns a location with the constant offset off (seconds east).
func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if off%900 != 0 {
		return time.FixedZone(formatOffset(off), off)
	}
	if l, ok := fixedZones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := fixedZones.LoadOrStore(off, time.FixedZone(formatOffset(off), off))
	return l.(*time.Location)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// trimSpace removes ASCII spaces and tabs (and CR/LF) around s.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

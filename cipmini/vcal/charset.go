package vcal

import (
	"strings"
	"unicode/utf8"
)

// decodeQP decodes a quoted-printable value (RFC 2045 section 6.7). Soft
// line breaks have already been joined by the Scanner. An '=' that is not
// followed by two hex digits is kept as it is, as lenient readers do.
func decodeQP(s string) string {
	if strings.IndexByte(s, '=') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodeCharset converts s from the named character set to UTF-8. UTF-8 and
// US-ASCII data that is not valid UTF-8 is taken as ISO 8859-1, as for data
// without CHARSET (docs/PROTOCOL.md section 3.6). An unknown charset is
// ErrCharset.
func decodeCharset(s, charset string) (string, error) {
	switch normalizeCharset(charset) {
	case "UTF8", "USASCII", "ASCII", "":
		if utf8.ValidString(s) {
			return s, nil
		}
		return latin1ToUTF8(s), nil
	case "ISO88591", "LATIN1", "L1", "CP819", "ISO885911987":
		return latin1ToUTF8(s), nil
	case "WINDOWS1252", "CP1252":
		return tableToUTF8(s, &cp1252), nil
	case "ISO885915", "LATIN9":
		return tableToUTF8(s, &latin9), nil
	}
	return "", ErrCharset
}

// normalizeCharset upper-cases a charset name and drops '-', '_' and ':'.
func normalizeCharset(cs string) string {
	b := make([]byte, 0, len(cs))
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		switch c {
		case '-', '_', ':', ' ':
			continue
		}
		b = append(b, asciiUpper(c))
	}
	return string(b)
}

// latin1ToUTF8 converts ISO 8859-1 bytes to UTF-8.
func latin1ToUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
		} else {
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// tableToUTF8 converts a single-byte charset that equals ISO 8859-1 except
// for the code points in tab (indexed by byte - 0x80; 0 means unchanged).
func tableToUTF8(s string, tab *[128]rune) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < utf8.RuneSelf:
			b.WriteByte(c)
		case tab[c-0x80] != 0:
			b.WriteRune(tab[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// cp1252 holds windows-1252's 0x80-0x9F (undefined bytes map to the C1
// control of the same value, as ISO 8859-1 does).
var cp1252 = [128]rune{
	0x00: '\u20AC', 0x02: '\u201A', 0x03: '\u0192', 0x04: '\u201E', 0x05: '\u2026',
	0x06: '\u2020', 0x07: '\u2021', 0x08: '\u02C6', 0x09: '\u2030', 0x0A: '\u0160',
	0x0B: '\u2039', 0x0C: '\u0152', 0x0E: '\u017D',
	0x11: '\u2018', 0x12: '\u2019', 0x13: '\u201C', 0x14: '\u201D', 0x15: '\u2022',
	0x16: '\u2013', 0x17: '\u2014', 0x18: '\u02DC', 0x19: '\u2122', 0x1A: '\u0161',
	0x1B: '\u203A', 0x1C: '\u0153', 0x1E: '\u017E', 0x1F: '\u0178',
}

// latin9 holds the eight code points where ISO 8859-15 differs from 8859-1.
var latin9 = [128]rune{
	0x24: '\u20AC', 0x26: '\u0160', 0x28: '\u0161', 0x34: '\u017D',
	0x38: '\u017E', 0x3C: '\u0152', 0x3D: '\u0153', 0x3E: '\u0178',
}

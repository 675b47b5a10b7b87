package vcal

import "strings"

// textProps are the properties whose values are TEXT (RFC 5545 section
// 3.3.11): their iCalendar form escapes '\', ';', ',' and newlines.
var textProps = map[string]bool{
	"SUMMARY": true, "DESCRIPTION": true, "LOCATION": true, "COMMENT": true,
	"CONTACT": true, "RESOURCES": true, "CATEGORIES": true, "TZNAME": true,
}

// listProps are TEXT properties holding a list: ',' in iCalendar, ';' in
// vCalendar 1.0.
var listProps = map[string]bool{"CATEGORIES": true, "RESOURCES": true}

// vcal10Text converts a vCalendar 1.0 (or bare-line) property value to its
// iCalendar 2.0 form: vCalendar's "\;" escape is undone, then the text is
// escaped as RFC 5545 wants. A list property has its ';' separators turned
// into ','.
func vcal10Text(name, v string) string {
	if !listProps[name] {
		return escapeText(unescapeVcal10(v))
	}
	var b strings.Builder
	start := 0
	first := true
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] == '\\' && i+1 < len(v) {
			i++
			continue
		}
		if i == len(v) || v[i] == ';' {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(escapeText(unescapeVcal10(v[start:i])))
			start = i + 1
		}
	}
	return b.String()
}

// unescapeVcal10 undoes "\;", "\," and "\\" (vCalendar 1.0 section 2.1.3).
func unescapeVcal10(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			switch v[i+1] {
			case ';', ',', '\\':
				i++
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// EscapeText escapes literal text for an iCalendar TEXT value (RFC 5545
// 3.3.11): backslash, semicolon and comma get a backslash, a line break
// becomes "\n". It is safe for concurrent use.
func EscapeText(s string) string { return escapeText(s) }

// escapeText escapes literal text for an iCalendar TEXT value.
func escapeText(s string) string {
	if strings.IndexAny(s, "\\;,\r\n") < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescapeText returns the literal text of an iCalendar TEXT value.
func unescapeText(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// breakNewlines replaces raw line breaks in a value, which no iCalendar
// value may hold, by the TEXT escape "\n".
func breakNewlines(s string) string {
	if strings.IndexAny(s, "\r\n") < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

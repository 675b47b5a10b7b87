package vcal

import (
	"strings"
	"unicode/utf8"
)

// parseLine splits s.buf into s.line. The line is turned into one string
// (a substring of the data for a Scanner over bytes, unless the line was
// folded); parameter values and value are substrings of it unless they need
// unescaping or decoding, so parsing is linear in the line length. Names
// are interned (internName).
func (s *Scanner) parseLine() error {
	var line string
	if s.owned {
		line = string(s.buf)
	} else {
		line = s.text[s.off : s.off+len(s.buf)]
	}
	ln := &s.line
	lineNo := ln.Line
	synErr := func(err error) error { return &SyntaxError{Line: lineNo, Err: err} }

	i := skipBlanks(line, 0)
	start := i
	for i < len(line) && isNameChar(line[i]) {
		i++
	}
	name := line[start:i]
	i = skipBlanks(line, i)
	if name == "" || (i < len(line) && line[i] != ';' && line[i] != ':') {
		if strings.IndexByte(line[i:], ':') < 0 {
			return synErr(ErrNoColon)
		}
		return synErr(ErrBadName)
	}
	params := s.params[:0]
	for i < len(line) && line[i] == ';' {
		if len(params) >= s.lim.MaxParams {
			return &LimitError{Line: lineNo, Max: s.lim.MaxParams, Err: ErrTooManyParams}
		}
		var p Param
		var err error
		p, i, err = parseParam(line, i+1)
		if err != nil {
			if strings.IndexByte(line[i:], ':') < 0 && err == ErrBadParam {
				return synErr(ErrNoColon)
			}
			return synErr(err)
		}
		params = append(params, p)
	}
	if i >= len(line) {
		return synErr(ErrNoColon)
	}
	// line[i] == ':' here: parseParam stops only at ';' or ':' or fails.
	value := line[skipBlanks(line, i+1):]
	s.params = params
	s.hadParams = s.hadParams || len(params) > 0

	ln.Name = internName(name)
	ln.Params = params
	if !s.hadParams {
		ln.Params = nil // as before the first line with parameters
	}
	switch ln.Name {
	case "BEGIN", "END":
		ln.Value = strings.ToUpper(strings.TrimSpace(value))
		return nil
	}
	v, err := decodeValue(value, ln)
	if err != nil {
		return synErr(err)
	}
	ln.Value = v
	return nil
}

// parseParam parses one parameter starting after its ';'. It returns the
// index of the ';' or ':' that follows it.
func parseParam(line string, i int) (Param, int, error) {
	i = skipBlanks(line, i)
	start := i
	for i < len(line) && isNameChar(line[i]) {
		i++
	}
	name := internName(line[start:i])
	i = skipBlanks(line, i)
	if name == "" || i >= len(line) {
		return Param{}, i, ErrBadParam
	}
	switch line[i] {
	case ';', ':':
		// vCalendar 1.0 parameter without a name: ";QUOTED-PRINTABLE".
		switch name {
		case "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT":
			return Param{Name: "ENCODING", Values: []string{name}}, i, nil
		}
		return Param{Name: "TYPE", Values: []string{name}}, i, nil
	case '=':
	default:
		return Param{}, i, ErrBadParam
	}
	i++
	single := singleValued[name]
	// Size the value list once: a parameter with many values must not
	// reallocate it over and over.
	hint := 1
	for j := i; !single && j < len(line) && line[j] != ';' && line[j] != ':'; j++ {
		if line[j] == ',' {
			hint++
		}
	}
	values := make([]string, 0, hint)
	for {
		i = skipBlanks(line, i)
		var v string
		if i < len(line) && line[i] == '"' {
			end := strings.IndexByte(line[i+1:], '"')
			if end < 0 {
				return Param{}, len(line), ErrUnterminatedQuote
			}
			v = line[i+1 : i+1+end]
			i = skipBlanks(line, i+2+end)
		} else {
			start := i
			escaped := false
			for i < len(line) {
				c := line[i]
				if c == '\\' && i+1 < len(line) && (line[i+1] == ',' || line[i+1] == ';') {
					escaped = true
					i += 2
					continue
				}
				if c == ';' || c == ':' || c == ',' && !single {
					break
				}
				i++
			}
			v = strings.TrimRight(line[start:i], " \t")
			if escaped {
				v = unescapeParam(v)
			}
		}
		if !utf8.ValidString(v) {
			v = latin1ToUTF8(v)
		}
		values = append(values, v)
		if i < len(line) && line[i] == ',' {
			i++
			continue
		}
		break
	}
	if i >= len(line) || (line[i] != ';' && line[i] != ':') {
		return Param{}, i, ErrBadParam
	}
	return Param{Name: name, Values: values}, i, nil
}

// singleValued are the parameters that RFC 5545 and vCalendar 1.0 define
// with one value. A comma in their unquoted value is part of it, as Outlook
// writes "CN=Weaver, Mary"; other parameters are comma-separated lists.
var singleValued = map[string]bool{
	"CN": true, "TZID": true, "ROLE": true, "PARTSTAT": true, "RSVP": true, "CUTYPE": true,
	"SENT-BY": true, "DIR": true, "LANGUAGE": true, "VALUE": true, "ENCODING": true,
	"CHARSET": true, "FBTYPE": true, "RANGE": true, "RELATED": true, "RELTYPE": true,
	"FMTTYPE": true, "ALTREP": true, "STATUS": true, "EXPECT": true, "EMAIL": true,
	"LABEL": true, "SCHEDULE-AGENT": true, "SCHEDULE-STATUS": true,
}

// unescapeParam removes the backslash of "\," and "\;" (Outlook writes
// CN=Room 4.12 (Beamer\, 8 Plätze) without quotes).
func unescapeParam(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == ',' || v[i+1] == ';') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// decodeValue applies ENCODING=QUOTED-PRINTABLE and CHARSET to a raw value
// and converts it to UTF-8.
func decodeValue(raw string, ln *ContentLine) (string, error) {
	enc := strings.ToUpper(ln.Param("ENCODING"))
	cs := ln.Param("CHARSET")
	if enc == "QUOTED-PRINTABLE" || enc == "QP" {
		return decodeCharset(decodeQP(raw), cs)
	}
	if cs != "" {
		return decodeCharset(raw, cs)
	}
	if utf8.ValidString(raw) {
		return raw, nil
	}
	return latin1ToUTF8(raw), nil
}

func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// isNameChar reports whether c may appear in a property or parameter name:
// letters, digits and '-' (RFC 5545), plus '_' and '.' seen in the wild.
func isNameChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}

// isName reports whether s is a non-empty name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

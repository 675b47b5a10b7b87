package sched

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// A stored event record is read back without encoding/json's reflection
// and its validating pre-pass over the whole record: a start reads every
// record (decoding them was over a third of a campus's start), and every
// booking reads the record it changes. decodeRecord reads a record as
// appendRecord and json.Marshal write it, and gives what json.Unmarshal
// would; anything else it declines, and the record goes to encoding/json
// (unmarshalRecord). FuzzDecodeRecord holds the two to the same result.

// recordFields are the keys decodeRecord reads, in the order of
// eventRecord's fields, in which both writers write them. A record with a
// key out of this order, repeated, or not in it (declines, mail) is
// declined.
var recordFields = [...]string{"uid", "seq", "dtstamp", "owner", "cancelled", "ical", "holders",
	"answers", "comments", "updated", "span", "free", "title", "history", "ends"}

// maxRecordNesting bounds how deeply decodeRecord follows the arrays and
// objects of a history before it declines the record.
const maxRecordNesting = 32

// decodeRecord decodes val into r, a zero record, as json.Unmarshal does,
// and reports true; or it reports false, leaving r in any state, for a
// record it does not read: one with a field or a form (blanks, escaped
// keys, null other than a map's, surrogate escapes, invalid UTF-8, numbers that are not
// plain integers) that neither writer writes, or invalid JSON. Every string
// is a copy: nothing of r shares memory with val.
func decodeRecord(val string, r *eventRecord) bool {
	d := recordDecoder{s: val}
	return d.record(r)
}

// recordDecoder reads one record: s is the record's text, i the offset of
// the next byte to read.
type recordDecoder struct {
	s string
	i int
}

func (d *recordDecoder) record(r *eventRecord) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return d.i == len(d.s)
	}
	field := 0
	for {
		name, ok := d.key()
		if !ok {
			return false
		}
		for field < len(recordFields) && recordFields[field] != name {
			field++
		}
		if field == len(recordFields) {
			return false
		}
		if !d.field(name, r) {
			return false
		}
		field++
		if d.next(',') {
			continue
		}
		return d.next('}') && d.i == len(d.s)
	}
}

// field reads the value of the field name, one of recordFields, into r.
func (d *recordDecoder) field(name string, r *eventRecord) (ok bool) {
	switch name {
	case "uid":
		r.UID, ok = d.str()
	case "seq":
		var n int64
		n, ok = d.int()
		r.Sequence = int(n)
		ok = ok && int64(r.Sequence) == n
	case "dtstamp":
		r.DTStamp, ok = d.int()
	case "owner":
		r.Owner, ok = d.str()
	case "cancelled":
		r.Cancelled, ok = d.bool()
	case "ical":
		r.ICal, ok = d.str()
	case "holders":
		r.Holders, ok = d.stringMap()
	case "answers":
		r.Answers, ok = d.stringMap()
	case "comments":
		r.Comments, ok = d.stringMap()
	case "updated":
		r.Updated, ok = d.int()
	case "span":
		var span [2]int64
		if ok = d.next('['); ok {
			span[0], ok = d.int()
		}
		if ok = ok && d.next(','); ok {
			span[1], ok = d.int()
		}
		ok = ok && d.next(']')
		r.Span = &span
	case "free":
		r.Free, ok = d.bool()
	case "title":
		var title string
		title, ok = d.str()
		r.Title = &title
	case "history":
		start := d.i
		if d.i < len(d.s) && d.s[d.i] == '[' {
			ok = d.skip(0)
		}
		r.History = json.RawMessage(d.s[start:d.i])
	case "ends":
		r.Ends, ok = d.int()
	}
	return ok
}

// next consumes c if it is the next byte.
func (d *recordDecoder) next(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// key reads an object's key and the colon after it; a key with an escape
// is declined.
func (d *recordDecoder) key() (string, bool) {
	if !d.next('"') {
		return "", false
	}
	n := strings.IndexByte(d.s[d.i:], '"')
	if n < 0 {
		return "", false
	}
	k := d.s[d.i : d.i+n]
	d.i += n + 1
	if strings.IndexByte(k, '\\') >= 0 || !d.next(':') {
		return "", false
	}
	return k, true
}

// partStats are the answers a record's maps hold, shared instead of copied.
var partStats = [...]string{Accepted, Declined, Tentative, NeedsAction, Delegated}

// str reads a string, unescaped, as a copy.
func (d *recordDecoder) str() (string, bool) {
	raw, n, escaped, ok := d.quoted()
	if !ok {
		return "", false
	}
	if !escaped {
		return strings.Clone(raw), true
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := strings.IndexByte(raw[i:], '\\')
			if j < 0 {
				j = len(raw) - i
			}
			b = append(b, raw[i:i+j]...)
			i += j
			continue
		}
		switch e := raw[i+1]; e {
		case 'u':
			r, _ := hex4(raw[i+2:])
			b = utf8.AppendRune(b, r)
			i += 6
			continue
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default: // '"', '\\', '/'
			c = e
		}
		b = append(b, c)
		i += 2
	}
	return unsafe.String(unsafe.SliceData(b), len(b)), true
}

// quoted reads a string's quoted text raw, checking it: n is its length
// once unescaped, escaped says whether it has escapes. A control
// character, a surrogate escape or invalid UTF-8 is declined.
func (d *recordDecoder) quoted() (raw string, n int, escaped, ok bool) {
	if !d.next('"') {
		return "", 0, false, false
	}
	s, start := d.s, d.i
	ascii := true
	i := start
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			raw = s[start:i]
			d.i = i + 1
			if !ascii && !utf8.ValidString(raw) {
				return "", 0, false, false
			}
			return raw, n, escaped, true
		case c == '\\':
			if i+1 >= len(s) {
				return "", 0, false, false
			}
			escaped = true
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				n++
				i++
			case 'u':
				r, ok := hex4(s[i+2:])
				if !ok || utf16.IsSurrogate(r) {
					return "", 0, false, false
				}
				n += utf8.RuneLen(r)
				i += 5
			default:
				return "", 0, false, false
			}
		case c < 0x20:
			return "", 0, false, false
		default:
			ascii = ascii && c < utf8.RuneSelf
			n++
		}
	}
	return "", 0, false, false
}

// hex4 reads the four hexadecimal digits of a \u escape.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// int reads an integer that fits an int64, written without fraction or
// exponent; number checks its form.
func (d *recordDecoder) int() (int64, bool) {
	start := d.i
	if !d.number() {
		return 0, false
	}
	text := d.s[start:d.i]
	digits := strings.TrimPrefix(text, "-")
	switch {
	case strings.ContainsAny(digits, ".eE"):
		return 0, false
	case len(digits) > 18:
		v, err := strconv.ParseInt(text, 10, 64)
		return v, err == nil
	}
	var v int64
	for _, c := range []byte(digits) {
		v = v*10 + int64(c-'0')
	}
	if len(digits) < len(text) {
		v = -v
	}
	return v, true
}

// bool reads true or false.
func (d *recordDecoder) bool() (bool, bool) {
	switch rest := d.s[d.i:]; {
	case strings.HasPrefix(rest, "true"):
		d.i += 4
		return true, true
	case strings.HasPrefix(rest, "false"):
		d.i += 5
		return false, true
	}
	return false, false
}

// stringMap reads an object of strings whose keys are in increasing order,
// as both writers write them (so none is repeated), or null.
func (d *recordDecoder) stringMap() (map[string]string, bool) {
	if strings.HasPrefix(d.s[d.i:], "null") {
		d.i += 4
		return nil, true // both writers write a nil map so
	}
	if !d.next('{') {
		return nil, false
	}
	m := make(map[string]string, 2)
	if d.next('}') {
		return m, true
	}
	last := ""
	for first := true; ; first = false {
		k, ok := d.str()
		if !ok || !first && k <= last || !d.next(':') {
			return nil, false
		}
		last = k
		v, ok := d.answer()
		if !ok {
			return nil, false
		}
		m[k] = v
		if d.next(',') {
			continue
		}
		return m, d.next('}')
	}
}

// answer reads a string of a map: one of partStats is shared, any other
// is copied.
func (d *recordDecoder) answer() (string, bool) {
	start := d.i
	raw, _, escaped, ok := d.quoted()
	if !ok {
		return "", false
	}
	if escaped {
		d.i = start
		return d.str()
	}
	for _, p := range partStats {
		if raw == p {
			return p, true
		}
	}
	return strings.Clone(raw), true
}

// skip passes over one JSON value, checking it as encoding/json does, but
// declining blanks, surrogate escapes, invalid UTF-8 in strings and
// nesting deeper than maxRecordNesting.
func (d *recordDecoder) skip(depth int) bool {
	if d.i >= len(d.s) || depth > maxRecordNesting {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		_, _, _, ok := d.quoted()
		return ok
	case c == '[':
		d.i++
		if d.next(']') {
			return true
		}
		for {
			if !d.skip(depth + 1) {
				return false
			}
			if !d.next(',') {
				return d.next(']')
			}
		}
	case c == '{':
		d.i++
		if d.next('}') {
			return true
		}
		for {
			if _, _, _, ok := d.quoted(); !ok || !d.next(':') || !d.skip(depth+1) {
				return false
			}
			if !d.next(',') {
				return d.next('}')
			}
		}
	case c == 't' || c == 'f':
		_, ok := d.bool()
		return ok
	case c == 'n':
		if strings.HasPrefix(d.s[d.i:], "null") {
			d.i += 4
			return true
		}
		return false
	default:
		return d.number()
	}
}

// number passes over a JSON number.
func (d *recordDecoder) number() bool {
	s, i := d.s, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	d.i = i
	return true
}

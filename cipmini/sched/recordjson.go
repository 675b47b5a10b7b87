package sched

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// An event record and its history are written byte for byte as
// encoding/json writes them, without its reflection (two allocations for
// every map entry, a sorted key slice for every map): a booking writes both.
// A record with what this file does not write (a mail organizer, declined
// occurrences, a history that encoding/json would rewrite) is left to
// encoding/json.

// jsonBufs holds the buffers of records being written.
var jsonBufs = sync.Pool{New: func() any { return new(jsonBuf) }}

// jsonBuf is one record's scratch: its text and the sorted keys of a map.
type jsonBuf struct {
	b    []byte
	keys []string
}

// put returns j to jsonBufs unless it grew large.
func (j *jsonBuf) put() {
	if cap(j.b) <= 64<<10 && cap(j.keys) <= 1024 {
		clear(j.keys[:cap(j.keys)])
		jsonBufs.Put(j)
	}
}

// appendRecord appends r as json.Marshal writes it, or reports false.
func (j *jsonBuf) appendRecord(b []byte, r *eventRecord) ([]byte, bool) {
	if r.Mail != nil || len(r.Declines) > 0 || len(r.History) > 0 && !plainJSON(r.History) {
		return b, false
	}
	b = append(b, `{"uid":`...)
	b = appendJSONString(b, r.UID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, int64(r.Sequence), 10)
	if r.DTStamp != 0 {
		b = append(b, `,"dtstamp":`...)
		b = strconv.AppendInt(b, r.DTStamp, 10)
	}
	b = append(b, `,"owner":`...)
	b = appendJSONString(b, r.Owner)
	if r.Cancelled {
		b = append(b, `,"cancelled":true`...)
	}
	b = append(b, `,"ical":`...)
	b = appendJSONString(b, r.ICal)
	b = append(b, `,"holders":`...)
	b = j.appendStringMap(b, r.Holders)
	if len(r.Answers) > 0 {
		b = append(b, `,"answers":`...)
		b = j.appendStringMap(b, r.Answers)
	}
	if len(r.Comments) > 0 {
		b = append(b, `,"comments":`...)
		b = j.appendStringMap(b, r.Comments)
	}
	b = append(b, `,"updated":`...)
	b = strconv.AppendInt(b, r.Updated, 10)
	if r.Span != nil {
		b = append(b, `,"span":[`...)
		b = strconv.AppendInt(b, r.Span[0], 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.Span[1], 10)
		b = append(b, ']')
	}
	if r.Free {
		b = append(b, `,"free":true`...)
	}
	if r.Title != nil {
		b = append(b, `,"title":`...)
		b = appendJSONString(b, *r.Title)
	}
	if len(r.History) > 0 {
		b = append(b, `,"history":`...)
		b = append(b, r.History...)
	}
	if r.Ends != 0 {
		b = append(b, `,"ends":`...)
		b = strconv.AppendInt(b, r.Ends, 10)
	}
	return append(b, '}'), true
}

// appendHistory appends entries as json.Marshal writes them.
func (j *jsonBuf) appendHistory(b []byte, entries []HistoryEntry) []byte {
	if entries == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range entries {
		e := &entries[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"t":`...)
		b = strconv.AppendInt(b, e.Time, 10)
		b = append(b, `,"by":`...)
		b = appendJSONString(b, e.By)
		b = append(b, `,"what":`...)
		b = appendJSONString(b, e.Change)
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, int64(e.Sequence), 10)
		if len(e.Answers) > 0 {
			b = append(b, `,"answers":`...)
			b = j.appendStringMap(b, e.Answers)
		}
		if len(e.Reasons) > 0 {
			b = append(b, `,"reasons":`...)
			b = j.appendStringMap(b, e.Reasons)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendStringMap appends m with its keys in order, as json.Marshal does.
func (j *jsonBuf) appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := j.keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	j.keys = keys
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

const jsonHex = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes a string, HTML
// characters escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainJSON reports whether raw is valid JSON that encoding/json would
// write unchanged: no blank outside its strings, no character it escapes
// when it writes raw JSON ('<', '>', '&', U+2028, U+2029), valid UTF-8.
func plainJSON(raw []byte) bool {
	if !utf8.Valid(raw) || !json.Valid(raw) {
		return false
	}
	in := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '<' || c == '>' || c == '&' || c == 0xE2:
			return false // 0xE2 starts U+2028 and U+2029 (and leaves the rest to encoding/json)
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			return false
		}
	}
	return true
}

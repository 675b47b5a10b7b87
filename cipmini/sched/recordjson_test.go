package sched

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// sameJSON checks that a record and a history are written as json.Marshal
// writes them.
func sameJSON(t *testing.T, r *eventRecord, entries []HistoryEntry) {
	t.Helper()
	want, err := json.Marshal(r)
	if err != nil {
		if _, err2 := r.marshal(); err2 == nil {
			t.Fatalf("marshal gave no error, json.Marshal %v", err)
		}
		return
	}
	got, err := r.marshal()
	if err != nil || got != string(want) {
		t.Fatalf("record\n%s (%v)\njson.Marshal\n%s", got, err, want)
	}
	want, err = json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	j := &jsonBuf{}
	if got := j.appendHistory(nil, entries); string(got) != string(want) {
		t.Fatalf("history\n%s\njson.Marshal\n%s", got, want)
	}
}

// oddStrings are strings encoding/json escapes, or writes as they are.
var oddStrings = []string{"", "plain", `q"uote\back`, "<b>&amp;</b>", "tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
	"line\u2028para\u2029", "bad\xffutf8\xc3", "é€😀", "mailto:a@b.test", "{\"t\":1}"}

func oddRecord(s string, i int) (*eventRecord, []HistoryEntry) {
	title := s
	span := [2]int64{int64(i) * 3600, int64(i)*3600 - 7}
	r := &eventRecord{UID: s + "@x", Sequence: i, DTStamp: int64(i % 2), Owner: s, Cancelled: i%3 == 0,
		ICal: "BEGIN:VCALENDAR\r\n" + s, Holders: map[string]string{s: Accepted, "b" + s: s}, Updated: -int64(i),
		Free: i%4 == 1, Ends: int64(i % 5)}
	if i%2 == 0 {
		r.Title, r.Span = &title, &span
		r.Answers = map[string]string{s + "z": Declined, "a": s}
		r.Comments = map[string]string{"c": s}
	}
	if i%7 == 3 {
		r.Holders = nil
	}
	if i%5 == 4 {
		r.Answers = map[string]string{}
	}
	entries := []HistoryEntry{{Time: int64(i), By: "user " + s, Change: "new", Sequence: i},
		{Time: 1, By: s, Change: s, Answers: map[string]string{s: Accepted, "x": ""}, Reasons: map[string]string{s: s}}}
	return r, entries
}

func TestRecordJSONSameAsEncodingJSON(t *testing.T) {
	for i, s := range oddStrings {
		r, entries := oddRecord(s, i)
		sameJSON(t, r, entries)
		r.addHistory(entries[0])
		r.addHistory(entries[1])
		sameJSON(t, r, entries[:1])
		for _, raw := range []string{`[{"t":1,"by":"a b"}]`, `[ {"t":1} ]`, `[{"by":"<"}]`, "[\"\u2028\"]", `[1,`, `{"a":"\"b\" c"}`, "[\"\xff\"]"} {
			r.History = json.RawMessage(raw)
			sameJSON(t, r, nil)
		}
		r.History = nil
		r.Mail = &mailRecord{Organizer: s}
		sameJSON(t, r, entries)
		r.Mail, r.Declines = nil, map[string][]int64{s: {1, 2}}
		sameJSON(t, r, entries)
	}
}

func FuzzRecordJSON(f *testing.F) {
	for i, s := range oddStrings {
		f.Add(s, i)
	}
	f.Fuzz(func(t *testing.T, s string, i int) {
		r, entries := oddRecord(s, i)
		sameJSON(t, r, entries)
		r.History = json.RawMessage(s)
		sameJSON(t, r, entries)
	})
}

// The record writer knows every stored field: a field added to eventRecord
// must be added to appendRecord (or make it hand the record to
// encoding/json) and to this list.
func TestRecordJSONKnowsEveryField(t *testing.T) {
	known := map[string]bool{"uid": true, "seq": true, "dtstamp": true, "owner": true, "cancelled": true,
		"ical": true, "holders": true, "answers": true, "comments": true, "declines": true, "updated": true,
		"span": true, "free": true, "title": true, "history": true, "ends": true, "mail": true}
	typ := reflect.TypeFor[eventRecord]()
	n := 0
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		n++
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); !known[name] {
			t.Errorf("field %s (%q) is not written by appendRecord", f.Name, name)
		}
	}
	if n != len(known) {
		t.Errorf("%d stored fields, %d known", n, len(known))
	}
	typ = reflect.TypeFor[HistoryEntry]()
	if typ.NumField() != 6 {
		t.Errorf("HistoryEntry has %d fields, appendHistory writes 6", typ.NumField())
	}
}

package sched

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"
)

// sameDecoding checks that decodeRecord reads val as json.Unmarshal does,
// when it reads it at all, and that what it read is its own; it reports
// whether decodeRecord read it.
func sameDecoding(t *testing.T, val string) bool {
	t.Helper()
	var got eventRecord
	if !decodeRecord(val, &got) {
		return false
	}
	var want eventRecord
	if err := json.Unmarshal([]byte(val), &want); err != nil {
		t.Fatalf("decodeRecord read what encoding/json refuses (%v):\n%q", err, val)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeRecord read\n%+v\nencoding/json\n%+v\nfrom %q", got, want, val)
	}
	own := func(s string) {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(val)))
		if len(s) > 0 && p >= lo && p < lo+uintptr(len(val)) {
			t.Fatalf("decodeRecord kept %q in the record's text", s)
		}
	}
	own(got.UID)
	own(got.Owner)
	own(got.ICal)
	if got.Title != nil {
		own(*got.Title)
	}
	for _, m := range []map[string]string{got.Holders, got.Answers, got.Comments} {
		for k, v := range m {
			own(k)
			own(v)
		}
	}
	if len(got.History) > 0 {
		own(unsafe.String(&got.History[0], len(got.History)))
	}
	return true
}

// TestDecodeRecordReadsWhatIsWritten shows that the records appendRecord
// writes, odd strings and all, are read by decodeRecord and not handed to
// encoding/json, and those json.Marshal writes too unless they have a
// field decodeRecord does not read.
func TestDecodeRecordReadsWhatIsWritten(t *testing.T) {
	for i, s := range oddStrings {
		r, entries := oddRecord(s, i)
		r.addHistory(entries[0])
		r.addHistory(entries[1])
		for _, raw := range []string{"", `[{"t":1,"by":"a b"}]`, `[]`, `[{"by":"\u003c","x":[1.5e-3,-0,true,false,null,{}]}]`} {
			if raw != "" {
				r.History = json.RawMessage(raw)
			}
			val, err := r.marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !sameDecoding(t, val) {
				t.Errorf("decodeRecord declined a record appendRecord wrote:\n%q", val)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !sameDecoding(t, string(b)) {
				t.Errorf("decodeRecord declined a record json.Marshal wrote:\n%q", b)
			}
		}
		r.Mail = &mailRecord{Organizer: s}
		val, err := r.marshal()
		if err != nil {
			t.Fatal(err)
		}
		if sameDecoding(t, val) {
			t.Errorf("decodeRecord read a record with a mail organizer, which it does not know:\n%q", val)
		}
		var want eventRecord
		if err := json.Unmarshal([]byte(val), &want); err != nil {
			t.Fatal(err)
		}
		rec, err := unmarshalRecord("event:x", val)
		if err != nil || !reflect.DeepEqual(rec.Mail, want.Mail) {
			t.Errorf("unmarshalRecord of a record with a mail organizer: %+v, %v", rec, err)
		}
	}
}

// TestDecodeRecordDeclines lists forms that neither writer writes: each is
// declined, and unmarshalRecord still reads it (or refuses it) as
// encoding/json does.
func TestDecodeRecordDeclines(t *testing.T) {
	for _, val := range []string{
		`{"uid":"a", "seq":1}`,          // a blank
		`{"UID":"a"}`,                   // a key encoding/json matches without case
		`{"u\u0069d":"a"}`,              // an escaped key
		`{"seq":1,"uid":"a"}`,           // out of order
		`{"uid":"a","uid":"b"}`,         // repeated
		`{"uid":null}`,                  // null
		`{"uid":"\ud83d\ude00"}`,        // a surrogate pair
		"{\"uid\":\"\xff\"}",            // invalid UTF-8
		`{"seq":1.0}`,                   // a fraction
		`{"seq":1e2}`,                   // an exponent
		`{"seq":99999999999999999999}`,  // too large
		`{"holders":{"b":"x","a":"y"}}`, // keys out of order
		`{"span":[1,2,3]}`,              // three ends
		`{"history":{"t":1}}`,           // a history that is not an array
		`{"declines":{"r@x":[1]}}`,      // a field it does not read
		`{"uid":"a"}x`,                  // text after the record
		`{"uid":"a"`,                    // cut short
		`{"history":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`, // deep
	} {
		if sameDecoding(t, val) {
			t.Errorf("decodeRecord read %q", val)
		}
		var want eventRecord
		werr := json.Unmarshal([]byte(val), &want)
		got, err := unmarshalRecord("event:x", val)
		if (err == nil) != (werr == nil) {
			t.Errorf("unmarshalRecord(%q): %v, encoding/json: %v", val, err, werr)
		} else if err == nil && (got.UID != want.UID || got.Sequence != want.Sequence) {
			t.Errorf("unmarshalRecord(%q) = %+v, encoding/json %+v", val, got, want)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for i, s := range oddStrings {
		r, entries := oddRecord(s, i)
		r.addHistory(entries[1])
		val, err := r.marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(val)
	}
	f.Add(`{"uid":"campus-0@cipmini.local","seq":0,"dtstamp":1796083200,"owner":"person-2@cipmini.local","ical":"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n","holders":{"person-2@cipmini.local":"ACCEPTED","room-0@cipmini.local":"ACCEPTED"},"updated":1796123888,"span":[1799020800,1799024400],"title":"Meeting 0","history":[{"t":1796123888,"by":"user person-2@cipmini.local","what":"new","seq":0,"answers":{"person-2@cipmini.local":"ACCEPTED"}}]}`)
	f.Add(`{"seq":-9223372036854775808,"updated":9223372036854775807,"ends":-0,"span":[0,-1],"free":false,"cancelled":true}`)
	f.Add(`{"title":"\u0000\u001f\u00e9\u20ac\u2028\/\b\f\n\r\t\"\\"}`)
	f.Fuzz(func(t *testing.T, val string) {
		sameDecoding(t, val)
	})
}

// BenchmarkDecodeRecord reads a stored record of the campus (a one-hour
// booking of a room, as BenchmarkCampus makes them) with decodeRecord and
// with encoding/json.
func BenchmarkDecodeRecord(b *testing.B) {
	val := `{"uid":"campus-0@cipmini.local","seq":0,"dtstamp":1796083200,"owner":"person-2@cipmini.local","ical":"BEGIN:VCALENDAR\r\nPRODID:-//test//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:mailto:room-0@cipmini.l\r\n ocal\r\nDTEND:20270104T010000Z\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20270104T000000Z\r\nORGANIZER:mailto:person-2@cipmini.local\r\nSEQUENCE:0\r\nSUMMARY:Meeting 0\r\nUID:campus-0@cipmini.local\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n","holders":{"person-2@cipmini.local":"ACCEPTED","room-0@cipmini.local":"ACCEPTED"},"updated":1796123888,"span":[1799020800,1799024400],"title":"Meeting 0","history":[{"t":1796123888,"by":"user person-2@cipmini.local","what":"new","seq":0,"answers":{"person-2@cipmini.local":"ACCEPTED","room-0@cipmini.local":"ACCEPTED"}}]}`
	b.Run("decodeRecord", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(val)))
		for b.Loop() {
			var r eventRecord
			if !decodeRecord(val, &r) {
				b.Fatal("declined")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(val)))
		for b.Loop() {
			var r eventRecord
			if err := json.Unmarshal([]byte(val), &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

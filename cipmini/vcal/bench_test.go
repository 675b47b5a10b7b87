package vcal

import (
	"bytes"
	"testing"

	"github.com/emersion/go-ical"
)

// The draft's section 2.2 event as sent in the SENDEVENT data block.
const benchDraftEvent = "DTSTART: 19961231T2000-0500\r\n" +
	"DTEND: 19970101T0600-0500\r\n" +
	"DESCRIPTION: New year's eve party in New York. The Big 2000!\r\n" +
	"ATTENDEE; ROLE=OWNER: Pete O'Leary <poleary@clearblue.com>\r\n" +
	"ATTENDEE: Bill Clinton <president@whitehouse.gov>\r\n" +
	"ATTENDEE: Jen Yip <jen@yip.com>\r\n" +
	"SEQUENCE: 1\r\n" +
	"UID: 23454321abcdabcd@clearblue.com\r\n"

// The same event as valid iCalendar, which go-ical's decoder can read (it
// cannot read the draft's spelling). A trusted constant: go-ical never sees
// untrusted bytes.
const benchICalEvent = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n" +
	"UID:23454321abcdabcd@clearblue.com\r\nDTSTAMP:19961201T000000Z\r\nSEQUENCE:1\r\n" +
	"DTSTART:19970101T010000Z\r\nDTEND:19970101T110000Z\r\n" +
	"DESCRIPTION:New year's eve party in New York. The Big 2000!\r\n" +
	"ORGANIZER;CN=Pete O'Leary:mailto:poleary@clearblue.com\r\n" +
	"ATTENDEE;CN=Bill Clinton:mailto:president@whitehouse.gov\r\n" +
	"ATTENDEE;CN=Jen Yip:mailto:jen@yip.com\r\n" +
	"END:VEVENT\r\nEND:VCALENDAR\r\n"

func BenchmarkParseEventsDraft(b *testing.B) {
	data := []byte(benchDraftEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseEvents(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanDraft(b *testing.B) {
	data := []byte(benchDraftEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sc := newBytesScanner(data, nil)
		for sc.Scan() {
		}
		if sc.Err() != nil {
			b.Fatal(sc.Err())
		}
	}
}

func BenchmarkParseEventsICal(b *testing.B) {
	data := []byte(benchICalEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseEvents(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoIcalDecoder(b *testing.B) {
	data := []byte(benchICalEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ical.NewDecoder(bytes.NewReader(data)).Decode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	events, err := ParseEvents([]byte(benchDraftEvent), nil)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := events[0].Encode(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

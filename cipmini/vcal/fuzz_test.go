package vcal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// literalSeeds work without the corpus.
var literalSeeds = []string{
	"DTSTART: 19961231T2000-0500\r\nDTEND: 19970101T0600-0500\r\nATTENDEE; ROLE=OWNER: Pete O'Leary <poleary@clearblue.com>\r\nATTENDEE: Jen Yip <jen@yip.com>\r\nSEQUENCE: 1\r\nUID: 23454321abcdabcd@clearblue.com\r\n",
	"BEGIN:VCALENDAR\r\nVERSION:1.0\r\nTZ:+01\r\nDAYLIGHT:TRUE;+02;20070325T010000Z;20071028T010000Z;CET;CEST\r\nBEGIN:VEVENT\r\nUID:v\r\nDTSTART:20070315T140000\r\nRRULE:W1 TH #3\r\nSUMMARY;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:caf=E9=\r\n!\r\nATTENDEE;ROLE=OWNER;STATUS=CONFIRMED:a@x\r\nATTENDEE;STATUS=NEEDS ACTION:b@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\nTZID:Z\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:g\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Z:20270302T093000\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEXDATE;TZID=Z:20270303T093000\r\nRDATE;VALUE=PERIOD:20270310T090000Z/PT1H\r\nORGANIZER;CN=\"A, B\":mailto:o@x\r\nATTENDEE;CN=R\\, 1;PARTSTAT=ACCEPTED:mailto:a@x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:g\r\nRECURRENCE-ID;TZID=Z:20270304T093000\r\nDTSTART:20270304T120000Z\r\nORGANIZER:mailto:o@x\r\nATTENDEE:mailto:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"begin:vcalendar\nbegin:vtodo\nuid:t\ndue;value=date:20270203\norganizer:mailto:o@x\nattendee:mailto:a@x\nend:vtodo\nend:vcalendar\n",
	"UID: x\r\nSEQUENCE: 1\r\nATTENDEE: Bob <bob@b.com>\r\nSTATUS: CONFIRMED\r\n",
	"ATTENDEE: room-4@acme.example\r\nDTSTART: 20261130T080000Z\r\nDTEND: 20261204T180000Z\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nATTENDEE:mailto:r@x\r\nDTSTART:20270104T000000Z\r\nDTEND:20270111T000000Z\r\nFREEBUSY;FBTYPE=BUSY:20270104T090000Z/20270104T100000Z,20270105T130000Z/PT1H30M\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n",
	"ATTENDEE;ROLE=OWNER\r\n",
	"X;A=\"unterminated:v\r\n",
}

// addSeeds adds the literal seeds, this package's testdata and, when it is
// available, every file of the shared corpus.
func addSeeds(f *testing.F) {
	for _, s := range literalSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if d := corpusDirQuiet(); d != "" {
		more, _ := filepath.Glob(filepath.Join(d, "handmade", "*.ic[s]"))
		files = append(files, more...)
		more, _ = filepath.Glob(filepath.Join(d, "handmade", "*.vcs"))
		files = append(files, more...)
		more, _ = filepath.Glob(filepath.Join(d, "realworld", "*", "*.ic[s]"))
		files = append(files, more...)
		more, _ = filepath.Glob(filepath.Join(d, "realworld", "*", "*.vcs"))
		files = append(files, more...)
	}
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
}

// corpusDirQuiet finds the corpus like corpusDir but never skips.
func corpusDirQuiet() string {
	if d := os.Getenv("CIPMINI_CORPUS"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "testdata", "corpus")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// fuzzLimits keeps each fuzz input cheap.
var fuzzLimits = &Limits{MaxBytes: 64 << 10, MaxRecurrence: 100, MaxAttendees: 50}

func FuzzScan(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := NewScanner(bytes.NewReader(data), fuzzLimits)
		n := 0
		for sc.Scan() {
			ln := sc.Line()
			if ln.Name == "" || ln.Line < 1 {
				t.Fatalf("bad line %+v", ln)
			}
			n++
		}
		if n > len(data) {
			t.Fatalf("%d lines from %d bytes", n, len(data))
		}
		// The in-memory scanner agrees with the streaming one.
		sb := newBytesScanner(data, fuzzLimits)
		m := 0
		for sb.Scan() {
			m++
		}
		// Over the size limit, the in-memory one refuses at once while the
		// streaming one stops where it reaches the limit, or at an earlier
		// error of its own.
		tooLarge := errors.Is(sb.Err(), ErrDataTooLarge) && sc.Err() != nil
		if errors.Is(sc.Err(), ErrDataTooLarge) && !errors.Is(sb.Err(), ErrDataTooLarge) {
			t.Fatalf("only the reader scanner found the data too large: %d lines, %v", m, sb.Err())
		}
		if m != n && !tooLarge || (sb.Err() == nil) != (sc.Err() == nil) {
			t.Fatalf("bytes scanner: %d lines, %v; reader scanner: %d lines, %v", m, sb.Err(), n, sc.Err())
		}
	})
}

func FuzzParseEvents(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseEvents(data, fuzzLimits)
		if err != nil {
			return
		}
		for _, e := range events {
			var buf bytes.Buffer
			if err := e.Encode(&buf); err != nil {
				t.Fatalf("encode: %v", err)
			}
			again, err := ParseEvents(buf.Bytes(), nil)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, buf.Bytes())
			}
			if len(again) != 1 {
				t.Fatalf("re-parse gave %d events", len(again))
			}
			a := again[0]
			if a.UID != e.UID || a.Sequence != e.Sequence || !a.Start.Equal(e.Start) || !a.End.Equal(e.End) {
				t.Fatalf("round trip: %q %d %v %v, then %q %d %v %v\n%s", e.UID, e.Sequence, e.Start, e.End,
					a.UID, a.Sequence, a.Start, a.End, buf.Bytes())
			}
			if d := modelDiff(e, a); d != "" {
				t.Fatalf("round trip changed the model: %s\n%s", d, buf.Bytes())
			}
		}
	})
}

func FuzzParseReply(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReply(data, fuzzLimits)
		if err != nil {
			return
		}
		if r.UID == "" || len(r.Attendees) == 0 {
			t.Fatalf("accepted a reply without UID or attendee: %+v", r)
		}
		for _, a := range r.Attendees {
			if a.PartStat == "" || a.Address == "" {
				t.Fatalf("attendee without answer or address: %+v", a)
			}
		}
	})
}

func FuzzParseFreeBusyRequest(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ParseFreeBusyRequest(data, fuzzLimits)
		if err != nil {
			return
		}
		if len(req.Users) == 0 || !req.End.After(req.Start) || req.End.Sub(req.Start) > MaxFreeBusyWindow {
			t.Fatalf("accepted request %+v", req)
		}
	})
}

func FuzzParseFreeBusy(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fbs, err := ParseFreeBusy(data, fuzzLimits)
		if err != nil {
			return
		}
		for _, fb := range fbs {
			for _, p := range fb.Periods {
				if p.End.Before(p.Start) || p.Type == "" {
					t.Fatalf("bad period %+v", p)
				}
			}
		}
	})
}

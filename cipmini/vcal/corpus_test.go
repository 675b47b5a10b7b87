package vcal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// wantEvent is what EXPECTED.md says a correct reader makes of an event.
type wantEvent struct {
	uid        string
	seq        int
	start, end time.Time
	organizer  string
	orgCN      string
	attendees  []string // "address PARTSTAT"
	summary    string
	cancelled  bool
	transp     bool
	allDay     bool
	floating   bool
	kind       string
	instances  string // instString of every instance, for recurring events
}

func checkEvent(t *testing.T, e *Event, w wantEvent) {
	t.Helper()
	if e.UID != w.uid {
		t.Errorf("UID %q, want %q", e.UID, w.uid)
	}
	if e.Sequence != w.seq {
		t.Errorf("SEQUENCE %d, want %d", e.Sequence, w.seq)
	}
	if !e.Start.Equal(w.start) || !e.End.Equal(w.end) {
		t.Errorf("%s: times %v - %v, want %v - %v", e.UID, e.Start, e.End, w.start, w.end)
	}
	if e.Start.Location() != time.UTC || e.End.Location() != time.UTC {
		t.Errorf("times not in UTC: %v %v", e.Start.Location(), e.End.Location())
	}
	if e.Organizer.Address != w.organizer {
		t.Errorf("organizer %q, want %q", e.Organizer.Address, w.organizer)
	}
	if w.orgCN != "" && e.Organizer.CN != w.orgCN {
		t.Errorf("organizer CN %q, want %q", e.Organizer.CN, w.orgCN)
	}
	var got []string
	for _, a := range e.Attendees {
		got = append(got, a.Address+" "+a.PartStat)
	}
	if strings.Join(got, ", ") != strings.Join(w.attendees, ", ") {
		t.Errorf("attendees %q, want %q", got, w.attendees)
	}
	if w.summary != "" && e.Summary != w.summary {
		t.Errorf("summary %q, want %q", e.Summary, w.summary)
	}
	kind := w.kind
	if kind == "" {
		kind = "VEVENT"
	}
	if e.Kind != kind {
		t.Errorf("kind %q, want %q", e.Kind, kind)
	}
	flags := fmt.Sprint(e.Cancelled, e.Transparent, e.AllDay, e.Floating)
	if want := fmt.Sprint(w.cancelled, w.transp, w.allDay, w.floating); flags != want {
		t.Errorf("cancelled/transparent/allday/floating %s, want %s", flags, want)
	}
	if w.instances != "" {
		in, err := e.Instances(w.start.AddDate(0, -1, 0), w.start.AddDate(1, 0, 0), 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := instString(in); got != w.instances {
			t.Errorf("instances\n%s\nwant\n%s", got, w.instances)
		}
	}
}

// The expectations below are EXPECTED.md's, written out.
var corpusEvents = []struct {
	file   string
	events []wantEvent
}{
	{"outlook-windows-tz.ics", []wantEvent{{
		uid: "040000008200E00074C5B7101A82E0080000000010A2B3C4D5E6F7000000000000000010000000AB",
		seq: 0, start: utc("2027-01-14T09:00"), end: utc("2027-01-14T10:30"),
		organizer: "mary@tiny.example", orgCN: "Weaver, Mary",
		attendees: []string{"room-412@rooms.tiny.example NEEDS-ACTION", "tom@jumbo.example NEEDS-ACTION"},
		summary:   "Quartalsplanung Q1",
	}}},
	{"google-recurring-override.ics", []wantEvent{{
		uid: "7kq3b9v0a1c2d3e4f5g6h7i8j9@google.com", seq: 0,
		start: utc("2027-03-02T14:30"), end: utc("2027-03-02T15:00"),
		organizer: "tom@jumbo.example", orgCN: "Tom Jones",
		attendees: []string{"projector-a@res.jumbo.example NEEDS-ACTION", "tom@jumbo.example ACCEPTED"},
		summary:   "Stand-up",
		instances: "2027-03-02T14:30-15:00 2027-03-09T14:30-15:00 2027-03-20T14:00-14:30 " +
			"2027-03-23T18:00-18:30@03-23T13:30 2027-03-30T13:30-14:00 2027-04-06T13:30-14:00 " +
			"2027-04-13T13:30-14:00 2027-04-20T13:30-14:00 2027-04-27T13:30-14:00 " +
			"2027-05-04T13:30-14:00 2027-05-11T13:30-14:00 2027-05-18T13:30-14:00 2027-05-25T13:30-14:00",
	}}},
	{"apple-allday-floating.ics", []wantEvent{{
		uid: "5D0C1E6A-9A6B-4C2B-8F7E-1B2C3D4E5F60", start: utc("2027-04-03T00:00"), end: utc("2027-04-05T00:00"),
		organizer: "jen@yip.example", orgCN: "Jen Yip", attendees: []string{"boardroom@yip.example NEEDS-ACTION"},
		transp: true, allDay: true, floating: true, summary: "Offsite (all day)",
	}, {
		uid: "0AB1C2D3-E4F5-4061-8273-94A5B6C7D8E9", start: utc("2027-04-06T09:00"), end: utc("2027-04-06T09:45"),
		organizer: "jen@yip.example", attendees: []string{"boardroom@yip.example NEEDS-ACTION"},
		floating: true, summary: "Floating local-time meeting",
	}}},
	{"thunderbird-reply.ics", []wantEvent{{
		uid: "a1b2c3d4-e5f6-4711-8899-aabbccddeeff", seq: 2,
		start: utc("2027-01-20T15:00"), end: utc("2027-01-20T16:00"),
		organizer: "tom@jumbo.example", attendees: []string{"mary@tiny.example ACCEPTED"},
	}}},
	{"cancel.ics", []wantEvent{{
		uid: "0289AF8G7DD@abc.example", seq: 3, start: utc("2027-01-26T15:30"), end: utc("2027-01-26T16:30"),
		organizer: "bill@abc.example", attendees: []string{"mary@xyz.example NEEDS-ACTION"},
		cancelled: true, summary: "Important Meeting",
	}}},
	// The owner had a STATUS, so it stays an attendee (docs/PROTOCOL.md
	// section 6.3).
	{"vcal10-nokia-qp.vcs", []wantEvent{{
		uid: "nokia-5110-00042", start: utc("2007-04-12T08:00"), end: utc("2007-04-12T09:00"),
		organizer: "bill@abc.example", orgCN: "Bill Spencer",
		attendees: []string{"bill@abc.example ACCEPTED", "room-1@rooms.example NEEDS-ACTION"},
		summary:   "Besprechung München",
	}}},
	{"vcal10-latin1.vcs", []wantEvent{{
		uid: "palm-0001", start: utc("2007-03-15T13:00"), end: utc("2007-03-15T14:00"),
		organizer: "anik@ontime.example",
		attendees: []string{"anik@ontime.example ACCEPTED", "room-1@rooms.example NEEDS-ACTION"},
		summary:   "Réunion café",
	}}},
	{"vtodo.ics", []wantEvent{{
		uid: "todo-17@abc.example", start: utc("2027-02-01T09:00"), end: utc("2027-02-03T17:00"),
		organizer: "bill@abc.example", attendees: []string{"projector@res.example NEEDS-ACTION"},
		kind: "VTODO", summary: "Return the projector",
	}}},
	{"bare-lf-lowercase.ics", []wantEvent{{
		uid: "lower-1@x.example", start: utc("2027-02-10T10:00"), end: utc("2027-02-10T11:00"),
		organizer: "org@x.example", attendees: []string{"room-1@rooms.example NEEDS-ACTION"},
		summary: "lowercase everything",
	}}},
	{"long-folded-description.ics", []wantEvent{{
		uid: "fold-1@x.example", start: utc("2027-02-11T10:00"), end: utc("2027-02-11T12:00"),
		organizer: "org@x.example", attendees: []string{"room-1@rooms.example NEEDS-ACTION"},
		summary: "Folded",
	}}},
}

func TestCorpusEvents(t *testing.T) {
	for _, tt := range corpusEvents {
		t.Run(tt.file, func(t *testing.T) {
			data := readCorpus(t, tt.file)
			events, err := ParseEvents(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != len(tt.events) {
				t.Fatalf("%d events, want %d", len(events), len(tt.events))
			}
			for i, w := range tt.events {
				checkEvent(t, events[i], w)
			}
			// Encoded output re-parses to the same model.
			for _, e := range events {
				out := encodeEvent(t, e)
				again, err := ParseEvents(out, nil)
				if err != nil {
					t.Fatalf("re-parse: %v\n%s", err, out)
				}
				if len(again) != 1 {
					t.Fatalf("re-parse gave %d events", len(again))
				}
				if d := modelDiff(e, again[0]); d != "" {
					t.Errorf("round trip differs: %s\n%s", d, out)
				}
			}
		})
	}
}

func TestCorpusDetails(t *testing.T) {
	t.Run("outlook CN with escaped comma and folded umlaut", func(t *testing.T) {
		events, err := ParseEvents(readCorpus(t, "outlook-windows-tz.ics"), nil)
		if err != nil {
			t.Fatal(err)
		}
		a := events[0].Attendees
		if a[0].CN != "Room 4.12 (Beamer, 8 Plätze)" || a[1].CN != "Jones, Tom" {
			t.Fatalf("CNs %q %q", a[0].CN, a[1].CN)
		}
		if a[0].Role != "REQ-PARTICIPANT" || !a[0].RSVP || a[1].Role != "OPT-PARTICIPANT" {
			t.Fatalf("roles %+v", a)
		}
		// The VALARM and the VTIMEZONE are kept for re-encoding.
		var names []string
		for _, c := range events[0].Calendar.Children {
			names = append(names, c.Name)
			for _, sub := range c.Children {
				names = append(names, sub.Name)
			}
		}
		if got := strings.Join(names, " "); got != "VTIMEZONE STANDARD DAYLIGHT VEVENT VALARM" {
			t.Fatalf("components %s", got)
		}
	})
	t.Run("nokia quoted-printable description", func(t *testing.T) {
		events, err := ParseEvents(readCorpus(t, "vcal10-nokia-qp.vcs"), nil)
		if err != nil {
			t.Fatal(err)
		}
		p := events[0].Calendar.Children[0].Props.Get("DESCRIPTION")
		txt, err := p.Text()
		if err != nil {
			t.Fatal(err)
		}
		if txt != "Erste Zeile\nZweite Zeile mit äöü" {
			t.Fatalf("description %q", txt)
		}
	})
	t.Run("long folded description", func(t *testing.T) {
		events, err := ParseEvents(readCorpus(t, "long-folded-description.ics"), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "Agenda: " + strings.Repeat("item ", 12) +
			strings.Repeat("continued text with ünïcödé characters continued text with ünïcödé cha", 40)
		if got := events[0].Calendar.Children[0].Props.Get("DESCRIPTION").Value; got != want {
			t.Fatalf("description\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("google override", func(t *testing.T) {
		events, err := ParseEvents(readCorpus(t, "google-recurring-override.ics"), nil)
		if err != nil {
			t.Fatal(err)
		}
		e := events[0]
		if !e.Recurring || len(e.Overrides) != 1 {
			t.Fatalf("recurring %v, overrides %d", e.Recurring, len(e.Overrides))
		}
		o := e.Overrides[0]
		if !o.RecurrenceID.Equal(utc("2027-03-23T13:30")) || !o.Start.Equal(utc("2027-03-23T18:00")) ||
			!o.End.Equal(utc("2027-03-23T18:30")) || o.Sequence != 1 {
			t.Fatalf("override %+v", o)
		}
	})
}

func TestCorpusReplyAndFreeBusy(t *testing.T) {
	r, err := ParseReply(readCorpus(t, "thunderbird-reply.ics"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.UID != "a1b2c3d4-e5f6-4711-8899-aabbccddeeff" || r.Sequence != 2 || r.Method != "REPLY" ||
		len(r.Attendees) != 1 || r.Attendees[0].Address != "mary@tiny.example" ||
		r.Attendees[0].PartStat != "ACCEPTED" || r.Attendees[0].CN != "Mary Weaver" {
		t.Fatalf("reply %+v", r)
	}

	fbs, err := ParseFreeBusy(readCorpus(t, "freebusy-reply.ics"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fbs) != 1 {
		t.Fatalf("%d VFREEBUSY", len(fbs))
	}
	fb := fbs[0]
	if fb.UID != "fb-20270101-room4@rooms.tiny.example" || fb.Organizer.Address != "tom@jumbo.example" ||
		strings.Join(fb.Attendees, ",") != "room-412@rooms.tiny.example" ||
		!fb.Start.Equal(utc("2027-01-04T00:00")) || !fb.End.Equal(utc("2027-01-11T00:00")) {
		t.Fatalf("freebusy %+v", fb)
	}
	want := []BusyPeriod{
		{utc("2027-01-04T09:00"), utc("2027-01-04T10:00"), "BUSY"},
		{utc("2027-01-05T13:00"), utc("2027-01-05T14:30"), "BUSY"},
		{utc("2027-01-06T08:00"), utc("2027-01-06T08:30"), "BUSY-TENTATIVE"},
	}
	if len(fb.Periods) != len(want) {
		t.Fatalf("periods %v", fb.Periods)
	}
	for i, w := range want {
		p := fb.Periods[i]
		if !p.Start.Equal(w.Start) || !p.End.Equal(w.End) || p.Type != w.Type {
			t.Errorf("period %d: %v, want %v", i, p, w)
		}
	}
	// It is not an event.
	var me *MissingError
	if _, err := ParseEvents(readCorpus(t, "freebusy-reply.ics"), nil); !errors.As(err, &me) || me.Prop != "VEVENT" {
		t.Fatalf("ParseEvents on VFREEBUSY: %v", err)
	}
}

func TestCorpusInvalid(t *testing.T) {
	tests := []struct {
		file  string
		check func(error) bool
		what  string
	}{
		{"invalid-missing-end.ics", func(err error) bool { return errors.Is(err, ErrUnexpectedEnd) }, "unexpected end"},
		{"invalid-no-colon-param.ics", func(err error) bool { return errors.Is(err, ErrNoColon) }, "no colon"},
		{"invalid-bad-date.ics", func(err error) bool {
			var pe *PropError
			return errors.As(err, &pe) && pe.Prop == "DTSTART" && strings.HasPrefix(err.Error(), "vcal: bad DTSTART")
		}, "bad DTSTART"},
		{"invalid-no-uid.ics", func(err error) bool {
			var me *MissingError
			return errors.As(err, &me) && me.Prop == "UID" && err.Error() == "vcal: UID required"
		}, "UID required"},
		{"invalid-mismatched-end.ics", func(err error) bool { return errors.Is(err, ErrMismatchedEnd) }, "mismatched END"},
		{"invalid-deep-nesting.ics", func(err error) bool {
			var le *LimitError
			return errors.As(err, &le) && errors.Is(err, ErrTooDeep) && le.Max == DefaultMaxDepth
		}, "nesting limit"},
		{"invalid-unterminated-quote.ics", func(err error) bool { return errors.Is(err, ErrUnterminatedQuote) }, "unterminated quote"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readCorpus(t, tt.file)
			events, err := ParseEvents(data, nil)
			if err == nil {
				t.Fatalf("accepted: %+v", events[0])
			}
			if !tt.check(err) {
				t.Fatalf("error %q (%T), want %s", err, err, tt.what)
			}
			// The reply and free/busy parsers reject it without panicking too.
			if _, err := ParseReply(data, nil); err == nil && tt.file != "invalid-bad-date.ics" && tt.file != "invalid-no-uid.ics" {
				t.Errorf("ParseReply accepted it")
			}
			ParseFreeBusyRequest(data, nil)
			ParseFreeBusy(data, nil)
		})
	}
}

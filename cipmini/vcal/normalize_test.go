package vcal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// event wraps property lines into a VCALENDAR/VEVENT with the required
// properties, which extra lines may repeat or complete.
func event(lines ...string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n" + strings.Join(lines, "\r\n") +
		"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

var required = []string{"UID:u-1", "ORGANIZER:mailto:o@x.example", "ATTENDEE:mailto:a@x.example"}

func withRequired(lines ...string) []byte {
	return event(append(append([]string{}, required...), lines...)...)
}

func parseOne(t *testing.T, data []byte, lim *Limits) *Event {
	t.Helper()
	events, err := ParseEvents(data, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("%d events", len(events))
	}
	out := encodeEvent(t, events[0])
	again, err := ParseEvents(out, lim)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	if d := modelDiff(events[0], again[0]); d != "" {
		t.Fatalf("round trip: %s\n%s", d, out)
	}
	return events[0]
}

func TestNormalizeAddress(t *testing.T) {
	tests := map[string]string{
		"Pete O'Leary <Poleary@ClearBlue.COM>": "poleary@clearblue.com",
		"<president@whitehouse.gov>":           "president@whitehouse.gov",
		"MAILTO:Bill@ABC.com":                  "bill@abc.com",
		"mailto:jen@yip.com":                   "jen@yip.com",
		" bill@abc.com ":                       "bill@abc.com",
		"<mailto:X@Y.example>":                 "x@y.example",
		"Ünï@Straße.example":                   "Ünï@straße.example",
		"urn:uuid:ABC":                         "urn:uuid:abc",
	}
	for in, want := range tests {
		if got := NormalizeAddress(in); got != want {
			t.Errorf("NormalizeAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPartStatMapping(t *testing.T) {
	tests := map[string]string{
		"ACCEPTED": "ACCEPTED", "CONFIRMED": "ACCEPTED", "NEEDS ACTION": "NEEDS-ACTION",
		"needs-action": "NEEDS-ACTION", "SENT": "NEEDS-ACTION", "DECLINED": "DECLINED",
		"TENTATIVE": "TENTATIVE", "DELEGATED": "DELEGATED", "COMPLETED": "COMPLETED", "X-MAYBE": "X-MAYBE",
	}
	for in, want := range tests {
		for _, param := range []string{"STATUS", "PARTSTAT"} {
			e := parseOne(t, event("UID:p", "DTSTART:20270101T100000Z", "ORGANIZER:mailto:o@x",
				"ATTENDEE;"+param+"="+in+":mailto:a@x"), nil)
			if got := e.Attendees[0].PartStat; got != want {
				t.Errorf("%s=%s: %s, want %s", param, in, got, want)
			}
		}
	}
	_, err := ParseEvents(withRequired("DTSTART:20270101T100000Z", "ATTENDEE;STATUS=BOGUS:mailto:b@x"), nil)
	var pe *PropError
	if !errors.As(err, &pe) || pe.Prop != "ATTENDEE" {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestOwner(t *testing.T) {
	// Without STATUS the owner is only the organizer.
	e := parseOne(t, event("UID:o", "DTSTART:20270101T100000Z", "ATTENDEE;ROLE=OWNER:Pete <p@x>",
		"ATTENDEE:a@x"), nil)
	if e.Organizer.Address != "p@x" || e.Organizer.CN != "Pete" || len(e.Attendees) != 1 || e.Attendees[0].Address != "a@x" {
		t.Fatalf("owner without status: %+v %+v", e.Organizer, e.Attendees)
	}
	// With STATUS it stays an attendee, as CHAIR.
	e = parseOne(t, event("UID:o", "DTSTART:20270101T100000Z", "ATTENDEE;ROLE=OWNER;STATUS=CONFIRMED:p@x",
		"ATTENDEE;ROLE=ATTENDEE;RSVP=YES:a@x"), nil)
	if e.Organizer.Address != "p@x" || len(e.Attendees) != 2 || e.Attendees[0].Role != "CHAIR" ||
		e.Attendees[0].PartStat != "ACCEPTED" || e.Attendees[1].Role != "REQ-PARTICIPANT" || !e.Attendees[1].RSVP {
		t.Fatalf("owner with status: %+v", e.Attendees)
	}
	// An ORGANIZER wins over a vCalendar owner.
	e = parseOne(t, withRequired("DTSTART:20270101T100000Z", "ATTENDEE;ROLE=OWNER:z@x"), nil)
	if e.Organizer.Address != "o@x.example" {
		t.Fatalf("organizer %+v", e.Organizer)
	}
}

func TestRequiredProperties(t *testing.T) {
	tests := []struct {
		prop  string
		lines []string
	}{
		{"UID", []string{"DTSTART:20270101T100000Z", "ORGANIZER:mailto:o@x", "ATTENDEE:mailto:a@x"}},
		{"ORGANIZER", []string{"UID:1", "DTSTART:20270101T100000Z", "ATTENDEE:mailto:a@x"}},
		{"ATTENDEE", []string{"UID:1", "DTSTART:20270101T100000Z", "ORGANIZER:mailto:o@x"}},
		{"ATTENDEE", []string{"UID:1", "DTSTART:20270101T100000Z", "ATTENDEE;ROLE=OWNER:o@x"}},
		{"DTSTART", []string{"UID:1", "ORGANIZER:mailto:o@x", "ATTENDEE:mailto:a@x"}},
	}
	for _, tt := range tests {
		_, err := ParseEvents(event(tt.lines...), nil)
		var me *MissingError
		if !errors.As(err, &me) || me.Prop != tt.prop || err.Error() != "vcal: "+tt.prop+" required" {
			t.Errorf("%v: error %v, want %s required", tt.lines, err, tt.prop)
		}
	}
	if _, err := ParseEvents([]byte("\r\n \r\n"), nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty data: %v", err)
	}
}

func TestSequence(t *testing.T) {
	for _, ok := range []struct {
		v    string
		want int
	}{{"0", 0}, {" 7", 7}, {"2147483647", 2147483647}} {
		e := parseOne(t, withRequired("DTSTART:20270101T100000Z", "SEQUENCE:"+ok.v), nil)
		if e.Sequence != ok.want {
			t.Errorf("SEQUENCE:%s = %d", ok.v, e.Sequence)
		}
	}
	for _, bad := range []string{"2147483648", "-1", "x", "1.5", "99999999999", ""} {
		_, err := ParseEvents(withRequired("DTSTART:20270101T100000Z", "SEQUENCE:"+bad), nil)
		var pe *PropError
		if !errors.As(err, &pe) || pe.Prop != "SEQUENCE" {
			t.Errorf("SEQUENCE:%s: %v", bad, err)
		}
	}
	e := parseOne(t, withRequired("DTSTART:20270101T100000Z"), nil)
	if e.Sequence != 0 {
		t.Errorf("default SEQUENCE %d", e.Sequence)
	}
}

func TestEndDefaults(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		start, end string
		allDay     bool
	}{
		{"dtend", []string{"DTSTART:20270101T100000Z", "DTEND:20270101T113000Z"}, "2027-01-01T10:00", "2027-01-01T11:30", false},
		{"duration", []string{"DTSTART:20270101T100000Z", "DURATION:PT1H15M"}, "2027-01-01T10:00", "2027-01-01T11:15", false},
		{"duration days", []string{"DTSTART;VALUE=DATE:20270101", "DURATION:P2D"}, "2027-01-01T00:00", "2027-01-03T00:00", true},
		{"date", []string{"DTSTART;VALUE=DATE:20270101"}, "2027-01-01T00:00", "2027-01-02T00:00", true},
		{"date without VALUE", []string{"DTSTART:20270101"}, "2027-01-01T00:00", "2027-01-02T00:00", true},
		{"none", []string{"DTSTART:20270101T100000Z"}, "2027-01-01T10:00", "2027-01-01T10:00", false},
		{"dtend wins over duration", []string{"DTSTART:20270101T100000Z", "DTEND:20270101T110000Z", "DURATION:PT5H"}, "2027-01-01T10:00", "2027-01-01T11:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, withRequired(tt.lines...), nil)
			if !e.Start.Equal(utc(tt.start)) || !e.End.Equal(utc(tt.end)) || e.AllDay != tt.allDay {
				t.Fatalf("%v - %v allday %v", e.Start, e.End, e.AllDay)
			}
		})
	}
	_, err := ParseEvents(withRequired("DTSTART:20270101T100000Z", "DTEND:20270101T090000Z"), nil)
	var pe *PropError
	if !errors.As(err, &pe) || pe.Prop != "DTEND" {
		t.Fatalf("end before start: %v", err)
	}
	_, err = ParseEvents(withRequired("DTSTART:20270101T100000Z", "DURATION:-PT1H"), nil)
	if !errors.As(err, &pe) || pe.Prop != "DURATION" {
		t.Fatalf("negative duration: %v", err)
	}
}

func TestFloatingLocation(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	data := withRequired("DTSTART:20270706T090000", "DURATION:PT45M")
	e := parseOne(t, data, nil)
	if !e.Floating || !e.Start.Equal(utc("2027-07-06T09:00")) {
		t.Fatalf("default floating: %v", e.Start)
	}
	e = parseOne(t, data, &Limits{Floating: berlin})
	if !e.Floating || !e.Start.Equal(utc("2027-07-06T07:00")) || !e.End.Equal(utc("2027-07-06T07:45")) {
		t.Fatalf("floating in Berlin: %v %v", e.Start, e.End)
	}
}

func TestCancellation(t *testing.T) {
	e := parseOne(t, withRequired("DTSTART:20270101T100000Z", "STATUS:CANCELLED"), nil)
	if !e.Cancelled {
		t.Fatal("STATUS:CANCELLED not cancelled")
	}
	data := []byte("BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\n" + strings.Join(required, "\r\n") +
		"\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	e = parseOne(t, data, nil)
	if !e.Cancelled || e.Method != "CANCEL" {
		t.Fatalf("METHOD:CANCEL: cancelled %v method %q", e.Cancelled, e.Method)
	}
	// A cancellation of one occurrence: only an override, no master.
	data = []byte("BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\n" + strings.Join(required, "\r\n") +
		"\r\nRECURRENCE-ID:20270108T100000Z\r\nDTSTART:20270108T100000Z\r\nSTATUS:CANCELLED\r\nSEQUENCE:2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	e = parseOne(t, data, nil)
	if !e.Cancelled || !e.RecurrenceID.Equal(utc("2027-01-08T10:00")) || len(e.Overrides) != 1 || !e.Overrides[0].Cancelled || e.Sequence != 2 {
		t.Fatalf("occurrence cancel: %+v", e)
	}
}

func TestSubjectAndText(t *testing.T) {
	e := parseOne(t, []byte("UID:s\r\nDTSTART:20270101T100000Z\r\nATTENDEE;ROLE=OWNER:o@x\r\nATTENDEE:a@x\r\n"+
		"SUBJECT: Budget; costs, plans\r\nDESCRIPTION;ENCODING=QUOTED-PRINTABLE:a=0D=0Ab\\;c\r\n"), nil)
	if e.Summary != "Budget; costs, plans" {
		t.Fatalf("summary %q", e.Summary)
	}
	comp := e.Calendar.Children[0]
	if v := comp.Props.Get("SUMMARY").Value; v != `Budget\; costs\, plans` {
		t.Fatalf("SUMMARY value %q", v)
	}
	if comp.Props.Get("SUBJECT") != nil {
		t.Fatal("SUBJECT kept")
	}
	if v := comp.Props.Get("DESCRIPTION").Value; v != `a\nb\;c` {
		t.Fatalf("DESCRIPTION value %q", v)
	}
	// An explicit SUMMARY wins.
	e = parseOne(t, withRequired("DTSTART:20270101T100000Z", "SUMMARY:one", "SUBJECT:two"), nil)
	if e.Summary != "one" {
		t.Fatalf("summary %q", e.Summary)
	}
}

func TestGrouping(t *testing.T) {
	two := []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270101T100000Z\r\nORGANIZER:mailto:o@x\r\nATTENDEE:mailto:a@x\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270102T100000Z\r\nORGANIZER:mailto:o@x\r\nATTENDEE:mailto:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	_, err := ParseEvents(two, nil)
	var pe *PropError
	if !errors.As(err, &pe) || pe.Prop != "UID" {
		t.Fatalf("two masters: %v", err)
	}
	mixed := strings.Replace(string(two), "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270102T100000Z", "BEGIN:VTODO\r\nUID:a\r\nDTSTART:20270102T100000Z", 1)
	mixed = strings.Replace(mixed, "END:VEVENT\r\nEND:VCALENDAR", "END:VTODO\r\nEND:VCALENDAR", 1)
	if _, err := ParseEvents([]byte(mixed), nil); !errors.As(err, &pe) || pe.Prop != "UID" {
		t.Fatalf("VEVENT and VTODO with one UID: %v", err)
	}
	if _, err := ParseEvents(append(withRequired("DTSTART:20270101T100000Z"), "X:y\r\n"...), nil); !errors.Is(err, ErrTrailingData) {
		t.Fatalf("trailing data: %v", err)
	}
}

func TestVcal10Rules(t *testing.T) {
	until := func(s string) (string, error) { return s, nil }
	tests := map[string]string{
		"D1 #5":                    "FREQ=DAILY;COUNT=5",
		"W2 MO WE #0":              "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
		"W1 TU":                    "FREQ=WEEKLY;BYDAY=TU;COUNT=2",
		"MP1 1+ 2- MO #3":          "FREQ=MONTHLY;BYDAY=1MO,-2MO;COUNT=3",
		"MP1 1+ MO 2- TU #3":       "FREQ=MONTHLY;BYDAY=1MO,-2TU;COUNT=3",
		"MD1 1 LD #0":              "FREQ=MONTHLY;BYMONTHDAY=1,-1",
		"YM1 6 7 19991231T000000Z": "FREQ=YEARLY;BYMONTH=6,7;UNTIL=19991231T000000Z",
		"YD1 1 100$ #2":            "FREQ=YEARLY;BYYEARDAY=1,100;COUNT=2",
	}
	for in, want := range tests {
		got, err := vcal10Rule(in, until)
		if err != nil || got != want {
			t.Errorf("vcal10Rule(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Q1", "W0", "W1 XX", "MP1 MO", "MP1 1+", "MD1 32", "YM1 13", "D1 #-1", "Wx"} {
		if got, err := vcal10Rule(bad, until); err == nil {
			t.Errorf("vcal10Rule(%q) = %q, want an error", bad, got)
		}
	}
	// Through ParseEvents: a vCalendar 1.0 weekly rule expands.
	data := []byte("BEGIN:VCALENDAR\r\nVERSION:1.0\r\nBEGIN:VEVENT\r\nUID:r\r\nDTSTART:20070102T100000Z\r\n" +
		"DTEND:20070102T110000Z\r\nRRULE:W1 TU #3\r\nATTENDEE;ROLE=OWNER:o@x\r\nATTENDEE:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	e := parseOne(t, data, nil)
	in, err := e.Instances(utc("2007-01-01T00:00"), utc("2007-12-31T00:00"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := instString(in); got != "2007-01-02T10:00-11:00 2007-01-09T10:00-11:00 2007-01-16T10:00-11:00" {
		t.Fatalf("instances %s", got)
	}
}

func TestReplyRules(t *testing.T) {
	r, err := ParseReply([]byte("UID: x\r\nATTENDEE: Bob <Bob@B.com>\r\nSTATUS: DECLINED\r\nCOMMENT: Sorry\\, busy\r\nRESPONSE-SEQUENCE: 9\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sequence != 0 || r.Attendees[0].Address != "bob@b.com" || r.Attendees[0].PartStat != "DECLINED" || r.Comment != "Sorry, busy" {
		t.Fatalf("reply %+v", r)
	}
	tests := []struct {
		data string
		prop string
	}{
		{"UID:x\r\nATTENDEE:a@x\r\nATTENDEE:b@x\r\nSTATUS:CONFIRMED\r\n", "ATTENDEE"},
		{"UID:x\r\nATTENDEE:a@x\r\n", "ATTENDEE"},
		{"UID:x\r\nSTATUS:CONFIRMED\r\n", "ATTENDEE"},
		{"UID:x\r\nSEQUENCE:2147483648\r\nATTENDEE;STATUS=ACCEPTED:a@x\r\n", "SEQUENCE"},
		{"UID:x\r\nATTENDEE:a@x\r\nSTATUS:MAYBE\r\n", "STATUS"},
		{"SEQUENCE:1\r\nATTENDEE;STATUS=ACCEPTED:a@x\r\n", "UID"},
	}
	for _, tt := range tests {
		_, err := ParseReply([]byte(tt.data), nil)
		var pe *PropError
		var me *MissingError
		switch {
		case errors.As(err, &pe) && pe.Prop == tt.prop:
		case errors.As(err, &me) && me.Prop == tt.prop:
		default:
			t.Errorf("%q: error %v, want one about %s", tt.data, err, tt.prop)
		}
	}
}

func TestFreeBusyRequestRules(t *testing.T) {
	req, err := ParseFreeBusyRequest([]byte("USER: Room <Room-4@Acme.example>\r\nATTENDEE:mailto:room-4@acme.example\r\n"+
		"ATTENDEE:b@acme.example\r\nDTSTART:20270101\r\nDTEND:20270102\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(req.Users, ",") != "b@acme.example,room-4@acme.example" && strings.Join(req.Users, ",") != "room-4@acme.example,b@acme.example" {
		t.Fatalf("users %v", req.Users)
	}
	if !req.Start.Equal(utc("2027-01-01T00:00")) || !req.End.Equal(utc("2027-01-02T00:00")) {
		t.Fatalf("window %v %v", req.Start, req.End)
	}
	itip := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb-1\r\n" +
		"ORGANIZER:mailto:tom@jumbo.example\r\nATTENDEE:mailto:room-4@acme.example\r\nDTSTART:20270104T000000Z\r\n" +
		"DTEND:20270111T000000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
	req, err = ParseFreeBusyRequest([]byte(itip), nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.UID != "fb-1" || req.Organizer.Address != "tom@jumbo.example" || len(req.Users) != 1 ||
		!(req.End.Sub(req.Start) == 7*24*time.Hour) {
		t.Fatalf("iTIP request %+v", req)
	}
	_, err = ParseFreeBusyRequest([]byte("ATTENDEE:a@x\r\nDTSTART:20270101T000000Z\r\nDTEND:20280102T000001Z\r\n"), nil)
	if !errors.Is(err, ErrWindowTooLarge) {
		t.Fatalf("window over 366 days: %v", err)
	}
	if _, err := ParseFreeBusyRequest([]byte("ATTENDEE:a@x\r\nDTSTART:20270101T000000Z\r\nDTEND:20280102T000000Z\r\n"), nil); err != nil {
		t.Fatalf("window of exactly 366 days: %v", err)
	}
	for data, prop := range map[string]string{
		"DTSTART:20270101T000000Z\r\nDTEND:20270102T000000Z\r\n":                 "ATTENDEE",
		"ATTENDEE:a@x\r\nDTEND:20270102T000000Z\r\n":                             "DTSTART",
		"ATTENDEE:a@x\r\nDTSTART:20270101T000000Z\r\n":                           "DTEND",
		"ATTENDEE:a@x\r\nDTSTART:20270101T000000Z\r\nDTEND:20270101T000000Z\r\n": "DTEND",
	} {
		_, err := ParseFreeBusyRequest([]byte(data), nil)
		var pe *PropError
		var me *MissingError
		if !(errors.As(err, &me) && me.Prop == prop) && !(errors.As(err, &pe) && pe.Prop == prop) {
			t.Errorf("%q: %v, want an error about %s", data, err, prop)
		}
	}
}

// A recurring event in the draft's offset spelling repeats its local time
// and weekday: Tuesdays 20:00 at -0500 are Wednesdays 01:00 UTC.
func TestOffsetRecurrence(t *testing.T) {
	data := []byte("UID: r-1\r\nDTSTART: 19961231T2000-0500\r\nDTEND: 19961231T2100-0500\r\nRRULE: W1 TU #3\r\n" +
		"ATTENDEE; ROLE=OWNER: p@a.com\r\nATTENDEE: b@b.com\r\n")
	e := parseOne(t, data, nil)
	in, err := e.Instances(utc("1996-12-01T00:00"), utc("1997-12-01T00:00"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := instString(in); got != "1997-01-01T01:00-02:00 1997-01-08T01:00-02:00 1997-01-15T01:00-02:00" {
		t.Fatalf("instances %s", got)
	}
	out := string(encodeEvent(t, e))
	if !strings.Contains(out, "DTSTART;TZID=UTC-0500:19961231T200000\r\n") || !strings.Contains(out, "TZOFFSETTO:-0500\r\n") {
		t.Fatalf("encoded:\n%s", out)
	}
	first, last, unbounded := e.Bounds()
	if unbounded || !first.Equal(utc("1997-01-01T01:00")) || last.Before(utc("1997-01-15T02:00")) {
		t.Fatalf("bounds %v %v %v", first, last, unbounded)
	}
}

func TestBadRecurrence(t *testing.T) {
	for _, rule := range []string{"FREQ=SOMETIMES", "FREQ=DAILY;COUNT=x", "W1 XX"} {
		_, err := ParseEvents(withRequired("DTSTART:20270101T100000Z", "RRULE:"+rule), nil)
		var pe *PropError
		if !errors.As(err, &pe) || pe.Prop != "RRULE" {
			t.Errorf("RRULE:%s: %v", rule, err)
		}
	}
	_, err := ParseEvents(withRequired("DTSTART:20270101T100000Z", "RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"), nil)
	var pe *PropError
	if !errors.As(err, &pe) || pe.Prop != "RRULE" {
		t.Errorf("two RRULEs: %v", err)
	}
	// An unbounded rule is fine; Instances stops at max.
	e := parseOne(t, withRequired("DTSTART:20270101T100000Z", "RRULE:FREQ=MINUTELY"), nil)
	in, err := e.Instances(utc("2027-01-01T00:00"), utc("2028-01-01T00:00"), 50)
	if len(in) != 50 || err == nil {
		t.Fatalf("%d instances, %v", len(in), err)
	}
}

// A recurring vCalendar 1.0 event keeps its local time across the DAYLIGHT
// change, in the parse and after re-encoding.
func TestVcal10DaylightRecurrence(t *testing.T) {
	data := []byte("BEGIN:VCALENDAR\r\nVERSION:1.0\r\nTZ:+01\r\nDAYLIGHT:TRUE;+02;20070325T010000Z;20071028T010000Z;CET;CEST\r\n" +
		"BEGIN:VEVENT\r\nUID:v-1\r\nDTSTART:20070315T140000\r\nDTEND:20070315T150000\r\nRRULE:W1 TH #3\r\n" +
		"ATTENDEE;ROLE=OWNER:o@x\r\nATTENDEE:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	e := parseOne(t, data, nil) // checks the round trip, instances included
	in, err := e.Instances(utc("2007-01-01T00:00"), utc("2008-01-01T00:00"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := instString(in); got != "2007-03-15T13:00-14:00 2007-03-22T13:00-14:00 2007-03-29T12:00-13:00" {
		t.Fatalf("instances %s", got)
	}
	// Without a rule the local times are simply kept in UTC.
	e = parseOne(t, []byte(strings.Replace(string(data), "RRULE:W1 TH #3\r\n", "", 1)), nil)
	if !e.Start.Equal(utc("2007-03-15T13:00")) || e.Floating {
		t.Fatalf("start %v floating %v", e.Start, e.Floating)
	}
	if got := e.Calendar.Children[0].Props.Get("DTSTART").Value; got != "20070315T130000Z" {
		t.Fatalf("DTSTART %q", got)
	}
}

func TestVcal10DaylightYears(t *testing.T) {
	data := []byte("BEGIN:VCALENDAR\r\nVERSION:1.0\r\nTZ:-05\r\n" +
		"DAYLIGHT:TRUE;-04;20070311T020000;20071104T020000;EST;EDT\r\n" +
		"DAYLIGHT:TRUE;-04;20080309T020000;20081102T020000;EST;EDT\r\n" +
		"BEGIN:VEVENT\r\nUID:v-2\r\nDTSTART:20070101T090000\r\nDTEND:20070101T100000\r\nRRULE:MD3 1 #9\r\n" +
		"ATTENDEE;ROLE=OWNER:o@x\r\nATTENDEE:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	e := parseOne(t, data, nil)
	in, err := e.Instances(utc("2007-01-01T00:00"), utc("2010-01-01T00:00"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "2007-01-01T14:00-15:00 2007-04-01T13:00-14:00 2007-07-01T13:00-14:00 2007-10-01T13:00-14:00 " +
		"2008-01-01T14:00-15:00 2008-04-01T13:00-14:00 2008-07-01T13:00-14:00 2008-10-01T13:00-14:00 " +
		"2009-01-01T14:00-15:00"
	if got := instString(in); got != want {
		t.Fatalf("instances\n%s\nwant\n%s", got, want)
	}
}

func TestTimezoneLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\n")
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, "BEGIN:VTIMEZONE\r\nTZID:Z%d\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"+
			"TZOFFSETFROM:+0%d00\r\nTZOFFSETTO:+0%d00\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n", i, i, i)
	}
	b.WriteString("BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Z0:20270101T100000\r\nDTEND;TZID=Z1:20270101T110000\r\n" +
		"EXDATE;TZID=Z2:20270101T100000\r\nORGANIZER:mailto:o@x\r\nATTENDEE:mailto:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	if _, err := ParseEvents([]byte(b.String()), &Limits{MaxTimezones: 3}); err != nil {
		t.Fatalf("three zones: %v", err)
	}
	_, err := ParseEvents([]byte(b.String()), &Limits{MaxTimezones: 2})
	var le *LimitError
	if !errors.Is(err, ErrTooManyTimezones) || !errors.As(err, &le) || le.Max != 2 {
		t.Fatalf("over the limit: %v", err)
	}
}

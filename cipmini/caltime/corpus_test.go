package caltime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/ciptest"
)

// corpusFile reads a corpus file and checks that it holds each of the
// given lines, so that the values the tests copy from it stay true.
func corpusFile(t *testing.T, name string, lines ...string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ciptest.Corpus(t), "handmade", name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	for _, l := range lines {
		if !strings.Contains(text, l+"\n") {
			t.Fatalf("%s does not contain %q", name, l)
		}
	}
}

// must turns a (Value, error) result into the Value's time, failing the
// test on error.
type must struct{ t *testing.T }

func (m must) time(v Value, err error) time.Time {
	m.t.Helper()
	if err != nil {
		m.t.Fatal(err)
	}
	return v.Time
}

// google-recurring-override.ics: Tuesdays 09:30-10:00 New York from
// 2027-03-02 to 2027-05-25 without 03-16, plus 2027-03-20 10:00-10:30, and
// 03-23 moved to 14:00-14:30 (EXPECTED.md).
func TestCorpusGoogleRecurringOverride(t *testing.T) {
	corpusFile(t, "google-recurring-override.ics",
		"TZID:America/New_York", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT",
		"DTSTART:19700308T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
		"TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST",
		"DTSTART:19701101T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
		"DTSTART;TZID=America/New_York:20270302T093000", "DTEND;TZID=America/New_York:20270302T100000",
		"RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20270601T035959Z;BYDAY=TU",
		"EXDATE;TZID=America/New_York:20270316T093000", "RDATE;TZID=America/New_York:20270320T100000",
		"DTSTART;TZID=America/New_York:20270323T140000", "DTEND;TZID=America/New_York:20270323T143000",
		"RECURRENCE-ID;TZID=America/New_York:20270323T093000")
	z := NewZones()
	if err := z.AddVTimezone("America/New_York", googleNewYork); err != nil {
		t.Fatal(err)
	}
	in := func(s string) time.Time { return must{t}.time(ParseDateTimeIn(s, "America/New_York", z)) }
	start, end := in("20270302T093000"), in("20270302T100000")
	r := &Recurrence{
		Start:    start,
		Duration: DurationBetween(start, end, false),
		RRules:   []string{"FREQ=WEEKLY;WKST=SU;UNTIL=20270601T035959Z;BYDAY=TU"},
		ExDates:  []time.Time{in("20270316T093000")},
		RDates:   []Period{{Start: in("20270320T100000")}},
		Overrides: map[int64]Override{
			in("20270323T093000").Unix(): {Start: in("20270323T140000"), End: in("20270323T143000")},
		},
	}
	ins, err := r.Between(utc(2027, 1, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2027-03-02T14:30Z/15:00", "2027-03-09T14:30Z/15:00", "2027-03-20T14:00Z/14:30",
		"2027-03-23T18:00Z/18:30", "2027-03-30T13:30Z/14:00", "2027-04-06T13:30Z/14:00",
		"2027-04-13T13:30Z/14:00", "2027-04-20T13:30Z/14:00", "2027-04-27T13:30Z/14:00",
		"2027-05-04T13:30Z/14:00", "2027-05-11T13:30Z/14:00", "2027-05-18T13:30Z/14:00",
		"2027-05-25T13:30Z/14:00",
	}
	var got []string
	for _, i := range ins {
		got = append(got, i.Start.Format("2006-01-02T15:04Z")+"/"+i.End.Format("15:04"))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("instances:\n got %v\nwant %v", got, want)
	}
	if first, last, unbounded := r.Bounds(); unbounded || !first.Equal(utc(2027, 3, 2, 14, 30, 0)) || last.Before(utc(2027, 5, 25, 14, 0, 0)) {
		t.Errorf("Bounds: %v %v %v", first, last, unbounded)
	}
	// The IANA zone gives the same instances without the VTIMEZONE.
	v, err := ParseDateTimeIn("20270323T093000", "America/New_York", nil)
	if err != nil || !v.Time.Equal(in("20270323T093000")) {
		t.Errorf("IANA New York: %v %v", v.UTC(), err)
	}
}

// outlook-windows-tz.ics: 2027-01-14 09:00-10:30 UTC.
func TestCorpusOutlookWindowsZone(t *testing.T) {
	corpusFile(t, "outlook-windows-tz.ics",
		"TZID:W. Europe Standard Time", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
		"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100",
		"TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
		"DTSTART;TZID=W. Europe Standard Time:20270114T100000", "DTEND;TZID=W. Europe Standard Time:20270114T113000",
		"TRIGGER;RELATED=START:-PT15M")
	for name, z := range map[string]*Zones{"with VTIMEZONE": NewZones(), "Windows name only": nil} {
		if z != nil {
			if err := z.AddVTimezone("W. Europe Standard Time", outlookWEurope); err != nil {
				t.Fatal(err)
			}
		}
		s, err := ParseDateTimeIn("20270114T100000", "W. Europe Standard Time", z)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseDateTimeIn("20270114T113000", "W. Europe Standard Time", z)
		if err != nil {
			t.Fatal(err)
		}
		if !s.UTC().Equal(utc(2027, 1, 14, 9, 0, 0)) || !e.UTC().Equal(utc(2027, 1, 14, 10, 30, 0)) {
			t.Errorf("%s: %v-%v", name, s.UTC(), e.UTC())
		}
	}
	d, err := ParseDuration("-PT15M")
	if err != nil || !d.AddTo(utc(2027, 1, 14, 9, 0, 0)).Equal(utc(2027, 1, 14, 8, 45, 0)) {
		t.Errorf("TRIGGER: %v %v", d, err)
	}
}

// vcal10-latin1.vcs: TZ +01 with daylight from 03-25: 2007-03-15 13:00-14:00 UTC.
func TestCorpusVCal10Latin1(t *testing.T) {
	corpusFile(t, "vcal10-latin1.vcs", "TZ:+01", "DAYLIGHT:TRUE;+02;20070325T010000Z;20071028T010000Z;CET;CEST",
		"DTSTART:20070315T140000", "DTEND:20070315T150000")
	loc, err := VCal10Location("+01", []string{"TRUE;+02;20070325T010000Z;20071028T010000Z;CET;CEST"})
	if err != nil {
		t.Fatal(err)
	}
	s := must{t}.time(ParseDateTime("20070315T140000", loc))
	e := must{t}.time(ParseDateTime("20070315T150000", loc))
	if !s.Equal(utc(2007, 3, 15, 13, 0, 0)) || !e.Equal(utc(2007, 3, 15, 14, 0, 0)) {
		t.Errorf("got %v-%v", s.UTC(), e.UTC())
	}
}

// vcal10-nokia-qp.vcs: 2007-04-12 08:00-09:00 (UTC values).
func TestCorpusVCal10Nokia(t *testing.T) {
	corpusFile(t, "vcal10-nokia-qp.vcs", "DTSTART:20070412T080000Z", "DTEND:20070412T090000Z")
	s := must{t}.time(ParseDateTime("20070412T080000Z", nil))
	if !s.Equal(utc(2007, 4, 12, 8, 0, 0)) {
		t.Errorf("got %v", s)
	}
}

// apple-allday-floating.ics: 2027-04-03 to 04-05 (two days), and a floating
// 2027-04-06 09:00 for 45 minutes.
func TestCorpusAppleAllDayFloating(t *testing.T) {
	corpusFile(t, "apple-allday-floating.ics", "DTEND;VALUE=DATE:20270405", "DTSTART;VALUE=DATE:20270403",
		"DTSTART:20270406T090000", "DURATION:PT45M")
	room := mustLoad(t, "Europe/Berlin") // the room's own zone reads floating times
	s, err := ParseDateIn("20270403", room)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseDateIn("20270405", room)
	if err != nil {
		t.Fatal(err)
	}
	if d := DurationBetween(s.Time, e.Time, true); d != (Duration{Days: 2}) {
		t.Errorf("all-day length %+v", d)
	}
	if !s.UTC().Equal(utc(2027, 4, 2, 22, 0, 0)) {
		t.Errorf("all-day start %v", s.UTC())
	}
	f, err := ParseDateTime("20270406T090000", room)
	if err != nil || f.Kind != Floating {
		t.Fatal(f, err)
	}
	d, err := ParseDuration("PT45M")
	if err != nil {
		t.Fatal(err)
	}
	if end := d.AddTo(f.Time); !end.Equal(time.Date(2027, 4, 6, 9, 45, 0, 0, room)) {
		t.Errorf("floating end %v", end)
	}
}

// freebusy-reply.ics: busy 01-04 09:00-10:00, 01-05 13:00-14:30,
// tentative 01-06 08:00-08:30.
func TestCorpusFreeBusyPeriods(t *testing.T) {
	corpusFile(t, "freebusy-reply.ics",
		"FREEBUSY;FBTYPE=BUSY:20270104T090000Z/20270104T100000Z,20270105T130000Z/PT1H30M",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270106T080000Z/20270106T083000Z")
	want := map[string][2]time.Time{
		"20270104T090000Z/20270104T100000Z": {utc(2027, 1, 4, 9, 0, 0), utc(2027, 1, 4, 10, 0, 0)},
		"20270105T130000Z/PT1H30M":          {utc(2027, 1, 5, 13, 0, 0), utc(2027, 1, 5, 14, 30, 0)},
		"20270106T080000Z/20270106T083000Z": {utc(2027, 1, 6, 8, 0, 0), utc(2027, 1, 6, 8, 30, 0)},
	}
	for in, w := range want {
		s, e, err := ParsePeriod(in, nil)
		if err != nil || !s.Equal(w[0]) || !e.Equal(w[1]) {
			t.Errorf("ParsePeriod(%q) = %v %v %v", in, s, e, err)
		}
	}
}

// bare-lf-lowercase.ics: lower-case date-times, 2027-02-10 10:00-11:00.
func TestCorpusLowercase(t *testing.T) {
	corpusFile(t, "bare-lf-lowercase.ics", "dtstart:20270210t100000z", "dtend:20270210t110000z")
	s := must{t}.time(ParseDateTime("20270210t100000z", nil))
	e := must{t}.time(ParseDateTime("20270210t110000z", nil))
	if !s.Equal(utc(2027, 2, 10, 10, 0, 0)) || !e.Equal(utc(2027, 2, 10, 11, 0, 0)) {
		t.Errorf("got %v %v", s, e)
	}
}

// invalid-bad-date.ics: month 13, hour 25 must be rejected.
func TestCorpusBadDate(t *testing.T) {
	corpusFile(t, "invalid-bad-date.ics", "DTSTART:20271345T256100Z")
	if v, err := ParseDateTime("20271345T256100Z", nil); err == nil {
		t.Errorf("accepted %v", v)
	}
}

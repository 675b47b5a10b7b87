package caltime

import (
	"testing"
	"time"
)

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"19961231T2000-0500", "19961231T200000-0500", "19961231T200000+0530", "19961231T200000-05:00",
		"19961231T200000Z", "19961231t200000z", "19961231T2000", "19970714T133000", "19970714",
		"1996-12-31T20:00:00Z", "1996-12-31T20:00:00.123+01:00", "1996-12-31", "20271345T256100Z",
		"20240229T120000Z", "19981231T235960Z", "20270328T023000", "20271031T023000", "16010101T020000",
		"99991231T235959Z", "00010101T000000Z", "19970101T180000Z/PT5H30M", "19970101T180000Z/19970102T070000Z",
		"+0100", "-05:30", " 20270210t100000z ",
	} {
		f.Add(s)
	}
	for _, s := range corpusValues("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "RDATE", "DTSTAMP") {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, loc := range []*time.Location{nil, berlin} {
			v, err := ParseDateTime(s, loc)
			if err != nil {
				continue
			}
			if v.Kind < Date || v.Kind > Zoned {
				t.Fatalf("%q: kind %v", s, v.Kind)
			}
			if y := v.UTC().Year(); y < 0 || y > 10000 {
				t.Fatalf("%q: year %d", s, y)
			}
			if v.Kind == UTC {
				again, err := ParseDateTime(v.UTC().Format("20060102T150405Z"), nil)
				if err != nil || !again.Time.Equal(v.Time) {
					t.Fatalf("%q: %v does not round trip: %v %v", s, v.Time, again.Time, err)
				}
			}
		}
		_, _ = ParseDate(s)
		_, _ = ParseDateTimeIn(s, "W. Europe Standard Time", nil)
		_, _ = ParseUTCOffset(s)
		if a, b, err := ParsePeriod(s, berlin); err == nil && b.Before(a) {
			t.Fatalf("%q: period ends before it starts", s)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"PT1H30M", "-PT15M", "P1D", "P2W", "P1DT2H", "+P1W", "PT0S", "P1W2D", "PT1H5S",
		"P36525D", "P999999999W", "p1dt2h3m4s", "P", "PT", "-P1DT"} {
		f.Add(s)
	}
	for _, s := range corpusValues("DURATION", "TRIGGER") {
		f.Add(s)
	}
	start := time.Date(2027, 3, 27, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d.Weeks < 0 || d.Days < 0 || d.Clock < 0 {
			t.Fatalf("%q: negative part %+v", s, d)
		}
		if a := d.Approx(); a > MaxDurationDays*24*time.Hour || a < -MaxDurationDays*24*time.Hour {
			t.Fatalf("%q: %v beyond the limit", s, a)
		}
		again, err := ParseDuration(d.String())
		if err != nil || again.Approx() != d.Approx() {
			t.Fatalf("%q: String %q does not round trip: %+v %v", s, d.String(), again, err)
		}
		_ = d.AddTo(start)
	})
}

func FuzzRRule(f *testing.F) {
	for _, s := range []string{
		"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=30", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
		"FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=7;BYSECOND=0,30;COUNT=100000", "FREQ=HOURLY;INTERVAL=24;BYHOUR=5",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", "FREQ=YEARLY;BYYEARDAY=1,100,-1;INTERVAL=3",
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=MINUTELY;BYMONTH=1;COUNT=1000000000",
		"FREQ=SECONDLY;BYHOUR=0,12;BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59",
		"FREQ=WEEKLY;UNTIL=20260201T000000Z;WKST=SU;BYDAY=TU,TH", "FREQ=DAILY;UNTIL=20260115", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
	} {
		f.Add(s, uint32(0), false)
		f.Add(s, uint32(123456789), true)
	}
	for _, s := range corpusValues("RRULE") {
		f.Add(s, uint32(0), false)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	base := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rule string, offset uint32, zoned bool) {
		start := base.Add(time.Duration(offset%(8*366*86400)) * time.Second)
		if zoned {
			start = start.In(berlin)
		}
		r := &Recurrence{Start: start, Duration: Duration{Clock: 30 * time.Minute}, RRules: []string{rule}}
		ins, err := r.Between(from, to, 50)
		if len(ins) > 50 {
			t.Fatalf("%q: %d instances beyond the limit", rule, len(ins))
		}
		if err != nil && ins != nil && err != ErrTooManyInstances {
			t.Fatalf("%q: instances with error %v", rule, err)
		}
		for i, in := range ins {
			if !overlaps(in.Start, in.End, from, to) {
				t.Fatalf("%q: instance %v outside the window", rule, in.Start)
			}
			if i > 0 && in.Start.Before(ins[i-1].Start) {
				t.Fatalf("%q: instances out of order", rule)
			}
		}
		first, last, unbounded := r.Bounds()
		if err == nil && len(ins) > 0 && (ins[0].Start.Before(first) || (!unbounded && ins[len(ins)-1].End.After(last))) {
			t.Fatalf("%q: instances %v..%v outside Bounds %v..%v", rule, ins[0].Start, ins[len(ins)-1].End, first, last)
		}
	})
}

func FuzzVTimezone(f *testing.F) {
	f.Add("19700308T020000", "-0500", "-0400", "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "19701101T020000", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "", "+01", "TRUE;+02;20070325T010000Z;20071028T010000Z;CET;CEST")
	f.Add("16010101T020000", "+0100", "+0200", "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3", "16010101T030000", "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10", "", "-0500", "FALSE")
	f.Add("20130329T020000", "+0200", "+0300", "FREQ=YEARLY;BYMONTH=3;BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29", "20131027T020000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "20280326T020000,20290325T020000", "+05:30", "TRUE;+06;20070325T010000;20071028T010000")
	f.Add("19000101T000000", "+0100", "+0200", "FREQ=DAILY", "19000101T000000", "", "", "", "")
	for _, z := range corpusZones() {
		f.Add(z.dstStart, z.from, z.to, z.dstRule, z.stdStart, z.stdRule, z.rdates, "", "")
	}
	probe := []time.Time{time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, dstStart, from, to, dstRule, stdStart, stdRule, rdates, vcalTZ, vcalDaylight string) {
		z := NewZones()
		err := z.AddVTimezone("Fuzz/Zone", []Observance{
			{Daylight: true, Start: dstStart, OffsetFrom: from, OffsetTo: to, RRule: dstRule, RDates: []string{rdates}, Name: "DST"},
			{Start: stdStart, OffsetFrom: to, OffsetTo: from, RRule: stdRule, Name: "STD"},
		})
		if err == nil {
			loc, err := z.Location("Fuzz/Zone")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range probe {
				if _, off := p.In(loc).Zone(); off <= -86400 || off >= 86400 {
					t.Fatalf("offset %d", off)
				}
				_ = wallTime(civilOf(p), loc)
			}
		}
		if loc, err := VCal10Location(vcalTZ, []string{vcalDaylight}); err == nil {
			for _, p := range probe {
				_ = wallTime(civilOf(p), loc)
			}
		}
	})
}

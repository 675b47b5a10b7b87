package caltime

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRuleErrors(t *testing.T) {
	bad := []string{
		"", "INTERVAL=2", "FREQ=SOMETIMES", "FREQ=DAILY;FREQ=WEEKLY", "FREQ=DAILY;INTERVAL=0",
		"FREQ=DAILY;INTERVAL=-1", "FREQ=DAILY;INTERVAL=1000001", "FREQ=DAILY;COUNT=0", "FREQ=DAILY;COUNT=x",
		"FREQ=DAILY;UNTIL=2027", "FREQ=DAILY;UNTIL=20271301", "FREQ=DAILY;WKST=XX", "FREQ=DAILY;BYSECOND=60",
		"FREQ=DAILY;BYMINUTE=60", "FREQ=DAILY;BYHOUR=24", "FREQ=DAILY;BYHOUR=-1", "FREQ=MONTHLY;BYMONTHDAY=32",
		"FREQ=MONTHLY;BYMONTHDAY=0", "FREQ=YEARLY;BYYEARDAY=367", "FREQ=YEARLY;BYWEEKNO=54", "FREQ=YEARLY;BYMONTH=13",
		"FREQ=YEARLY;BYMONTH=0", "FREQ=MONTHLY;BYSETPOS=0", "FREQ=MONTHLY;BYDAY=XX", "FREQ=MONTHLY;BYDAY=54MO",
		"FREQ=MONTHLY;BYDAY=0MO", "FREQ=MONTHLY;BYDAY=1", "FREQ=MONTHLY;BYDAY=", "FREQ=DAILY;FOO=BAR",
		"FREQ=DAILY;BYHOUR=1,,2", "FREQ=DAILY;RSCALE=HEBREW", "FREQ=DAILY;SKIP=BACKWARD", "FREQ=DAILY;INTERVAL",
		"FREQ=DAILY;BYMONTHDAY=+-1", strings.Repeat("FREQ=DAILY;", 500),
	}
	for _, s := range bad {
		err := ValidateRRule(s)
		if err == nil {
			t.Errorf("ValidateRRule(%q): no error", s)
		} else if !strings.HasPrefix(err.Error(), "caltime: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
	good := []string{
		"FREQ=DAILY", "freq=weekly;byday=mo,we", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", " FREQ=MONTHLY ; BYMONTHDAY=-1 ;",
		"FREQ=DAILY;X-NAME=whatever", "FREQ=MONTHLY;RSCALE=GREGORIAN;SKIP=OMIT", "FREQ=YEARLY;BYWEEKNO=-53;BYYEARDAY=-366",
		"FREQ=MONTHLY;BYDAY=+1MO,-53SU", "FREQ=DAILY;UNTIL=20270101", "FREQ=DAILY;UNTIL=20270101T000000",
	}
	for _, s := range good {
		if err := ValidateRRule(s); err != nil {
			t.Errorf("ValidateRRule(%q): %v", s, err)
		}
	}
}

// expandLocal expands a rule from a DTSTART in loc and returns the local
// starts formatted as "2006-01-02T15:04".
func expandLocal(t *testing.T, loc *time.Location, dtstart, rrule string, until time.Time) []string {
	t.Helper()
	v, err := ParseDateTime(dtstart, loc)
	if err != nil {
		t.Fatal(err)
	}
	r := &Recurrence{Start: v.Time, RRules: []string{rrule}}
	ins, err := r.Between(v.Time, until, 0)
	if err != nil {
		t.Fatalf("%s: %v", rrule, err)
	}
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.Start.In(loc).Format("2006-01-02T15:04")
	}
	return out
}

// The examples of RFC 5545 section 3.8.5.3, in America/New_York.
func TestRuleRFC5545Examples(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	tests := []struct {
		dtstart, rule string
		until         time.Time // end of the query window
		want          []string
	}{
		{"19970902T090000", "FREQ=DAILY;COUNT=10", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-02T09:00", "1997-09-03T09:00", "1997-09-04T09:00", "1997-09-05T09:00", "1997-09-06T09:00",
			"1997-09-07T09:00", "1997-09-08T09:00", "1997-09-09T09:00", "1997-09-10T09:00", "1997-09-11T09:00"}},
		{"19970902T090000", "FREQ=DAILY;INTERVAL=10;COUNT=5", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-02T09:00", "1997-09-12T09:00", "1997-09-22T09:00", "1997-10-02T09:00", "1997-10-12T09:00"}},
		{"19970902T090000", "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-02T09:00", "1997-09-04T09:00", "1997-09-09T09:00", "1997-09-11T09:00", "1997-09-16T09:00",
			"1997-09-18T09:00", "1997-09-23T09:00", "1997-09-25T09:00", "1997-09-30T09:00", "1997-10-02T09:00"}},
		{"19970905T090000", "FREQ=MONTHLY;COUNT=10;BYDAY=1FR", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-05T09:00", "1997-10-03T09:00", "1997-11-07T09:00", "1997-12-05T09:00", "1998-01-02T09:00",
			"1998-02-06T09:00", "1998-03-06T09:00", "1998-04-03T09:00", "1998-05-01T09:00", "1998-06-05T09:00"}},
		{"19970922T090000", "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-22T09:00", "1997-10-20T09:00", "1997-11-17T09:00", "1997-12-22T09:00", "1998-01-19T09:00", "1998-02-16T09:00"}},
		{"19970928T090000", "FREQ=MONTHLY;BYMONTHDAY=-3", utc(1998, 3, 1, 0, 0, 0), []string{
			"1997-09-28T09:00", "1997-10-29T09:00", "1997-11-28T09:00", "1997-12-29T09:00", "1998-01-29T09:00", "1998-02-26T09:00"}},
		{"19970610T090000", "FREQ=YEARLY;COUNT=10;BYMONTH=6,7", utc(2010, 1, 1, 0, 0, 0), []string{
			"1997-06-10T09:00", "1997-07-10T09:00", "1998-06-10T09:00", "1998-07-10T09:00", "1999-06-10T09:00",
			"1999-07-10T09:00", "2000-06-10T09:00", "2000-07-10T09:00", "2001-06-10T09:00", "2001-07-10T09:00"}},
		{"19970101T090000", "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200", utc(2010, 1, 1, 0, 0, 0), []string{
			"1997-01-01T09:00", "1997-04-10T09:00", "1997-07-19T09:00", "2000-01-01T09:00", "2000-04-09T09:00",
			"2000-07-18T09:00", "2003-01-01T09:00", "2003-04-10T09:00", "2003-07-19T09:00", "2006-01-01T09:00"}},
		{"19970519T090000", "FREQ=YEARLY;BYDAY=20MO", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-05-19T09:00", "1998-05-18T09:00", "1999-05-17T09:00"}},
		{"19970512T090000", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-05-12T09:00", "1998-05-11T09:00", "1999-05-17T09:00"}},
		{"19970313T090000", "FREQ=YEARLY;BYMONTH=3;BYDAY=TH", utc(1999, 1, 1, 0, 0, 0), []string{
			"1997-03-13T09:00", "1997-03-20T09:00", "1997-03-27T09:00", "1998-03-05T09:00", "1998-03-12T09:00",
			"1998-03-19T09:00", "1998-03-26T09:00"}},
		{"19970902T090000", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", utc(2001, 1, 1, 0, 0, 0), []string{
			"1997-09-02T09:00", "1998-02-13T09:00", "1998-03-13T09:00", "1998-11-13T09:00", "1999-08-13T09:00", "2000-10-13T09:00"}},
		{"19970913T090000", "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13", utc(1998, 2, 1, 0, 0, 0), []string{
			"1997-09-13T09:00", "1997-10-11T09:00", "1997-11-08T09:00", "1997-12-13T09:00", "1998-01-10T09:00"}},
		{"19961105T090000", "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", utc(2005, 1, 1, 0, 0, 0), []string{
			"1996-11-05T09:00", "2000-11-07T09:00", "2004-11-02T09:00"}},
		{"19970904T090000", "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-04T09:00", "1997-10-07T09:00", "1997-11-06T09:00"}},
		{"19970929T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", utc(1998, 4, 1, 0, 0, 0), []string{
			"1997-09-29T09:00", "1997-10-30T09:00", "1997-11-27T09:00", "1997-12-30T09:00", "1998-01-29T09:00",
			"1998-02-26T09:00", "1998-03-30T09:00"}},
		{"19970902T090000", "FREQ=MINUTELY;INTERVAL=15;COUNT=6", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-02T09:00", "1997-09-02T09:15", "1997-09-02T09:30", "1997-09-02T09:45", "1997-09-02T10:00", "1997-09-02T10:15"}},
		{"19970902T090000", "FREQ=MINUTELY;INTERVAL=90;COUNT=4", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-02T09:00", "1997-09-02T10:30", "1997-09-02T12:00", "1997-09-02T13:30"}},
		{"19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-08-05T09:00", "1997-08-10T09:00", "1997-08-19T09:00", "1997-08-24T09:00"}},
		{"19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-08-05T09:00", "1997-08-17T09:00", "1997-08-19T09:00", "1997-08-31T09:00"}},
		{"20070115T090000", "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", utc(2010, 1, 1, 0, 0, 0), []string{
			"2007-01-15T09:00", "2007-01-30T09:00", "2007-02-15T09:00", "2007-03-15T09:00", "2007-03-30T09:00"}},
		{"19970902T090000", "FREQ=DAILY;UNTIL=19970906", utc(2000, 1, 1, 0, 0, 0), []string{
			"1997-09-02T09:00", "1997-09-03T09:00", "1997-09-04T09:00", "1997-09-05T09:00", "1997-09-06T09:00"}},
	}
	for _, tt := range tests {
		got := expandLocal(t, ny, tt.dtstart, tt.rule, tt.until)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s from %s:\n got %v\nwant %v", tt.rule, tt.dtstart, got, tt.want)
		}
	}
	// Every 20 minutes from 9:00 to 16:40, written two ways.
	a := expandLocal(t, ny, "19970902T090000", "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", utc(1997, 9, 4, 4, 0, 0))
	b := expandLocal(t, ny, "19970902T090000", "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", utc(1997, 9, 4, 4, 0, 0))
	if len(a) != 48 || strings.Join(a, " ") != strings.Join(b, " ") || a[23] != "1997-09-02T16:40" || a[24] != "1997-09-03T09:00" {
		t.Errorf("every 20 minutes:\n%v\n%v", a, b)
	}
}

// BYDAY is a list: plain and ordinal weekdays add up.
func TestRuleByDayMixedOrdinals(t *testing.T) {
	got := expandLocal(t, time.UTC, "20270101T100000", "FREQ=MONTHLY;BYDAY=MO,1TU,-1FR;COUNT=9", utc(2028, 1, 1, 0, 0, 0))
	want := "2027-01-01T10:00 2027-01-04T10:00 2027-01-05T10:00 2027-01-11T10:00 2027-01-18T10:00 " +
		"2027-01-25T10:00 2027-01-29T10:00 2027-02-01T10:00 2027-02-02T10:00"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	// Ordinals count within the year without BYMONTH, within the month with it.
	got = expandLocal(t, time.UTC, "20270101T100000", "FREQ=YEARLY;BYDAY=1MO,-1MO;COUNT=3", utc(2029, 1, 1, 0, 0, 0))
	if strings.Join(got, " ") != "2027-01-01T10:00 2027-01-04T10:00 2027-12-27T10:00" {
		t.Errorf("yearly ordinals: %v", got)
	}
	got = expandLocal(t, time.UTC, "20270101T100000", "FREQ=YEARLY;BYMONTH=2,3;BYDAY=1MO;COUNT=3", utc(2029, 1, 1, 0, 0, 0))
	if strings.Join(got, " ") != "2027-01-01T10:00 2027-02-01T10:00 2027-03-01T10:00" {
		t.Errorf("yearly ordinals with BYMONTH: %v", got)
	}
}

// A weekly 09:00 Europe/Berlin meeting stays at 09:00 local in summer.
func TestRuleKeepsWallClockAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	got := expandLocal(t, berlin, "20270301T090000", "FREQ=WEEKLY;COUNT=12", utc(2028, 1, 1, 0, 0, 0))
	for _, s := range got {
		if !strings.HasSuffix(s, "T09:00") {
			t.Errorf("instance at %s", s)
		}
	}
	v, _ := ParseDateTime("20270301T090000", berlin)
	r := &Recurrence{Start: v.Time, RRules: []string{"FREQ=WEEKLY;COUNT=12"}}
	ins, err := r.Between(utc(2027, 3, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0), 0)
	if err != nil || len(ins) != 12 {
		t.Fatalf("%d instances, %v", len(ins), err)
	}
	if !ins[3].Start.Equal(utc(2027, 3, 22, 8, 0, 0)) || !ins[4].Start.Equal(utc(2027, 3, 29, 7, 0, 0)) {
		t.Errorf("UTC starts around the change: %v %v", ins[3].Start, ins[4].Start)
	}
	// An hourly rule over the spring gap: 02:00 does not exist and moves
	// to 03:00, which then occurs once.
	hours := expandLocal(t, berlin, "20270328T000000", "FREQ=HOURLY;COUNT=5", utc(2027, 3, 29, 0, 0, 0))
	if strings.Join(hours, " ") != "2027-03-28T00:00 2027-03-28T01:00 2027-03-28T03:00 2027-03-28T04:00" {
		t.Errorf("hourly over the gap: %v", hours)
	}
}

// A query late in a COUNT series must give the same instances whether the
// expansion jumps ahead arithmetically or walks from DTSTART.
func TestRuleJumpMatchesWalk(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	rules := []string{
		"FREQ=DAILY;COUNT=700", "FREQ=DAILY;INTERVAL=3;COUNT=300;BYHOUR=8,17",
		"FREQ=WEEKLY;COUNT=400;BYDAY=MO,WE,FR", "FREQ=WEEKLY;INTERVAL=2;COUNT=150;BYDAY=TU,SU;WKST=SU",
		"FREQ=MONTHLY;COUNT=100;BYMONTHDAY=1,15", "FREQ=MONTHLY;COUNT=60;BYMONTHDAY=-1,-28",
		"FREQ=YEARLY;COUNT=40;BYMONTH=1,7;BYMONTHDAY=5", "FREQ=YEARLY;COUNT=25",
		"FREQ=HOURLY;COUNT=3000;BYMINUTE=0,30", "FREQ=MINUTELY;INTERVAL=7;COUNT=5000;BYSECOND=0,30",
		"FREQ=SECONDLY;INTERVAL=97;COUNT=6000",
		"FREQ=MONTHLY;COUNT=80;BYDAY=-1FR", // no arithmetic jump: walks
	}
	for _, rs := range rules {
		for _, dtstart := range []string{"20250106T093000", "20250108T093000"} {
			v, _ := ParseDateTime(dtstart, berlin)
			r := &Recurrence{Start: v.Time, Duration: Duration{Clock: time.Minute}, RRules: []string{rs}}
			all, err := r.Between(v.Time, utc(2100, 1, 1, 0, 0, 0), 100000)
			if err != nil {
				t.Fatal(err)
			}
			if rr, _ := parseRule(rs); len(all) != int(rr.count) {
				t.Errorf("%s from %s: %d instances, want COUNT", rs, dtstart, len(all))
			}
			// Windows starting at several points of the series.
			for _, k := range []int{1, len(all) / 3, len(all) / 2, len(all) - 2} {
				from, to := all[k].Start, all[k].Start.Add(40*24*time.Hour)
				part, err := r.Between(from, to, 100000)
				if err != nil {
					t.Fatal(err)
				}
				var want []Instance
				for _, in := range all {
					if overlaps(in.Start, in.End, from, to) {
						want = append(want, in)
					}
				}
				if len(part) != len(want) || (len(part) > 0 && (!part[0].Start.Equal(want[0].Start) || !part[len(part)-1].Start.Equal(want[len(want)-1].Start))) {
					t.Errorf("%s from %s, window at %d: %d instances, want %d", rs, dtstart, k, len(part), len(want))
				}
			}
			// Bounds finds the last instance.
			_, last, unbounded := r.Bounds()
			if unbounded || !last.Equal(all[len(all)-1].End) {
				t.Errorf("%s: Bounds last %v (unbounded %v), want %v", rs, last, unbounded, all[len(all)-1].End)
			}
		}
	}
}

func TestRuleBoundedWork(t *testing.T) {
	start := utc(2020, 1, 1, 0, 0, 0)
	from, to := utc(2026, 1, 1, 0, 0, 0), utc(2026, 1, 2, 0, 0, 0)
	cases := []struct {
		rule    string
		start   time.Time
		n       int
		wantErr error
	}{
		// Jumps ahead: no walk from 2020.
		{"FREQ=SECONDLY", start, 100, ErrTooManyInstances},
		{"FREQ=SECONDLY;INTERVAL=3600", start, 24, nil},
		{"FREQ=MINUTELY;COUNT=1000000000", start, 100, ErrTooManyInstances},
		{"FREQ=SECONDLY;COUNT=189388801", start, 1, nil}, // the last one is 2026-01-01T00:00:00
		{"FREQ=SECONDLY;COUNT=189388800", start, 0, nil},
		// Rules that can never match end at once.
		{"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", start, 0, nil},
		{"FREQ=SECONDLY;INTERVAL=2;BYSECOND=1,3,5", start, 0, nil},
		{"FREQ=HOURLY;INTERVAL=24;BYHOUR=5", start, 0, nil},
		{"FREQ=SECONDLY;INTERVAL=2;BYSECOND=1,3,5;COUNT=10", utc(1601, 1, 1, 0, 0, 0), 0, nil},
		// Sparse COUNT rules from long ago run out of budget instead of looping.
		{"FREQ=MINUTELY;BYMONTH=1;COUNT=1000000000", utc(1601, 1, 1, 0, 0, 0), 0, ErrExpansionLimit},
		{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;COUNT=1000", utc(1601, 1, 1, 0, 0, 0), 0, nil},
	}
	for _, c := range cases {
		r := &Recurrence{Start: c.start, RRules: []string{c.rule}}
		ins, err := r.Between(from, to, 100)
		if !errors.Is(err, c.wantErr) || (c.wantErr != ErrExpansionLimit && len(ins) != c.n) {
			t.Errorf("%s: %d instances, %v; want %d, %v", c.rule, len(ins), err, c.n, c.wantErr)
		}
	}
}

func TestRuleUntilForms(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	for _, c := range []struct {
		rule string
		n    int
	}{
		{"FREQ=DAILY;UNTIL=19970905T130000Z", 4}, // 09:00 EDT is 13:00Z: inclusive
		{"FREQ=DAILY;UNTIL=19970905T125959Z", 3}, // one second short
		{"FREQ=DAILY;UNTIL=19970905T090000", 4},  // floating: wall clock
		{"FREQ=DAILY;UNTIL=19970905", 4},         // a DATE: the whole day
		{"FREQ=DAILY;UNTIL=19970901T000000Z", 1}, // before DTSTART: only DTSTART
		{"FREQ=DAILY;UNTIL=19970905T090000-0400", 4},
	} {
		if got := expandLocal(t, ny, "19970902T090000", c.rule, utc(2000, 1, 1, 0, 0, 0)); len(got) != c.n {
			t.Errorf("%s: %v, want %d", c.rule, got, c.n)
		}
	}
}

func TestWeekNumber(t *testing.T) {
	// ISO weeks (WKST=MO) agree with time.ISOWeek.
	for day := daysFromCivil(1990, 1, 1); day < daysFromCivil(2040, 1, 1); day++ {
		wn, weeks := weekNumber(day, time.Monday)
		tt := time.Unix(day*secondsPerDay, 0).UTC()
		y, w := tt.ISOWeek()
		if wn != w {
			t.Fatalf("%v: week %d, ISO %d", tt, wn, w)
		}
		_, lastWeek := time.Date(y, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
		if weeks != lastWeek {
			t.Fatalf("%v: %d weeks, ISO %d", tt, weeks, lastWeek)
		}
	}
}

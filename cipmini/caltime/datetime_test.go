package caltime

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func TestParseDateTimeForms(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		in     string
		loc    *time.Location
		want   time.Time
		kind   Kind
		offset int // expected offset of Value.Time's zone, seconds east
	}{
		{"19961231T2000-0500", nil, utc(1997, 1, 1, 1, 0, 0), Offset, -5 * 3600},
		{"19961231T200000-0500", nil, utc(1997, 1, 1, 1, 0, 0), Offset, -5 * 3600},
		{"19961231T200000+0530", nil, utc(1996, 12, 31, 14, 30, 0), Offset, 5*3600 + 1800},
		{"19961231T200000-05:00", nil, utc(1997, 1, 1, 1, 0, 0), Offset, -5 * 3600},
		{"19961231T200000+05", nil, utc(1996, 12, 31, 15, 0, 0), Offset, 5 * 3600},
		{"19961231T200000Z", nil, utc(1996, 12, 31, 20, 0, 0), UTC, 0},
		{"19961231t200000z", nil, utc(1996, 12, 31, 20, 0, 0), UTC, 0},
		{"19961231T2000", nil, utc(1996, 12, 31, 20, 0, 0), Floating, 0},
		{"19970714T133000", nil, utc(1997, 7, 14, 13, 30, 0), Floating, 0},
		{"19970714T133000", berlin, utc(1997, 7, 14, 11, 30, 0), Floating, 2 * 3600},
		{"19970714", nil, utc(1997, 7, 14, 0, 0, 0), Date, 0},
		{"19970114", berlin, utc(1997, 1, 13, 23, 0, 0), Date, 3600},
		{"1996-12-31T20:00:00Z", nil, utc(1996, 12, 31, 20, 0, 0), UTC, 0},
		{"1996-12-31T20:00Z", nil, utc(1996, 12, 31, 20, 0, 0), UTC, 0},
		{"1996-12-31T20:00:00.250Z", nil, utc(1996, 12, 31, 20, 0, 0), UTC, 0},
		{"1996-12-31T20:00:00+01:00", nil, utc(1996, 12, 31, 19, 0, 0), Offset, 3600},
		{"1996-12-31 20:00:00", nil, utc(1996, 12, 31, 20, 0, 0), Floating, 0},
		{"1996-12-31", nil, utc(1996, 12, 31, 0, 0, 0), Date, 0},
		{"  19961231T200000Z \t", nil, utc(1996, 12, 31, 20, 0, 0), UTC, 0},
		{"20240229T120000Z", nil, utc(2024, 2, 29, 12, 0, 0), UTC, 0},
		{"16010101T020000", nil, utc(1601, 1, 1, 2, 0, 0), Floating, 0},
		{"19981231T235960Z", nil, utc(1998, 12, 31, 23, 59, 59), UTC, 0},
		{"20270301T000000-0000", nil, utc(2027, 3, 1, 0, 0, 0), Offset, 0},
	}
	for _, tt := range tests {
		v, err := ParseDateTime(tt.in, tt.loc)
		if err != nil {
			t.Errorf("ParseDateTime(%q): %v", tt.in, err)
			continue
		}
		if !v.UTC().Equal(tt.want) || v.Kind != tt.kind {
			t.Errorf("ParseDateTime(%q) = %v %v, want %v %v", tt.in, v.UTC(), v.Kind, tt.want, tt.kind)
		}
		if _, off := v.Time.Zone(); off != tt.offset {
			t.Errorf("ParseDateTime(%q) zone offset %d, want %d", tt.in, off, tt.offset)
		}
		if v.Raw != strings.TrimSpace(tt.in) {
			t.Errorf("ParseDateTime(%q).Raw = %q", tt.in, v.Raw)
		}
	}
}

func TestParseDateTimeErrors(t *testing.T) {
	bad := []string{
		"", "1996", "19961331T200000Z", "19961231T250000Z", "19961231T206000Z",
		"19970230", "19970229T100000", "20230229", "19961200", "19960100",
		"00001231", "19961231T20", "19961231T20000", "19961231T2000000",
		"19961231X200000", "19961231T200000Q", "19961231T200000+2500",
		"19961231T200000+0560", "19961231T200000+", "1996-12-31T20", "1996-13-01",
		"1996-12-31T20:00:", "1996-12-31T20:00:00.Z", "1996/12/31", "-19961231",
		"19961231T200000ZZ", "１９９６１２３１", "19961231 200000",
		strings.Repeat("1", 100),
	}
	for _, in := range bad {
		if v, err := ParseDateTime(in, nil); err == nil {
			t.Errorf("ParseDateTime(%q) = %v, want error", in, v)
		} else if !strings.HasPrefix(err.Error(), "caltime: ") {
			t.Errorf("ParseDateTime(%q) error %q lacks the package prefix", in, err)
		}
	}
	_, err := ParseDateTime("19961331T200000Z", nil)
	if err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("month 13: error %v, want an out of range error", err)
	}
}

func TestParseDateTimeWallClockRules(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	ny := mustLoad(t, "America/New_York")
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		// In the spring gap: read with the offset before it (RFC 5545 3.3.5).
		{"20270328T023000", berlin, utc(2027, 3, 28, 1, 30, 0)},
		{"20270314T023000", ny, utc(2027, 3, 14, 7, 30, 0)},
		// Ambiguous in the autumn: the first of the two instants.
		{"20271031T023000", berlin, utc(2027, 10, 31, 0, 30, 0)},
		{"20271107T013000", ny, utc(2027, 11, 7, 5, 30, 0)},
	}
	for _, tt := range tests {
		v, err := ParseDateTime(tt.in, tt.loc)
		if err != nil {
			t.Fatal(err)
		}
		if !v.UTC().Equal(tt.want) {
			t.Errorf("ParseDateTime(%q, %v) = %v, want %v", tt.in, tt.loc, v.UTC(), tt.want)
		}
	}
}

func TestParseDateTimeIn(t *testing.T) {
	z := NewZones()
	v, err := ParseDateTimeIn("20270114T100000", "W. Europe Standard Time", z)
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != Zoned || !v.UTC().Equal(utc(2027, 1, 14, 9, 0, 0)) {
		t.Errorf("got %v %v", v.Kind, v.UTC())
	}
	// A UTC value keeps its zone despite the TZID.
	v, err = ParseDateTimeIn("20270114T100000Z", "Europe/Berlin", z)
	if err != nil || v.Kind != UTC || !v.UTC().Equal(utc(2027, 1, 14, 10, 0, 0)) {
		t.Errorf("UTC with TZID: %v %v %v", v.Kind, v.UTC(), err)
	}
	// A DATE with a TZID is midnight there.
	v, err = ParseDateTimeIn("20270114", "Europe/Berlin", nil)
	if err != nil || v.Kind != Date || !v.UTC().Equal(utc(2027, 1, 13, 23, 0, 0)) {
		t.Errorf("DATE with TZID: %v %v %v", v.Kind, v.UTC(), err)
	}
	// No TZID: floating in UTC.
	v, err = ParseDateTimeIn("20270114T100000", "", nil)
	if err != nil || v.Kind != Floating {
		t.Errorf("no TZID: %v %v", v.Kind, err)
	}
	_, err = ParseDateTimeIn("20270114T100000", "Mars/Olympus_Mons", z)
	if !errors.Is(err, ErrUnknownTZID) || !strings.Contains(err.Error(), "Mars/Olympus_Mons") {
		t.Errorf("unknown TZID: %v", err)
	}
	if _, err = ParseDateTimeIn("20271314T100000", "Europe/Berlin", z); err == nil {
		t.Error("bad value with TZID: no error")
	}
}

func TestParseDate(t *testing.T) {
	v, err := ParseDate("20270403")
	if err != nil || v.Kind != Date || !v.Time.Equal(utc(2027, 4, 3, 0, 0, 0)) {
		t.Errorf("ParseDate: %v %v", v, err)
	}
	v, err = ParseDateIn("2027-04-03", mustLoad(t, "Asia/Tokyo"))
	if err != nil || !v.UTC().Equal(utc(2027, 4, 2, 15, 0, 0)) {
		t.Errorf("ParseDateIn: %v %v", v.UTC(), err)
	}
	for _, in := range []string{"20270403T100000", "20270431", "2027040", ""} {
		if _, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q): no error", in)
		}
	}
}

func TestParseUTCOffset(t *testing.T) {
	good := map[string]int{"+0100": 3600, "-0500": -18000, "+053000": 19800, "+05:30": 19800,
		"-08": -28800, "+0000": 0, "-0000": 0, " +2359 ": 86340, "+01:02:03": 3723}
	for in, want := range good {
		if got, err := ParseUTCOffset(in); err != nil || got != want {
			t.Errorf("ParseUTCOffset(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0100", "+1", "+2400", "+0160", "+01:", "+01:0", "+0100000000", "++0100", "+01a0"} {
		if _, err := ParseUTCOffset(in); err == nil {
			t.Errorf("ParseUTCOffset(%q): no error", in)
		}
	}
	for _, off := range []int{0, 3600, -18000, 19800, 3723, -86399} {
		got, err := ParseUTCOffset(formatOffset(off))
		if err != nil || got != off {
			t.Errorf("round trip of %d via %q: %d %v", off, formatOffset(off), got, err)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Date: "date", Floating: "floating", UTC: "utc", Offset: "offset", Zoned: "zoned", 0: "Kind(0)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
}

func TestCivilArithmetic(t *testing.T) {
	// daysFromCivil and civilFromDays agree with the time package over the
	// whole supported range.
	for day := daysFromCivil(1, 1, 1); day <= daysFromCivil(9999, 12, 31); day += 997 {
		y, m, d := civilFromDays(day)
		tt := time.Unix(day*secondsPerDay, 0).UTC()
		if y != tt.Year() || m != int(tt.Month()) || d != tt.Day() || weekdayOf(day) != tt.Weekday() {
			t.Fatalf("day %d: %d-%d-%d %v, time says %v", day, y, m, d, weekdayOf(day), tt)
		}
		if daysFromCivil(y, m, d) != day {
			t.Fatalf("day %d does not round trip", day)
		}
	}
}

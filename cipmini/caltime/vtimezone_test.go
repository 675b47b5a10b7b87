package caltime

import (
	"strings"
	"testing"
	"time"
)

// googleNewYork is the VTIMEZONE of the corpus file
// google-recurring-override.ics.
var googleNewYork = []Observance{
	{Daylight: true, Start: "19700308T020000", OffsetFrom: "-0500", OffsetTo: "-0400", RRule: "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", Name: "EDT"},
	{Start: "19701101T020000", OffsetFrom: "-0400", OffsetTo: "-0500", RRule: "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", Name: "EST"},
}

// outlookWEurope is the VTIMEZONE of the corpus file
// outlook-windows-tz.ics: Outlook's DTSTART in 1601.
var outlookWEurope = []Observance{
	{Start: "16010101T030000", OffsetFrom: "+0200", OffsetTo: "+0100", RRule: "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10"},
	{Daylight: true, Start: "16010101T020000", OffsetFrom: "+0100", OffsetTo: "+0200", RRule: "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3"},
}

// sameOffsets compares two locations over [from, to): every step, and at
// each transition of want, found to the second, on both of its sides.
func sameOffsets(t *testing.T, got, want *time.Location, from, to time.Time, step time.Duration) {
	t.Helper()
	offset := func(loc *time.Location, at time.Time) int {
		_, off := at.In(loc).Zone()
		return off
	}
	bad := 0
	check := func(at time.Time) {
		if o1, o2 := offset(got, at), offset(want, at); o1 != o2 {
			t.Errorf("at %v: offset %d, want %d (%s)", at, o1, o2, want)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
	for at := from; at.Before(to); at = at.Add(step) {
		check(at)
		next := at.Add(step)
		if offset(want, at) == offset(want, next) {
			continue
		}
		lo, hi := at, next
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2)
			if offset(want, mid) == offset(want, lo) {
				lo = mid
			} else {
				hi = mid
			}
		}
		check(lo)
		check(hi)
	}
}

func addZone(t *testing.T, tzid string, obs []Observance) *time.Location {
	t.Helper()
	z := NewZones()
	if err := z.AddVTimezone(tzid, obs); err != nil {
		t.Fatal(err)
	}
	loc, err := z.Location(tzid)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestVTimezoneMatchesIANA(t *testing.T) {
	ny := addZone(t, "Custom/NY", googleNewYork)
	sameOffsets(t, ny, mustLoad(t, "America/New_York"), utc(2007, 1, 1, 0, 0, 0), utc(2060, 1, 1, 0, 0, 0), 6*time.Hour)
	for _, y := range []int{2150, 2299, 2400, 3000} {
		sameOffsets(t, ny, mustLoad(t, "America/New_York"), utc(y, 1, 1, 0, 0, 0), utc(y+1, 1, 1, 0, 0, 0), 6*time.Hour)
	}
	we := addZone(t, "W. Europe Standard Time", outlookWEurope)
	sameOffsets(t, we, mustLoad(t, "Europe/Berlin"), utc(1996, 1, 1, 0, 0, 0), utc(2060, 1, 1, 0, 0, 0), 6*time.Hour)
	sameOffsets(t, we, mustLoad(t, "Europe/Berlin"), utc(2399, 1, 1, 0, 0, 0), utc(2400, 1, 1, 0, 0, 0), 6*time.Hour)
	// Southern hemisphere: summer time spans the new year.
	sydney := addZone(t, "AUS Eastern Standard Time", []Observance{
		{Start: "16010101T030000", OffsetFrom: "+1100", OffsetTo: "+1000", RRule: "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4", Name: "AEST"},
		{Daylight: true, Start: "16010101T020000", OffsetFrom: "+1000", OffsetTo: "+1100", RRule: "FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", Name: "AEDT"},
	})
	sameOffsets(t, sydney, mustLoad(t, "Australia/Sydney"), utc(2008, 6, 1, 0, 0, 0), utc(2060, 1, 1, 0, 0, 0), 6*time.Hour)
}

// A zone whose rules changed, written as Thunderbird does: finite eras with
// UNTIL, then the current rules.
func TestVTimezoneHistoricalEras(t *testing.T) {
	obs := []Observance{
		{Daylight: true, Start: "19870405T020000", OffsetFrom: "-0500", OffsetTo: "-0400", Name: "EDT",
			RRule: "FREQ=YEARLY;UNTIL=20060402T070000Z;BYDAY=1SU;BYMONTH=4"},
		{Start: "19671029T020000", OffsetFrom: "-0400", OffsetTo: "-0500", Name: "EST",
			RRule: "FREQ=YEARLY;UNTIL=20061029T060000Z;BYDAY=-1SU;BYMONTH=10"},
		{Daylight: true, Start: "20070311T020000", OffsetFrom: "-0500", OffsetTo: "-0400", Name: "EDT",
			RRule: "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"},
		{Start: "20071104T020000", OffsetFrom: "-0400", OffsetTo: "-0500", Name: "EST",
			RRule: "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"},
	}
	loc := addZone(t, "US/Eastern-like", obs)
	sameOffsets(t, loc, mustLoad(t, "America/New_York"), utc(1987, 1, 1, 0, 0, 0), utc(2040, 1, 1, 0, 0, 0), 6*time.Hour)
	sameOffsets(t, loc, mustLoad(t, "America/New_York"), utc(2250, 1, 1, 0, 0, 0), utc(2251, 1, 1, 0, 0, 0), 6*time.Hour)
}

func TestVTimezoneRDatesAndNonPOSIXRules(t *testing.T) {
	// Explicit onsets only (RDATE lists, as some servers write history).
	rd := addZone(t, "RDates", []Observance{
		{Start: "20261025T030000", OffsetFrom: "+0200", OffsetTo: "+0100", RDates: []string{"20271031T030000", "20281029T030000"}, Name: "CET"},
		{Daylight: true, Start: "20270328T020000", OffsetFrom: "+0100", OffsetTo: "+0200", RDates: []string{"20280326T020000,20290325T020000"}, Name: "CEST"},
	})
	sameOffsets(t, rd, mustLoad(t, "Europe/Berlin"), utc(2026, 11, 1, 0, 0, 0), utc(2029, 6, 1, 0, 0, 0), 6*time.Hour)
	// The Israeli rule "Friday before the last Sunday of March" has no
	// POSIX form: onsets are listed through 2200.
	il := []Observance{
		{Daylight: true, Start: "20130329T020000", OffsetFrom: "+0200", OffsetTo: "+0300", Name: "IDT",
			RRule: "FREQ=YEARLY;BYMONTH=3;BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29"},
		{Start: "20131027T020000", OffsetFrom: "+0300", OffsetTo: "+0200", Name: "IST", RRule: "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"},
	}
	loc := addZone(t, "Israel-like", il)
	sameOffsets(t, loc, mustLoad(t, "Asia/Jerusalem"), utc(2014, 1, 1, 0, 0, 0), utc(2040, 1, 1, 0, 0, 0), 6*time.Hour)
	obs := make([]observance, len(il))
	for i := range il {
		if err := parseObservance(&il[i], &obs[i]); err != nil {
			t.Fatal(err)
		}
	}
	trans, footer, err := observanceTransitions(obs)
	if err != nil || footer != "" || len(trans) < 2*(2200-2013) {
		t.Errorf("non-POSIX rules: %d transitions, footer %q, %v", len(trans), footer, err)
	}
}

func TestVTimezoneFooterKeepsItSmall(t *testing.T) {
	for name, sub := range map[string][]Observance{"ny": googleNewYork, "outlook": outlookWEurope} {
		obs := make([]observance, len(sub))
		for i := range sub {
			if err := parseObservance(&sub[i], &obs[i]); err != nil {
				t.Fatal(err)
			}
		}
		trans, footer, err := observanceTransitions(obs)
		if err != nil {
			t.Fatal(err)
		}
		if footer == "" || len(trans) > 8 {
			t.Errorf("%s: %d transitions, footer %q", name, len(trans), footer)
		}
		data, err := encodeTZif(initialType(obs, trans), trans, footer)
		if err != nil || len(data) > 300 {
			t.Errorf("%s: TZif of %d bytes, %v", name, len(data), err)
		}
	}
	obs := make([]observance, 2)
	for i := range googleNewYork {
		_ = parseObservance(&googleNewYork[i], &obs[i])
	}
	if _, footer, _ := observanceTransitions(obs); footer != "<EST>5<EDT>4,M3.2.0/2,M11.1.0/2" {
		t.Errorf("New York footer %q", footer)
	}
}

func TestPOSIXRule(t *testing.T) {
	tests := []struct {
		rule   string
		month  int
		day    int
		want   string
		wantOK bool
	}{
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", 3, 8, "M3.2.0", true},
		{"FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", 10, 25, "M10.5.0", true},
		{"FREQ=YEARLY;BYMONTH=4;BYDAY=1SU", 4, 1, "M4.1.0", true},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=SU;BYMONTHDAY=8,9,10,11,12,13,14", 3, 8, "M3.2.0", true},
		{"FREQ=YEARLY;BYMONTH=10;BYDAY=SU;BYMONTHDAY=-7,-6,-5,-4,-3,-2,-1", 10, 25, "M10.5.0", true},
		{"FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=22", 3, 22, "J81", true},
		{"FREQ=YEARLY", 9, 21, "J264", true},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=5SU", 3, 29, "", false},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-2SU", 3, 22, "", false},
		{"FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=2SU", 3, 8, "", false},
		{"FREQ=MONTHLY;BYDAY=2SU", 3, 8, "", false},
		{"FREQ=YEARLY;BYMONTH=3,4;BYDAY=2SU", 3, 8, "", false},
		{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", 2, 29, "", false},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=2SU;UNTIL=20200101T000000Z", 3, 8, "", false},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29", 3, 29, "", false},
	}
	for _, tt := range tests {
		r, err := parseRule(tt.rule)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := posixRule(r, tt.month, tt.day)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("posixRule(%q) = %q %v, want %q %v", tt.rule, got, ok, tt.want, tt.wantOK)
		}
	}
	for off, want := range map[int]string{3600: "-1", -18000: "5", 19800: "-5:30", 0: "0", -12600: "3:30"} {
		if got := posixOffset(off); got != want {
			t.Errorf("posixOffset(%d) = %q, want %q", off, got, want)
		}
	}
}

func TestEncodeTZif(t *testing.T) {
	cet := zoneType{offset: 3600, abbr: "CET"}
	cest := zoneType{offset: 7200, dst: true, abbr: "CEST"}
	trans := []zoneTransition{
		{when: utc(2027, 3, 28, 1, 0, 0).Unix(), typ: cest},
		{when: utc(2027, 10, 31, 1, 0, 0).Unix(), typ: cet},
	}
	loc, err := buildLocation("Test/Zone", cet, trans, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		name string
		off  int
	}{
		{utc(1900, 1, 1, 0, 0, 0), "CET", 3600},
		{utc(2027, 3, 28, 0, 59, 59), "CET", 3600},
		{utc(2027, 3, 28, 1, 0, 0), "CEST", 7200},
		{utc(2027, 10, 31, 1, 0, 0), "CET", 3600},
		{utc(2100, 7, 1, 0, 0, 0), "CET", 3600},
	} {
		if name, off := c.at.In(loc).Zone(); name != c.name || off != c.off {
			t.Errorf("at %v: %s %d, want %s %d", c.at, name, off, c.name, c.off)
		}
	}
	if loc.String() != "Test/Zone" {
		t.Errorf("name %q", loc)
	}
	if _, err := encodeTZif(cet, make([]zoneTransition, maxTransitions+1), ""); err == nil {
		t.Error("no error for too many transitions")
	}
	if a := abbreviation("Mitteleuropäische Zeit!", 3600); a != "Mitteleuropische" {
		t.Errorf("abbreviation %q", a)
	}
	if a := abbreviation("", -18000); a != "-0500" {
		t.Errorf("empty abbreviation %q", a)
	}
	if !strings.HasPrefix(abbreviation("<>", 3600), "+") {
		t.Error("short abbreviation not replaced by the offset")
	}
}

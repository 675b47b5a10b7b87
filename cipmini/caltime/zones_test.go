package caltime

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLocationIANAAndWindows(t *testing.T) {
	tests := map[string]string{
		"Europe/Berlin":                         "Europe/Berlin",
		`"Europe/Berlin"`:                       "Europe/Berlin",
		" America/New_York ":                    "America/New_York",
		"/mozilla.org/20050126_1/Europe/Berlin": "Europe/Berlin",
		"/softwarestudio.org/Olson_20011030_5/America/New_York":  "America/New_York",
		"/citadel.org/20190914_1/America/Argentina/Buenos_Aires": "America/Argentina/Buenos_Aires",
		"W. Europe Standard Time":                                "Europe/Berlin",
		`"W. Europe Standard Time"`:                              "Europe/Berlin",
		"w. europe standard time":                                "Europe/Berlin",
		"Eastern Standard Time":                                  "America/New_York",
		"GMT Standard Time":                                      "Europe/London",
		"Pacific Standard Time":                                  "America/Los_Angeles",
		"Romance Standard Time":                                  "Europe/Paris",
		"Central Europe Standard Time":                           "Europe/Budapest",
		"Tokyo Standard Time":                                    "Asia/Tokyo",
		"India Standard Time":                                    "Asia/Calcutta",
		"UTC":                                                    "UTC",
	}
	var z *Zones // nil: IANA and Windows names only
	for tzid, want := range tests {
		loc, err := z.Location(tzid)
		if err != nil {
			t.Errorf("Location(%q): %v", tzid, err)
			continue
		}
		// Compare behaviour, not names (aliases differ in name).
		wantLoc := mustLoad(t, want)
		for _, at := range []time.Time{utc(2027, 1, 15, 12, 0, 0), utc(2027, 7, 15, 12, 0, 0)} {
			_, o1 := at.In(loc).Zone()
			_, o2 := at.In(wantLoc).Zone()
			if o1 != o2 {
				t.Errorf("Location(%q) offset %d at %v, want %d (%s)", tzid, o1, at, o2, want)
			}
		}
	}
	for _, tzid := range []string{"", "Local", "Mars/Olympus_Mons", "Nowhere Standard Time", "../etc/passwd",
		"/", strings.Repeat("A", 300), "Europe/Berlin\x00"} {
		_, err := z.Location(tzid)
		if !errors.Is(err, ErrUnknownTZID) {
			t.Errorf("Location(%q): %v, want ErrUnknownTZID", tzid, err)
		}
	}
}

// Every Windows name must map to a zone the embedded database knows.
func TestWindowsZonesAllLoad(t *testing.T) {
	if len(windowsZones) < 100 {
		t.Errorf("only %d Windows zones", len(windowsZones))
	}
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("%q -> %q: %v", win, iana, err)
		}
		if _, err := LoadZone(win); err != nil {
			t.Errorf("LoadZone(%q): %v", win, err)
		}
	}
}

func TestZonesVTimezoneWinsOverIANA(t *testing.T) {
	// A VTIMEZONE named Europe/Berlin whose rules are not Berlin's: summer
	// time starts on the first Sunday of April at 02:00 and the offsets
	// are +03/+04.
	z := NewZones()
	err := z.AddVTimezone(`"Europe/Berlin"`, []Observance{
		{Start: "19701025T030000", OffsetFrom: "+0400", OffsetTo: "+0300", RRule: "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", Name: "XST"},
		{Daylight: true, Start: "19700405T020000", OffsetFrom: "+0300", OffsetTo: "+0400", RRule: "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU", Name: "XDT"},
	})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := z.Location("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	check := func(at time.Time, wantOff int, wantName string) {
		t.Helper()
		name, off := at.In(loc).Zone()
		if off != wantOff || name != wantName {
			t.Errorf("at %v: %s %d, want %s %d", at, name, off, wantName, wantOff)
		}
	}
	check(utc(2027, 1, 14, 9, 0, 0), 3*3600, "XST")
	check(utc(2027, 3, 30, 9, 0, 0), 3*3600, "XST") // Berlin would be in summer time
	check(utc(2027, 4, 3, 22, 59, 59), 3*3600, "XST")
	check(utc(2027, 4, 3, 23, 0, 0), 4*3600, "XDT") // 2027-04-04 02:00 +03
	check(utc(2027, 10, 30, 22, 59, 59), 4*3600, "XDT")
	check(utc(2027, 10, 30, 23, 0, 0), 3*3600, "XST") // 2027-10-31 03:00 +04
	check(utc(2345, 7, 1, 0, 0, 0), 4*3600, "XDT")
	// The TZID matches without the quotes and ignoring case; other
	// Zones are unaffected.
	if l2, err := z.Location("europe/berlin"); err != nil || l2 != loc {
		t.Errorf("case-insensitive match: %v %v", l2, err)
	}
	if l3, _ := NewZones().Location("Europe/Berlin"); l3 == loc {
		t.Error("a fresh Zones sees another calendar's VTIMEZONE")
	}
	v, err := ParseDateTimeIn("20270330T100000", "Europe/Berlin", z)
	if err != nil || !v.UTC().Equal(utc(2027, 3, 30, 7, 0, 0)) {
		t.Errorf("ParseDateTimeIn with the VTIMEZONE: %v %v", v.UTC(), err)
	}
}

func TestZonesErrors(t *testing.T) {
	z := &Zones{} // the zero value works
	good := Observance{Start: "19700101T000000", OffsetFrom: "+0100", OffsetTo: "+0100"}
	cases := []struct {
		tzid string
		obs  []Observance
		want string
	}{
		{"", []Observance{good}, "without TZID"},
		{"X", nil, "no STANDARD or DAYLIGHT"},
		{"X", []Observance{{Start: "19700101T000000", OffsetFrom: "+2500", OffsetTo: "+0100"}}, "TZOFFSETFROM"},
		{"X", []Observance{{Start: "19700101T000000", OffsetFrom: "+0100", OffsetTo: "0100"}}, "TZOFFSETTO"},
		{"X", []Observance{{Start: "19701301T000000", OffsetFrom: "+0100", OffsetTo: "+0100"}}, "DTSTART"},
		{"X", []Observance{{Start: "19700101T000000", OffsetFrom: "+0100", OffsetTo: "+0100", RRule: "FREQ=SOMETIMES"}}, "RRULE"},
		{"X", []Observance{{Start: "19700101T000000", OffsetFrom: "+0100", OffsetTo: "+0100", RDates: []string{"1971"}}}, "RDATE"},
		{"X", []Observance{{Start: "19700101T000000Z", OffsetFrom: "+0100", OffsetTo: "+0100", RRule: "FREQ=YEARLY"}}, "UTC DTSTART"},
		{"X", []Observance{{Start: "19000101T000000", OffsetFrom: "+0100", OffsetTo: "+0200", RRule: "FREQ=DAILY"}}, "too many transitions"},
		{"X", make([]Observance, 65), "observances"},
	}
	for _, c := range cases {
		err := z.AddVTimezone(c.tzid, c.obs)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "caltime: ") {
			t.Errorf("AddVTimezone(%q, ...): %v, want an error about %q", c.tzid, err, c.want)
		}
	}
	if err := z.AddVTimezone("Fixed", []Observance{good}); err != nil {
		t.Fatal(err)
	}
	loc, err := z.Location("Fixed")
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{1800, 1970, 2027, 3000} {
		if _, off := utc(y, 6, 1, 0, 0, 0).In(loc).Zone(); off != 3600 {
			t.Errorf("fixed VTIMEZONE in %d: offset %d", y, off)
		}
	}
}

func TestZonesConcurrent(t *testing.T) {
	z := NewZones()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if (i+j)%2 == 0 {
					_ = z.AddVTimezone("Custom", []Observance{{Start: "19700101T000000", OffsetFrom: "+0100", OffsetTo: "+0100"}})
				}
				_, _ = z.Location("Custom")
				_, _ = z.Location("Europe/Paris")
			}
		}()
	}
	wg.Wait()
}

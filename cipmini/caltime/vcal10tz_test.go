package caltime

import (
	"strings"
	"testing"
)

func TestVCal10Location(t *testing.T) {
	loc, err := VCal10Location("+01", []string{"TRUE;+02;20070325T010000Z;20071028T010000Z;CET;CEST"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		local string
		want  string
	}{
		{"20070315T140000", "2007-03-15T13:00:00Z"}, // the corpus event: before summer time
		{"20070415T140000", "2007-04-15T12:00:00Z"},
		{"20071115T140000", "2007-11-15T13:00:00Z"},
		{"20080415T140000", "2008-04-15T13:00:00Z"}, // no DAYLIGHT for 2008
	} {
		v, err := ParseDateTime(c.local, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.UTC().Format("2006-01-02T15:04:05Z"); got != c.want {
			t.Errorf("%s: %s, want %s", c.local, got, c.want)
		}
	}
	if name, _ := utc(2007, 6, 1, 0, 0, 0).In(loc).Zone(); name != "CEST" {
		t.Errorf("summer name %q", name)
	}
	if name, _ := utc(2007, 1, 1, 0, 0, 0).In(loc).Zone(); name != "CET" {
		t.Errorf("winter name %q", name)
	}
	// Local start and end times (vCalendar 1.0 section example), several
	// years, FALSE entries ignored.
	us, err := VCal10Location("-05", []string{
		"TRUE; -04; 19960407T025959; 19961027T010000; EST; EDT",
		"FALSE",
		"TRUE;-04;19970406T025959;19971026T010000;EST;EDT",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, off := utc(1996, 7, 1, 0, 0, 0).In(us).Zone(); off != -4*3600 {
		t.Errorf("1996 summer offset %d", off)
	}
	if _, off := utc(1997, 7, 1, 0, 0, 0).In(us).Zone(); off != -4*3600 {
		t.Errorf("1997 summer offset %d", off)
	}
	if _, off := utc(1997, 1, 1, 0, 0, 0).In(us).Zone(); off != -5*3600 {
		t.Errorf("1997 winter offset %d", off)
	}
	// The start is standard local time: 1996-04-07T02:59:59-05 is 07:59:59Z.
	if _, off := utc(1996, 4, 7, 7, 59, 58).In(us).Zone(); off != -5*3600 {
		t.Errorf("just before the start: %d", off)
	}
	if _, off := utc(1996, 4, 7, 7, 59, 59).In(us).Zone(); off != -4*3600 {
		t.Errorf("at the start: %d", off)
	}
	fixed, err := VCal10Location("-08:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, off := utc(2007, 7, 1, 0, 0, 0).In(fixed).Zone(); off != -8*3600 {
		t.Errorf("fixed offset %d", off)
	}
}

func TestVCal10LocationErrors(t *testing.T) {
	cases := []struct {
		tz       string
		daylight []string
	}{
		{"", nil},
		{"CET", nil},
		{"+25", nil},
		{"+01", []string{"MAYBE;+02;20070325T010000Z;20071028T010000Z"}},
		{"+01", []string{"TRUE;+02;20070325T010000Z"}},
		{"+01", []string{"TRUE;2;20070325T010000Z;20071028T010000Z"}},
		{"+01", []string{"TRUE;+02;20071325T010000Z;20071028T010000Z"}},
		{"+01", []string{"TRUE;+02;20071028T010000Z;20070325T010000Z"}},
		{"+01", []string{"TRUE;+02;20070325T010000Z;20071028T010000Z", "TRUE;+02;20070601T010000Z;20071128T010000Z"}},
		{"+01", make([]string, maxDaylightRules+1)},
	}
	for _, c := range cases {
		if _, err := VCal10Location(c.tz, c.daylight); err == nil || !strings.HasPrefix(err.Error(), "caltime: ") {
			t.Errorf("VCal10Location(%q, %q): %v, want an error", c.tz, c.daylight, err)
		}
	}
}

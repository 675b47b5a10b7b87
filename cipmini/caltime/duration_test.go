package caltime

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want Duration
	}{
		{"PT1H30M", Duration{Clock: 90 * time.Minute}},
		{"-PT15M", Duration{Neg: true, Clock: 15 * time.Minute}},
		{"+PT15M", Duration{Clock: 15 * time.Minute}},
		{"P1D", Duration{Days: 1}},
		{"P2W", Duration{Weeks: 2}},
		{"P1DT2H", Duration{Days: 1, Clock: 2 * time.Hour}},
		{"P15DT5H0M20S", Duration{Days: 15, Clock: 5*time.Hour + 20*time.Second}},
		{"PT0S", Duration{}},
		{"p1dt2h", Duration{Days: 1, Clock: 2 * time.Hour}},
		{"P1W2D", Duration{Weeks: 1, Days: 2}},
		{"PT1H5S", Duration{Clock: time.Hour + 5*time.Second}},
		{" PT45M ", Duration{Clock: 45 * time.Minute}},
		{"PT36H", Duration{Clock: 36 * time.Hour}},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	bad := []string{"", "P", "PT", "P1", "1D", "P1M", "PT1D", "P1H", "P1DT", "PT1M1H", "P1D1W",
		"P1DT1H1H", "P-1D", "PT1.5H", "P999999999W", "P36526D", "PT876601H", "PP1D", "P1DTT1H", "--PT1H"}
	for _, in := range bad {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %+v, want error", in, d)
		} else if !strings.HasPrefix(err.Error(), "caltime: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
	if _, err := ParseDuration("P36525D"); err != nil {
		t.Errorf("the maximum duration is refused: %v", err)
	}
}

func TestDurationString(t *testing.T) {
	for _, in := range []string{"PT1H30M", "-PT15M", "P1D", "P2W", "P1DT2H", "PT0S", "P15DT5H20S", "-P1DT1S"} {
		d, err := ParseDuration(in)
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != in {
			t.Errorf("String of %q = %q", in, d.String())
		}
	}
	if s := (Duration{Weeks: 1, Days: 2}).String(); s != "P9D" {
		t.Errorf("P1W2D prints as %q", s)
	}
}

func TestDurationAddToAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	start := time.Date(2027, 3, 27, 9, 0, 0, 0, berlin) // the day before summer time
	day := Duration{Days: 1}
	got := day.AddTo(start)
	if want := time.Date(2027, 3, 28, 9, 0, 0, 0, berlin); !got.Equal(want) || got.Sub(start) != 23*time.Hour {
		t.Errorf("P1D across the spring change: %v (%v), want %v (23h)", got, got.Sub(start), want)
	}
	hours := Duration{Clock: 24 * time.Hour}
	if got := hours.AddTo(start); !got.Equal(time.Date(2027, 3, 28, 10, 0, 0, 0, berlin)) {
		t.Errorf("PT24H across the spring change: %v", got)
	}
	back := Duration{Neg: true, Days: 1, Clock: 2 * time.Hour}
	if got := back.AddTo(time.Date(2027, 10, 31, 12, 0, 0, 0, berlin)); !got.Equal(time.Date(2027, 10, 30, 10, 0, 0, 0, berlin)) {
		t.Errorf("-P1DT2H: %v", got)
	}
	// A nominal day landing in the gap moves forward by the gap.
	gap := Duration{Days: 1}.AddTo(time.Date(2027, 3, 27, 2, 30, 0, 0, berlin))
	if !gap.Equal(time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("P1D into the gap: %v", gap.UTC())
	}
	if (Duration{}).AddTo(start) != start {
		t.Error("zero duration moved the time")
	}
}

func TestDurationApproxAndBetween(t *testing.T) {
	d := Duration{Weeks: 1, Days: 1, Clock: time.Hour}
	if d.Approx() != 8*24*time.Hour+time.Hour {
		t.Errorf("Approx = %v", d.Approx())
	}
	d.Neg = true
	if d.Approx() != -(8*24*time.Hour + time.Hour) {
		t.Errorf("negative Approx = %v", d.Approx())
	}
	ny := mustLoad(t, "America/New_York")
	a := time.Date(2027, 3, 13, 0, 0, 0, 0, ny)
	b := time.Date(2027, 3, 15, 0, 0, 0, 0, ny)
	if got := DurationBetween(a, b, true); got != (Duration{Days: 2}) {
		t.Errorf("all-day DurationBetween = %+v", got)
	}
	if got := DurationBetween(a, b, false); got != (Duration{Clock: 47 * time.Hour}) {
		t.Errorf("exact DurationBetween = %+v", got)
	}
	if got := DurationBetween(b, a, false); !got.Neg {
		t.Errorf("reversed DurationBetween = %+v", got)
	}
}

func TestParsePeriod(t *testing.T) {
	s, e, err := ParsePeriod("19970101T180000Z/19970102T070000Z", nil)
	if err != nil || !s.Equal(utc(1997, 1, 1, 18, 0, 0)) || !e.Equal(utc(1997, 1, 2, 7, 0, 0)) {
		t.Errorf("explicit period: %v %v %v", s, e, err)
	}
	s, e, err = ParsePeriod("19970101T180000Z/PT5H30M", nil)
	if err != nil || !e.Equal(utc(1997, 1, 1, 23, 30, 0)) || !s.Equal(utc(1997, 1, 1, 18, 0, 0)) {
		t.Errorf("start/duration period: %v %v %v", s, e, err)
	}
	berlin := mustLoad(t, "Europe/Berlin")
	s, _, err = ParsePeriod("20270106T080000/PT30M", berlin)
	if err != nil || !s.Equal(utc(2027, 1, 6, 7, 0, 0)) {
		t.Errorf("floating period: %v %v", s, err)
	}
	for _, in := range []string{"", "19970101T180000Z", "19970101T180000Z/", "/PT1H",
		"19970102T180000Z/19970101T180000Z", "19970101T180000Z/-PT1H", "19970101T180000Z/PT", "19971301T180000Z/PT1H"} {
		if _, _, err := ParsePeriod(in, nil); err == nil {
			t.Errorf("ParsePeriod(%q): no error", in)
		}
	}
}

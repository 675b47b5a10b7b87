package caltime

import (
	"testing"
	"time"
)

func BenchmarkParseDateTime(b *testing.B) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, in string
		loc      *time.Location
	}{
		{"utc", "19961231T200000Z", nil},
		{"offset-no-seconds", "19961231T2000-0500", nil},
		{"iso-dashed", "1996-12-31T20:00:00Z", nil},
		{"floating-in-zone", "19970714T133000", berlin},
		{"date", "19970714", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseDateTime(c.in, c.loc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseDateTimeInWindowsZone(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDateTimeIn("20270114T100000", "W. Europe Standard Time", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// A SECONDLY rule from 2020 queried for one hour in 2026: the expansion
// jumps to the window instead of walking six years of seconds.
func BenchmarkBetweenSecondlyFrom2020(b *testing.B) {
	from := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, rule := range []string{"FREQ=SECONDLY", "FREQ=SECONDLY;COUNT=1000000000"} {
		b.Run(rule, func(b *testing.B) {
			r := &Recurrence{Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), RRules: []string{rule}}
			b.ReportAllocs()
			for b.Loop() {
				ins, err := r.Between(from, from.Add(time.Hour), 0)
				if err != nil || len(ins) != 3600 {
					b.Fatalf("%d instances, %v", len(ins), err)
				}
			}
		})
	}
}

// A year of a weekly meeting in a VTIMEZONE zone, with an EXDATE and an
// override: the common case of a FREEBUSY query.
func BenchmarkBetweenWeeklyZoned(b *testing.B) {
	z := NewZones()
	if err := z.AddVTimezone("America/New_York", googleNewYork); err != nil {
		b.Fatal(err)
	}
	loc, _ := z.Location("America/New_York")
	start := time.Date(2025, 3, 4, 9, 30, 0, 0, loc)
	r := &Recurrence{
		Start:     start,
		Duration:  Duration{Clock: 30 * time.Minute},
		RRules:    []string{"FREQ=WEEKLY;BYDAY=TU,TH"},
		ExDates:   []time.Time{time.Date(2027, 3, 16, 9, 30, 0, 0, loc)},
		Overrides: map[int64]Override{time.Date(2027, 3, 23, 9, 30, 0, 0, loc).Unix(): {Start: time.Date(2027, 3, 23, 14, 0, 0, 0, loc)}},
	}
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Between(from, from.AddDate(1, 0, 0), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// Building a location from a VTIMEZONE, without and with the cache.
func BenchmarkAddVTimezone(b *testing.B) {
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			obs := make([]observance, len(outlookWEurope))
			for i := range outlookWEurope {
				if err := parseObservance(&outlookWEurope[i], &obs[i]); err != nil {
					b.Fatal(err)
				}
			}
			trans, footer, err := observanceTransitions(obs)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := buildLocation("W. Europe Standard Time", initialType(obs, trans), trans, footer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := NewZones().AddVTimezone("W. Europe Standard Time", outlookWEurope); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// One week of an endless weekly series that started months before, prepared
// once: the per-series cost of a one-week FREEBUSY.
func BenchmarkAppendBetweenWeekOfWeekly(b *testing.B) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2027, 6, 7, 0, 0, 0, 0, time.UTC)
	for _, loc := range []*time.Location{time.UTC, berlin} {
		b.Run(loc.String(), func(b *testing.B) {
			r := &Recurrence{Start: time.Date(2027, 1, 5, 10, 0, 0, 0, loc), Duration: Duration{Clock: time.Hour},
				RRules: []string{"FREQ=WEEKLY"}}
			p, err := r.Prepare()
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]Instance, 0, 8)
			b.ReportAllocs()
			for b.Loop() {
				ins, err := p.AppendBetween(dst[:0], from, from.AddDate(0, 0, 7), 64)
				if err != nil || len(ins) != 1 {
					b.Fatalf("%d instances, %v", len(ins), err)
				}
			}
		})
	}
}

package caltime

import (
	"testing"
	"time"
)

// ParseWhen takes every form the command line and the HTTP face took
// before they shared it: RFC 3339, iCalendar UTC, and both spellings of a
// date.
func TestParseWhen(t *testing.T) {
	day := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for s, want := range map[string]time.Time{
		"2027-03-01":                day,
		"20270301":                  day,
		"20270301T090000Z":          day.Add(9 * time.Hour),
		"2027-03-01T09:00:00Z":      day.Add(9 * time.Hour),
		"2027-03-01T10:00:00+01:00": day.Add(9 * time.Hour),
		"2027-03-01T09:00:00.5Z":    day.Add(9*time.Hour + 500*time.Millisecond),
		"1800-01-01":                time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseWhen(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%q: %v, %v; want %v UTC", s, got, err, want)
		}
	}
	for _, s := range []string{"", "tomorrow", "2027-02-30", "20270301T0900Z", "20270301T090000",
		"2027-3-1", "2027-03-01 09:00", "27-03-01", "2027-03-01T09:00:00"} {
		if got, err := ParseWhen(s); err == nil {
			t.Errorf("%q: accepted as %v", s, got)
		}
	}
}

package web

import (
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
)

func TestParseWindow(t *testing.T) {
	now := time.Date(2027, 3, 2, 15, 4, 5, 0, time.UTC)
	from, to, err := ParseWindow("", "", now, 60)
	if err != nil || !from.Equal(time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)) || !to.Equal(from.AddDate(0, 0, 60)) {
		t.Fatalf("default window: %v %v %v", from, to, err)
	}
	from, to, err = ParseWindow("2027-03-01T10:00:00+01:00", "20270302", now, 60)
	if err != nil || !from.Equal(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("explicit window: %v %v %v", from, to, err)
	}
	for _, bad := range [][2]string{{"x", ""}, {"2027-03-02", "2027-03-01"}, {"2027-01-01", "2028-06-01"}, {"0001-01-01", ""}} {
		if _, _, err := ParseWindow(bad[0], bad[1], now, 60); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {"2027-03-01", "2027-03-02"}, {"20270301T090000Z", "20270301T100000Z"},
		{"2027-03-01T10:00:00+01:00", ""}, {"9999-12-31", ""}, {"bad", "20270301"}} {
		f.Add(s[0], s[1])
	}
	now := time.Date(2027, 3, 2, 15, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, start, end string) {
		from, to, err := ParseWindow(start, end, now, 60)
		if err != nil {
			return
		}
		if !to.After(from) || to.Sub(from) > vcal.MaxFreeBusyWindow || from.Location() != time.UTC || to.Location() != time.UTC {
			t.Fatalf("%q %q: window %v .. %v", start, end, from, to)
		}
	})
}

package ciptest

import (
	"testing"
	"time"
)

func TestOverlap(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	cases := []struct {
		name  string
		spans []Span
		want  [2]string // the pair found, "" when none
	}{
		{"none", nil, [2]string{}},
		{"touching", []Span{{at(9), at(10), "a"}, {at(10), at(11), "b"}}, [2]string{}},
		{"one event overlapping itself", []Span{{at(9), at(11), "a"}, {at(10), at(12), "a"}}, [2]string{}},
		{"out of order", []Span{{at(12), at(13), "b"}, {at(9), at(14), "a"}}, [2]string{"a", "b"}},
		{"behind an own instance", []Span{{at(9), at(12), "a"}, {at(10), at(11), "a"}, {at(11), at(13), "b"}}, [2]string{"a", "b"}},
		{"after a gap", []Span{{at(8), at(9), "a"}, {at(9), at(11), "b"}, {at(10), at(12), "c"}}, [2]string{"b", "c"}},
	}
	for _, tc := range cases {
		a, b, ok := Overlap(tc.spans)
		if got := [2]string{a.Event, b.Event}; got != tc.want || ok != (tc.want[0] != "") {
			t.Errorf("%s: got %v %v, want %v", tc.name, got, ok, tc.want)
		}
	}
}

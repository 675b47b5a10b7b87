package caltime

import (
	"reflect"
	"testing"
	"time"
)

// A recurrence of DTSTART alone is answered without a query; the answer is
// the query's, as given for the same start with an EXDATE that excludes
// nothing.
func TestBetweenStartAloneSameAsQuery(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	start := time.Date(2027, 3, 14, 1, 30, 0, 0, ny)
	window := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	for _, d := range []Duration{{}, {Clock: time.Hour}, {Days: 1}, {Neg: true, Clock: time.Minute}} {
		for _, transparent := range []bool{false, true} {
			for _, w := range [][2]int{{-2, 0}, {-2, 1}, {0, 1}, {1, 30}, {-48, 48}, {24, 48}} {
				from, to := window(w[0]), window(w[1])
				alone := &Recurrence{Start: start, Duration: d, Transparent: transparent}
				query := &Recurrence{Start: start, Duration: d, Transparent: transparent, ExDates: []time.Time{start.AddDate(-1, 0, 0)}}
				got, err1 := alone.AppendBetween([]Instance{{}}, from, to, 1)
				want, err2 := query.AppendBetween([]Instance{{}}, from, to, 1)
				if err1 != err2 || !reflect.DeepEqual(got, want) {
					t.Errorf("%v %v %v: %v %v, query %v %v", d, transparent, w, got, err1, want, err2)
				}
			}
		}
	}
}

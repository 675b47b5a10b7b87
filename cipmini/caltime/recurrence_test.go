package caltime

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func starts(ins []Instance) string {
	var b strings.Builder
	for i, in := range ins {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(in.Start.Format("01-02T15:04"))
	}
	return b.String()
}

func TestBetweenSetOperations(t *testing.T) {
	start := utc(2027, 5, 3, 10, 0, 0) // a Monday
	hour := Duration{Clock: time.Hour}
	base := func() *Recurrence {
		return &Recurrence{Start: start, Duration: hour, RRules: []string{"FREQ=DAILY;COUNT=5"}}
	}
	from, to := utc(2027, 5, 1, 0, 0, 0), utc(2027, 6, 1, 0, 0, 0)
	check := func(name string, r *Recurrence, want string) {
		t.Helper()
		ins, err := r.Between(from, to, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := starts(ins); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	check("plain", base(), "05-03T10:00 05-04T10:00 05-05T10:00 05-06T10:00 05-07T10:00")

	r := base()
	r.ExDates = []time.Time{utc(2027, 5, 4, 10, 0, 0), utc(2027, 5, 3, 10, 0, 0), utc(2027, 5, 4, 11, 0, 0)}
	check("exdates, DTSTART included", r, "05-05T10:00 05-06T10:00 05-07T10:00")

	r = base()
	r.RDates = []Period{{Start: utc(2027, 5, 20, 8, 0, 0)}, {Start: utc(2027, 5, 5, 10, 0, 0)}, {Start: utc(2027, 5, 21, 8, 0, 0), End: utc(2027, 5, 21, 18, 0, 0)}}
	ins, _ := r.Between(from, to, 0)
	check("rdates, duplicate counted once", r, "05-03T10:00 05-04T10:00 05-05T10:00 05-06T10:00 05-07T10:00 05-20T08:00 05-21T08:00")
	if last := ins[len(ins)-1]; !last.End.Equal(utc(2027, 5, 21, 18, 0, 0)) {
		t.Errorf("period RDATE end %v", last.End)
	}
	if ins[5].End.Sub(ins[5].Start) != time.Hour {
		t.Errorf("RDATE without end lasts %v", ins[5].End.Sub(ins[5].Start))
	}

	r = base()
	r.Overrides = map[int64]Override{
		utc(2027, 5, 4, 10, 0, 0).Unix(): {Start: utc(2027, 5, 4, 15, 0, 0), End: utc(2027, 5, 4, 15, 30, 0)},
		utc(2027, 5, 5, 10, 0, 0).Unix(): {Cancelled: true},
		utc(2027, 5, 6, 10, 0, 0).Unix(): {Start: utc(2027, 7, 1, 10, 0, 0)}, // moved out of the window
		utc(2027, 4, 1, 10, 0, 0).Unix(): {Start: utc(2027, 5, 30, 9, 0, 0)}, // matches nothing: added
	}
	ins, _ = r.Between(from, to, 0)
	check("overrides", r, "05-03T10:00 05-04T15:00 05-07T10:00 05-30T09:00")
	if !ins[1].RecurrenceID.Equal(utc(2027, 5, 4, 10, 0, 0)) || !ins[1].End.Equal(utc(2027, 5, 4, 15, 30, 0)) {
		t.Errorf("moved instance: %+v", ins[1])
	}
	if !ins[3].End.Equal(utc(2027, 5, 30, 10, 0, 0)) {
		t.Errorf("override without end: %+v", ins[3])
	}
	// An override moves an instance into a window its original misses.
	r.Overrides[utc(2027, 5, 7, 10, 0, 0).Unix()] = Override{Start: utc(2027, 8, 1, 10, 0, 0)}
	ins, err := r.Between(utc(2027, 8, 1, 0, 0, 0), utc(2027, 8, 2, 0, 0, 0), 0)
	if err != nil || starts(ins) != "08-01T10:00" || !ins[0].RecurrenceID.Equal(utc(2027, 5, 7, 10, 0, 0)) {
		t.Errorf("override into the window: %v %v", ins, err)
	}

	r = base()
	r.RRules = append(r.RRules, "FREQ=WEEKLY;COUNT=3;BYDAY=SA")
	check("two rules", r, "05-03T10:00 05-04T10:00 05-05T10:00 05-06T10:00 05-07T10:00 05-08T10:00 05-15T10:00")
}

func TestBetweenWindowEdges(t *testing.T) {
	// Three-day instances every week: a window in the middle of one
	// still finds it.
	r := &Recurrence{Start: utc(2027, 1, 4, 12, 0, 0), Duration: Duration{Days: 3}, RRules: []string{"FREQ=WEEKLY"}}
	ins, err := r.Between(utc(2027, 3, 3, 0, 0, 0), utc(2027, 3, 3, 1, 0, 0), 0)
	if err != nil || starts(ins) != "03-01T12:00" {
		t.Errorf("long instance: %s %v", starts(ins), err)
	}
	// Ends are exclusive, starts inclusive.
	ins, _ = r.Between(utc(2027, 3, 4, 12, 0, 0), utc(2027, 3, 8, 12, 0, 0), 0)
	if len(ins) != 0 {
		t.Errorf("touching windows: %s", starts(ins))
	}
	ins, _ = r.Between(utc(2027, 3, 8, 12, 0, 0), utc(2027, 3, 8, 12, 0, 1), 0)
	if starts(ins) != "03-08T12:00" {
		t.Errorf("window at a start: %s", starts(ins))
	}
	// Zero-length instances count when they start in the window.
	z := &Recurrence{Start: utc(2027, 1, 4, 12, 0, 0), RRules: []string{"FREQ=DAILY"}}
	ins, _ = z.Between(utc(2027, 1, 5, 12, 0, 0), utc(2027, 1, 6, 12, 0, 0), 0)
	if starts(ins) != "01-05T12:00" {
		t.Errorf("zero length: %s", starts(ins))
	}
	// An empty or reversed window is empty.
	if ins, err := z.Between(utc(2027, 2, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0), 0); err != nil || ins != nil {
		t.Errorf("reversed window: %v %v", ins, err)
	}
	// A negative duration counts as zero.
	n := &Recurrence{Start: utc(2027, 1, 4, 12, 0, 0), Duration: Duration{Neg: true, Clock: time.Hour}}
	ins, _ = n.Between(utc(2027, 1, 1, 0, 0, 0), utc(2027, 2, 1, 0, 0, 0), 0)
	if len(ins) != 1 || !ins[0].End.Before(ins[0].Start.Add(time.Second)) {
		t.Errorf("negative duration: %v", ins)
	}
}

func TestBetweenAllDay(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	v, _ := ParseDateIn("20270326", berlin)
	r := &Recurrence{Start: v.Time, AllDay: true, Duration: Duration{Days: 1}, RRules: []string{"FREQ=DAILY;COUNT=4"}}
	ins, err := r.Between(utc(2027, 3, 1, 0, 0, 0), utc(2027, 4, 1, 0, 0, 0), 0)
	if err != nil || len(ins) != 4 {
		t.Fatalf("%v %v", ins, err)
	}
	for _, in := range ins {
		if s := in.Start.In(berlin); s.Hour() != 0 || in.End.In(berlin).Hour() != 0 {
			t.Errorf("all-day instance %v..%v", s, in.End.In(berlin))
		}
	}
	if ins[2].End.Sub(ins[2].Start) != 23*time.Hour {
		t.Errorf("the day of the change lasts %v", ins[2].End.Sub(ins[2].Start))
	}
}

func TestBetweenLimit(t *testing.T) {
	r := &Recurrence{Start: utc(2027, 1, 1, 0, 0, 0), RRules: []string{"FREQ=MINUTELY"}, RDates: []Period{{Start: utc(2026, 12, 31, 23, 0, 0)}}}
	ins, err := r.Between(utc(2026, 12, 31, 0, 0, 0), utc(2027, 1, 2, 0, 0, 0), 100)
	if !errors.Is(err, ErrTooManyInstances) || len(ins) != 100 {
		t.Fatalf("%d instances, %v", len(ins), err)
	}
	if !ins[0].Start.Equal(utc(2026, 12, 31, 23, 0, 0)) || !ins[99].Start.Equal(utc(2027, 1, 1, 1, 38, 0)) {
		t.Errorf("not the earliest instances: %v .. %v", ins[0].Start, ins[99].Start)
	}
	ins, err = r.Between(utc(2027, 1, 1, 0, 0, 0), utc(2027, 1, 1, 0, 10, 0), 0)
	if err != nil || len(ins) != 10 {
		t.Errorf("default limit: %d %v", len(ins), err)
	}
}

func TestRecurrenceValidate(t *testing.T) {
	if err := (&Recurrence{}).Validate(); err == nil {
		t.Error("no start: no error")
	}
	if _, err := (&Recurrence{}).Between(utc(2027, 1, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0), 0); err == nil {
		t.Error("Between without start: no error")
	}
	bad := &Recurrence{Start: utc(2027, 1, 1, 0, 0, 0), RRules: []string{"FREQ=DAILY", "FREQ=FORTNIGHTLY"}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "FORTNIGHTLY") {
		t.Errorf("bad rule: %v", err)
	}
	if _, err := bad.Between(utc(2027, 1, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0), 0); err == nil {
		t.Error("Between with a bad rule: no error")
	}
	far := &Recurrence{Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := far.Validate(); err == nil {
		t.Error("year 10000: no error")
	}
	if err := (&Recurrence{Start: utc(2027, 1, 1, 0, 0, 0), RRules: []string{"FREQ=DAILY"}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestBounds(t *testing.T) {
	start := utc(2027, 5, 3, 10, 0, 0)
	hour := Duration{Clock: time.Hour}
	r := &Recurrence{Start: start, Duration: hour}
	if f, l, u := r.Bounds(); !f.Equal(start) || !l.Equal(start.Add(time.Hour)) || u {
		t.Errorf("single: %v %v %v", f, l, u)
	}
	r.RRules = []string{"FREQ=DAILY"}
	if _, _, u := r.Bounds(); !u {
		t.Error("unbounded rule not reported")
	}
	r.RRules = []string{"FREQ=DAILY;UNTIL=20270601T100000Z"}
	if _, l, u := r.Bounds(); u || !l.Equal(utc(2027, 6, 1, 11, 0, 0)) {
		t.Errorf("UNTIL: %v %v", l, u)
	}
	r.RRules = []string{"FREQ=WEEKLY;COUNT=3"}
	r.RDates = []Period{{Start: utc(2027, 4, 1, 0, 0, 0)}}
	r.Overrides = map[int64]Override{
		utc(2027, 5, 10, 10, 0, 0).Unix(): {Start: utc(2027, 9, 1, 0, 0, 0), End: utc(2027, 9, 2, 0, 0, 0)},
		utc(2027, 5, 17, 10, 0, 0).Unix(): {Start: utc(2028, 1, 1, 0, 0, 0), Cancelled: true},
	}
	if f, l, u := r.Bounds(); u || !f.Equal(utc(2027, 4, 1, 0, 0, 0)) || !l.Equal(utc(2027, 9, 2, 0, 0, 0)) {
		t.Errorf("rdates and overrides: %v %v %v", f, l, u)
	}
	r.Overrides = nil
	if _, l, _ := r.Bounds(); !l.Equal(utc(2027, 5, 17, 11, 0, 0)) {
		t.Errorf("COUNT: last %v", l)
	}
	r.RRules = []string{"FREQ=NEVER"}
	if _, _, u := r.Bounds(); !u {
		t.Error("invalid rule not reported as unbounded")
	}
	// Sparse COUNT rules that would walk too far are reported unbounded.
	r = &Recurrence{Start: utc(1601, 1, 1, 0, 0, 0), RRules: []string{"FREQ=MINUTELY;BYMONTH=1;COUNT=1000000000"}}
	if _, _, u := r.Bounds(); !u {
		t.Error("too expensive COUNT rule not reported as unbounded")
	}
	// A COUNT that would run past year 9999 ends with the calendar: the
	// last occurrence is in December 9999, not the first one (found by
	// FuzzRRule: the busy index would have dropped the series after its
	// first occurrence).
	for _, rule := range []string{"FREQ=MONTHLY;COUNT=100000", "FREQ=HOURLY;COUNT=100000000", "FREQ=DAILY;INTERVAL=3;COUNT=99999999"} {
		r = &Recurrence{Start: utc(2020, 1, 1, 9, 0, 0), Duration: Duration{Clock: 30 * time.Minute}, RRules: []string{rule}}
		if _, l, u := r.Bounds(); u || l.Year() != 9999 || l.Month() != 12 {
			t.Errorf("%s: last %v, unbounded %v; want December 9999", rule, l, u)
		}
	}
}

func TestBetweenConcurrent(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	r := &Recurrence{
		Start:     time.Date(2027, 1, 5, 9, 30, 0, 0, ny),
		Duration:  Duration{Clock: 30 * time.Minute},
		RRules:    []string{"FREQ=WEEKLY;BYDAY=TU,TH"},
		ExDates:   []time.Time{time.Date(2027, 1, 7, 9, 30, 0, 0, ny)},
		Overrides: map[int64]Override{time.Date(2027, 1, 12, 9, 30, 0, 0, ny).Unix(): {Cancelled: true}},
	}
	want, err := r.Between(utc(2027, 1, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0), 0)
	if err != nil || len(want) != 102 {
		t.Fatalf("%d %v", len(want), err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				got, err := r.Between(utc(2027, 1, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0), 0)
				if err != nil || len(got) != len(want) {
					t.Errorf("concurrent Between: %d %v", len(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

package caltime

import (
	"testing"
	"time"
)

// RANGE=THISANDFUTURE across a daylight-saving change. RFC 5545 3.8.4.4
// shifts the later instances "by the time difference" between the
// RECURRENCE-ID and the override's DTSTART; the series keeps its local
// time of day (3.3.10), so the difference is read in local time and added
// to each later instance's local start: a move from Friday 10:00 to Monday
// 10:00 stays one across the change (an exact 71 hours would land the
// later Mondays at 09:00). Berlin goes from +01 to +02 on Sunday
// 2027-03-28.
func TestThisAndFutureAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	from, to := utc(2027, 2, 1, 0, 0, 0), utc(2027, 6, 1, 0, 0, 0)

	// Weekly on Mondays 10:00-11:00 from 2027-03-01, six times; from
	// 2027-03-15 (09:00Z) on, an hour later (11:00-12:00 local):
	// 03-01, 03-08 at 10:00+01 = 09:00Z; 03-15, 03-22 at 11:00+01 = 10:00Z;
	// 03-29, 04-05 at 11:00+02 = 09:00Z.
	r := &Recurrence{Start: time.Date(2027, 3, 1, 10, 0, 0, 0, berlin), Duration: Duration{Clock: time.Hour},
		RRules: []string{"FREQ=WEEKLY;COUNT=6"},
		Overrides: map[int64]Override{
			utc(2027, 3, 15, 9, 0, 0).Unix(): {Start: utc(2027, 3, 15, 10, 0, 0), End: utc(2027, 3, 15, 11, 0, 0), ThisAndFuture: true, Duration: Duration{Clock: time.Hour}},
		}}
	ins, err := r.Between(from, to, 0)
	want := "03-01T09:00-10:00 03-08T09:00-10:00 03-15T10:00-11:00 03-22T10:00-11:00 03-29T09:00-10:00 04-05T09:00-10:00"
	if got := spans(ins); err != nil || got != want {
		t.Fatalf("an hour later:\n got %s %v\nwant %s", got, err, want)
	}

	// Weekly on Fridays 10:00-11:00 from 2027-03-05, six times; the one of
	// 03-26 (09:00Z) and all later ones move to the Monday after, 10:00
	// local, for an hour: 03-29, 04-05, 04-12 at 10:00+02 = 08:00Z.
	r = &Recurrence{Start: time.Date(2027, 3, 5, 10, 0, 0, 0, berlin), Duration: Duration{Clock: time.Hour},
		RRules: []string{"FREQ=WEEKLY;COUNT=6"},
		Overrides: map[int64]Override{
			utc(2027, 3, 26, 9, 0, 0).Unix(): {Start: utc(2027, 3, 29, 8, 0, 0), End: utc(2027, 3, 29, 9, 0, 0), ThisAndFuture: true, Duration: Duration{Clock: time.Hour}},
		}}
	ins, err = r.Between(from, to, 0)
	want = "03-05T09:00-10:00 03-12T09:00-10:00 03-19T09:00-10:00 03-29T08:00-09:00 04-05T08:00-09:00 04-12T08:00-09:00"
	if got := spans(ins); err != nil || got != want {
		t.Fatalf("to the Monday after:\n got %s %v\nwant %s", got, err, want)
	}
	// The window reaches an instance that the shift moved into it.
	ins, err = r.Between(utc(2027, 4, 12, 7, 0, 0), utc(2027, 4, 12, 9, 0, 0), 0)
	if got := spans(ins); err != nil || got != "04-12T08:00-09:00" {
		t.Fatalf("moved into the window: %s %v", got, err)
	}
	if first, last, unbounded := r.Bounds(); unbounded || first.After(utc(2027, 3, 5, 9, 0, 0)) || last.Before(utc(2027, 4, 12, 9, 0, 0)) {
		t.Fatalf("bounds %s %s %v", first, last, unbounded)
	}
	// A shift beyond 100 years is refused.
	r.Overrides[utc(2027, 3, 26, 9, 0, 0).Unix()] = Override{Start: utc(2200, 3, 29, 8, 0, 0), End: utc(2200, 3, 29, 9, 0, 0), ThisAndFuture: true}
	if err := r.Validate(); err == nil {
		t.Fatal("a shift of 173 years validated")
	}
}

// An instance whose length crosses a daylight-saving change (RFC 5545
// 3.3.6, 3.8.5.3): DURATION:P1D is a nominal day (same local time the next
// day: 23 hours in spring, 25 in autumn), PT24H exactly 24 hours, and a
// length given by DTEND is exact for every instance. Berlin changes on
// 2027-03-28 (+01 to +02) and 2027-10-31 (+02 to +01).
func TestInstanceLengthAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	// Daily at 12:00 local from Saturday 2027-03-27, twice:
	// 03-27 12:00+01 = 11:00Z, 03-28 12:00+02 = 10:00Z.
	spring := func(d Duration) string {
		r := &Recurrence{Start: time.Date(2027, 3, 27, 12, 0, 0, 0, berlin), Duration: d, RRules: []string{"FREQ=DAILY;COUNT=2"}}
		ins, err := r.Between(utc(2027, 3, 1, 0, 0, 0), utc(2027, 4, 1, 0, 0, 0), 0)
		if err != nil {
			t.Fatal(err)
		}
		return spans(ins)
	}
	for _, c := range []struct {
		name string
		d    Duration
		want string
	}{
		// P1D: to 12:00 local the next day: 03-28 12:00+02 = 10:00Z (23
		// hours), then 03-29 12:00+02 = 10:00Z (24 hours).
		{"P1D", Duration{Days: 1}, "03-27T11:00-10:00 03-28T10:00-10:00"},
		// PT24H: 03-28 11:00Z, 03-29 10:00Z.
		{"PT24H", Duration{Clock: 24 * time.Hour}, "03-27T11:00-11:00 03-28T10:00-10:00"},
		// DTEND 2027-03-28 12:00+02: 23 exact hours for each instance, the
		// second ending 03-29 09:00Z (11:00 local).
		{"DTEND", DurationBetween(time.Date(2027, 3, 27, 12, 0, 0, 0, berlin), time.Date(2027, 3, 28, 12, 0, 0, 0, berlin), false), "03-27T11:00-10:00 03-28T10:00-09:00"},
	} {
		if got := spring(c.d); got != c.want {
			t.Errorf("spring %s: got %s, want %s", c.name, got, c.want)
		}
	}
	// Autumn: 2027-10-30 12:00+02 = 10:00Z with P1D ends 10-31 12:00+01 =
	// 11:00Z (25 hours); with PT24H at 10:00Z.
	r := &Recurrence{Start: time.Date(2027, 10, 30, 12, 0, 0, 0, berlin), Duration: Duration{Days: 1}}
	ins, err := r.Between(utc(2027, 10, 1, 0, 0, 0), utc(2027, 11, 1, 0, 0, 0), 0)
	if got := spans(ins); err != nil || got != "10-30T10:00-11:00" || ins[0].End.Sub(ins[0].Start) != 25*time.Hour {
		t.Errorf("autumn P1D: %s %v", got, err)
	}
	r.Duration = Duration{Clock: 24 * time.Hour}
	ins, err = r.Between(utc(2027, 10, 1, 0, 0, 0), utc(2027, 11, 1, 0, 0, 0), 0)
	if got := spans(ins); err != nil || got != "10-30T10:00-10:00" {
		t.Errorf("autumn PT24H: %s %v", got, err)
	}
}

// A THISANDFUTURE override that only changes the length leaves the later
// instances where they are, even an RDATE at the second of two equal wall
// clock times: 2027-10-31 02:30+01 (01:30Z) in Berlin, not 02:30+02.
func TestThisAndFutureLengthOnlyKeepsInstants(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	r := &Recurrence{Start: time.Date(2027, 10, 30, 2, 30, 0, 0, berlin), Duration: Duration{Clock: time.Hour},
		RDates: []Period{{Start: utc(2027, 10, 31, 1, 30, 0)}},
		Overrides: map[int64]Override{
			utc(2027, 10, 30, 0, 30, 0).Unix(): {Start: utc(2027, 10, 30, 0, 30, 0), End: utc(2027, 10, 30, 1, 0, 0), ThisAndFuture: true, Duration: Duration{Clock: 30 * time.Minute}},
		}}
	ins, err := r.Between(utc(2027, 10, 1, 0, 0, 0), utc(2027, 11, 1, 0, 0, 0), 0)
	if got := spans(ins); err != nil || got != "10-30T00:30-01:00 10-31T01:30-02:00" {
		t.Fatalf("got %s %v", got, err)
	}
}

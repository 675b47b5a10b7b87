package caltime

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func spans(ins []Instance) string {
	var b strings.Builder
	for i, in := range ins {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s-%s", in.Start.Format("01-02T15:04"), in.End.Format("15:04"))
		if in.Free {
			b.WriteString("(free)")
		}
	}
	return b.String()
}

// RANGE=THISANDFUTURE (RFC 5545 3.8.4.4): the shift and the length apply
// to every later instance, up to the next such override; an instance with
// its own override keeps it; the expansion window reaches instances the
// shift moves into it; Bounds covers them.
func TestThisAndFuture(t *testing.T) {
	start := utc(2027, 5, 3, 10, 0, 0)
	r := &Recurrence{Start: start, Duration: Duration{Clock: time.Hour}, RRules: []string{"FREQ=DAILY;COUNT=6"},
		Overrides: map[int64]Override{
			utc(2027, 5, 4, 10, 0, 0).Unix(): {Start: utc(2027, 5, 4, 14, 0, 0), End: utc(2027, 5, 4, 14, 30, 0), ThisAndFuture: true, Duration: Duration{Clock: 30 * time.Minute}},
			utc(2027, 5, 5, 10, 0, 0).Unix(): {Start: utc(2027, 5, 5, 8, 0, 0), End: utc(2027, 5, 5, 9, 0, 0)},
			utc(2027, 5, 7, 10, 0, 0).Unix(): {Start: utc(2027, 5, 7, 10, 0, 0), End: utc(2027, 5, 7, 12, 0, 0), ThisAndFuture: true, Transparent: true, Duration: Duration{Clock: 2 * time.Hour}},
		}}
	ins, err := r.Between(utc(2027, 5, 1, 0, 0, 0), utc(2027, 6, 1, 0, 0, 0), 0)
	want := "05-03T10:00-11:00 05-04T14:00-14:30 05-05T08:00-09:00 05-06T14:00-14:30 05-07T10:00-12:00(free) 05-08T10:00-12:00(free)"
	if got := spans(ins); err != nil || got != want {
		t.Fatalf("got %s %v\nwant %s", got, err, want)
	}
	// A window after the original start of an instance but around its
	// moved one still finds it.
	ins, err = r.Between(utc(2027, 5, 6, 13, 0, 0), utc(2027, 5, 6, 15, 0, 0), 0)
	if got := spans(ins); err != nil || got != "05-06T14:00-14:30" {
		t.Fatalf("moved into the window: %s %v", got, err)
	}
	if first, last, unbounded := r.Bounds(); unbounded || first.After(start) || last.Before(utc(2027, 5, 8, 12, 0, 0)) {
		t.Fatalf("bounds %s %s %v", first, last, unbounded)
	}
	// A cancelled THISANDFUTURE override ends the series there.
	r.Overrides[utc(2027, 5, 6, 10, 0, 0).Unix()] = Override{Cancelled: true, ThisAndFuture: true}
	delete(r.Overrides, utc(2027, 5, 7, 10, 0, 0).Unix())
	ins, _ = r.Between(utc(2027, 5, 1, 0, 0, 0), utc(2027, 6, 1, 0, 0, 0), 0)
	if got := spans(ins); got != "05-03T10:00-11:00 05-04T14:00-14:30 05-05T08:00-09:00" {
		t.Fatalf("cancelled this and future: %s", got)
	}
}

// Each override's own TRANSP decides its instance; the master's applies to
// the others.
func TestOverrideTransparency(t *testing.T) {
	r := &Recurrence{Start: utc(2027, 5, 3, 10, 0, 0), Duration: Duration{Clock: time.Hour}, Transparent: true,
		RRules: []string{"FREQ=DAILY;COUNT=3"},
		Overrides: map[int64]Override{
			utc(2027, 5, 4, 10, 0, 0).Unix(): {Start: utc(2027, 5, 4, 10, 0, 0), End: utc(2027, 5, 4, 11, 0, 0)},
		}}
	ins, err := r.Between(utc(2027, 5, 1, 0, 0, 0), utc(2027, 6, 1, 0, 0, 0), 0)
	if got := spans(ins); err != nil || got != "05-03T10:00-11:00(free) 05-04T10:00-11:00 05-05T10:00-11:00(free)" {
		t.Fatalf("got %s %v", got, err)
	}
}

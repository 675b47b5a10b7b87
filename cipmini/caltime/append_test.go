package caltime

import (
	"errors"
	"testing"
	"time"
)

// AppendBetween gives Between's instances after the caller's own, sorted
// within what it appended, and reuses the caller's buffer: chunk after
// chunk of a dense series allocates nothing per instance.
func TestAppendBetweenReusesBuffer(t *testing.T) {
	start := utc(2027, 1, 1, 0, 0, 0)
	r := &Recurrence{Start: start, Duration: Duration{Clock: time.Second}, RRules: []string{"FREQ=SECONDLY"},
		RDates: []Period{{Start: utc(2027, 1, 1, 0, 0, 30).Add(500 * time.Millisecond)}}}
	from, to := utc(2027, 1, 1, 0, 0, 10), utc(2027, 1, 1, 0, 1, 0)
	want, err := r.Between(from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	mark := Instance{Start: utc(2000, 1, 1, 0, 0, 0)}
	got, err := r.AppendBetween([]Instance{mark}, from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want)+1 || got[0] != mark || starts(got[1:]) != starts(want) {
		t.Fatalf("appended %d after the mark, want %d: %s", len(got)-1, len(want), starts(got[1:]))
	}

	got, err = r.AppendBetween(got[:1], from, from.Add(10*time.Second), 4)
	if !errors.Is(err, ErrTooManyInstances) || len(got) != 5 || got[0] != mark || !got[1].Start.Equal(from) {
		t.Fatalf("over the limit: %v, %d instances, %s", err, len(got), starts(got))
	}

	buf := make([]Instance, 0, 4096)
	a := utc(2027, 1, 1, 1, 0, 0)
	allocs := testing.AllocsPerRun(20, func() {
		var err error
		buf, err = r.AppendBetween(buf[:0], a, a.Add(time.Hour), 4000)
		if err != nil || len(buf) != 3600 {
			t.Fatalf("%v, %d instances", err, len(buf))
		}
		a = a.Add(time.Hour)
	})
	if allocs > 20 {
		t.Errorf("%.0f allocations for a chunk of 3,600 instances in a reused buffer; want a few per chunk, none per instance", allocs)
	}
}

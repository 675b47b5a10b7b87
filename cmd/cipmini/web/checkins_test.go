package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// Check-ins are forgotten when their booking ends, and never more than
// maxCheckIns are kept.
func TestCheckInsBounded(t *testing.T) {
	p := newPanelState()
	now := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 3*maxCheckIns; i++ {
		b := sched.Booking{UID: fmt.Sprintf("u%d", i), Start: now, End: now.Add(time.Duration(i+1) * time.Minute)}
		p.markCheckedIn(b, now)
		if len(p.checkedIn) > maxCheckIns {
			t.Fatalf("%d check-ins kept", len(p.checkedIn))
		}
	}
	last := sched.Booking{UID: fmt.Sprintf("u%d", 3*maxCheckIns-1), Start: now, End: now.Add(3 * maxCheckIns * time.Minute)}
	if !p.isCheckedIn(last) {
		t.Fatal("the latest check-in was forgotten")
	}
	// A day later every booking is over: one new check-in is all there is.
	later := now.Add(100 * 24 * time.Hour)
	p.markCheckedIn(sched.Booking{UID: "next", Start: later, End: later.Add(time.Hour)}, later)
	if len(p.checkedIn) != 1 {
		t.Fatalf("%d check-ins after all bookings ended", len(p.checkedIn))
	}
}

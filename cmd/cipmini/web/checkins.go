package web

import (
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// maxCheckIns bounds the check-ins the panel remembers. Each is kept until
// its booking ends; past the bound the one ending first is forgotten.
const maxCheckIns = 1024

// isCheckedIn reports whether the booking occurrence was checked in to.
// The caller holds p.mu.
func (p *panelState) isCheckedIn(b sched.Booking) bool {
	_, ok := p.checkedIn[checkKey(b)]
	return ok
}

// markCheckedIn remembers a check-in until the booking ends, forgetting
// those of bookings already over, and keeps at most maxCheckIns. The
// caller holds p.mu.
func (p *panelState) markCheckedIn(b sched.Booking, now time.Time) {
	for k, end := range p.checkedIn {
		if !end.After(now) {
			delete(p.checkedIn, k)
		}
	}
	for len(p.checkedIn) >= maxCheckIns {
		first, firstEnd := "", time.Time{}
		for k, end := range p.checkedIn {
			if first == "" || end.Before(firstEnd) {
				first, firstEnd = k, end
			}
		}
		delete(p.checkedIn, first)
	}
	p.checkedIn[checkKey(b)] = b.End
}

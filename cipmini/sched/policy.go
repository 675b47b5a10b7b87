package sched

import (
	"fmt"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// decision is a resource's automatic answer: its status, the reason for a
// decline in words a person understands, and the occurrences of an accepted
// series declined one by one (their RECURRENCE-IDs in Unix seconds).
type decision struct {
	status, reason string
	declined       []int64
}

// decide is a resource's automatic answer to an invitation (docs/PROTOCOL.md
// section 10.1). Occurrences already in the past are not judged.
func (s *Scheduler) decide(u *directory.User, ev *vcal.Event) decision {
	switch u.Policy {
	case directory.PolicyDeclineAlways:
		return decision{status: Declined, reason: u.ID + " does not accept bookings."}
	case directory.PolicyManual:
		return decision{status: NeedsAction}
	}
	lim := &u.Limits
	loc := lim.Location
	if loc == nil {
		loc = time.UTC
	}
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	decline := func(format string, args ...any) decision {
		return decision{status: Declined, reason: fmt.Sprintf(format, args...)}
	}
	if len(lim.AllowedOrganizers) > 0 && !organizerAllowed(ev.Organizer.Address, lim.AllowedOrganizers) {
		return decline("Only organizers from %s may book %s.", strings.Join(lim.AllowedOrganizers, ", "), u.ID)
	}
	if lim.NoRecurring && ev.Recurring {
		return decline("%s does not take recurring meetings.", u.ID)
	}
	now := s.Now()
	horizon := now.Add(DefaultConflictHorizon)
	if lim.BookingWindowDays > 0 {
		limit := now.AddDate(0, 0, lim.BookingWindowDays)
		_, last, unbounded := ev.Bounds()
		tooFar := unbounded
		if !unbounded && last.After(limit) {
			ins, _ := ev.Instances(limit, last.Add(time.Second), 2)
			for _, in := range ins {
				tooFar = tooFar || in.Start.After(limit)
			}
		}
		if tooFar {
			return decline("%s can be booked at most %d days ahead.", u.ID, lim.BookingWindowDays)
		}
		horizon = limit
	}
	if ev.End.After(horizon) && !ev.Recurring {
		horizon = ev.End
	}
	// The instances are walked in chunks, never all held at once, so that a
	// dense series (FREQ=MINUTELY) is judged rather than refused.
	if lim.MaxDurationMinutes > 0 || lim.WorkingHours != nil {
		var bad *decision
		err := walkAllInstances(ev, now, horizon, func(in caltime.Instance) bool {
			if max := lim.MaxDurationMinutes; max > 0 && in.End.Sub(in.Start) > time.Duration(max)*time.Minute {
				d := decline("Meetings in %s may last at most %d minutes.", u.ID, max)
				bad = &d
			} else if w := lim.WorkingHours; w != nil && !w.Holds(in.Start.In(loc), in.End.In(loc)) {
				d := decline("%s can be booked %s (%s) only; the meeting at %s is outside.", u.ID, w.String(), loc, when(in.Start))
				bad = &d
			}
			return bad == nil
		})
		switch {
		case err != nil:
			return decline("The meeting has too many occurrences for %s to check.", u.ID)
		case bad != nil:
			return *bad
		}
	}
	if u.Policy == directory.PolicyAcceptAlways || ev.NeverBusy() {
		return decision{status: Accepted}
	}
	clashes, first, err := s.clashes(u.ID, ev, now, horizon, lim.MaxConflicts+1)
	if err != nil {
		return decline("The calendar of %s has too many occurrences to check.", u.ID)
	}
	switch {
	case len(clashes) == 0:
		return decision{status: Accepted}
	case !ev.Recurring || len(clashes) > lim.MaxConflicts:
		return decline("%s is already booked at %s.", u.ID, when(first))
	}
	return decision{status: Accepted, declined: clashes,
		reason: fmt.Sprintf("%s is already booked for %d of the occurrences, first at %s; those are declined.", u.ID, len(clashes), when(first))}
}

// organizerAllowed matches an organizer against domains and addresses.
func organizerAllowed(org string, allowed []string) bool {
	org = vcal.NormalizeAddress(org)
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		if org == a || strings.HasSuffix(org, "@"+a) {
			return true
		}
	}
	return false
}

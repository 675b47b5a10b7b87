package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// Limits are a resource's booking rules (docs/PROTOCOL.md section 10.2),
// checked by the automatic policies accept-if-free and accept-always before
// anything else; an invitation that breaks one is declined with the reason.
// The zero value allows everything.
type Limits struct {
	// BookingWindowDays: no occurrence may start later than this many days
	// from now; 0 means no limit. An endless series breaks any window.
	BookingWindowDays int
	// MaxDurationMinutes: no occurrence may last longer; 0 means no limit.
	MaxDurationMinutes int
	// WorkingHours, when set, must hold every occurrence, in Location.
	WorkingHours *WorkingHours
	// NoRecurring declines recurring meetings (config allow_recurring = false).
	NoRecurring bool
	// MaxConflicts is how many occurrences of a series may clash with
	// bookings and the series still be accepted, those occurrences then
	// declined one by one (accept-if-free only). Default 0.
	MaxConflicts int
	// AllowedOrganizers are domains ("acme.example") or addresses
	// ("boss@other.example"); empty means any organizer.
	AllowedOrganizers []string
	// Location is the resource's time zone, for working hours and for the
	// times in reasons. Nil means UTC.
	Location *time.Location
}

// WorkingHours are the days and the daily hours a resource can be booked.
type WorkingHours struct {
	Days        [7]bool // indexed by time.Weekday
	Open, Close int     // minutes after midnight, Open < Close
	text        string
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWorkingHours reads "Mon-Fri 08:00-18:00" or "Mon,Wed,Fri 09:00-17:30".
func ParseWorkingHours(s string) (*WorkingHours, error) {
	days, hours, ok := strings.Cut(strings.TrimSpace(s), " ")
	bad := fmt.Errorf("store: working hours %q: want days and hours such as \"Mon-Fri 08:00-18:00\"", s)
	if !ok {
		return nil, bad
	}
	w := &WorkingHours{text: s}
	for _, part := range strings.Split(strings.ToLower(days), ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, b := dayIndex(from), dayIndex(to)
		if !isRange {
			b = a
		}
		if a < 0 || b < 0 {
			return nil, bad
		}
		for d := a; ; d = (d + 1) % 7 {
			w.Days[d] = true
			if d == b {
				break
			}
		}
	}
	open, close, ok := strings.Cut(strings.TrimSpace(hours), "-")
	var err1, err2 error
	w.Open, err1 = clockMinutes(open)
	w.Close, err2 = clockMinutes(close)
	if !ok || err1 != nil || err2 != nil || w.Open >= w.Close {
		return nil, bad
	}
	return w, nil
}

func dayIndex(s string) int {
	for i, n := range dayNames {
		if strings.TrimSpace(s) == n {
			return i
		}
	}
	return -1
}

func clockMinutes(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("store: bad time of day %q", s)
	}
	return hh*60 + mm, nil
}

// holds reports whether [start, end) lies within the working hours of one day.
func (w *WorkingHours) holds(start, end time.Time) bool {
	y1, m1, d1 := start.Date()
	y2, m2, d2 := end.Add(-time.Nanosecond).Date()
	if y1 != y2 || m1 != m2 || d1 != d2 || !w.Days[start.Weekday()] {
		return false
	}
	s := start.Hour()*60 + start.Minute()
	e := s + int(end.Sub(start).Minutes())
	return s >= w.Open && e <= w.Close
}

// decision is a resource's automatic answer: its status, the reason for a
// decline in words a person understands, and the occurrences of an accepted
// series declined one by one (their RECURRENCE-IDs in Unix seconds).
type decision struct {
	status, reason string
	declined       []int64
}

// decide is a resource's automatic answer to an invitation (docs/PROTOCOL.md
// section 10.1). Occurrences already in the past are not judged.
func (s *Scheduler) decide(u *User, ev *vcal.Event) decision {
	switch u.Policy {
	case PolicyDeclineAlways:
		return decision{status: Declined, reason: u.ID + " does not accept bookings."}
	case PolicyManual:
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
			} else if w := lim.WorkingHours; w != nil && !w.holds(in.Start.In(loc), in.End.In(loc)) {
				d := decline("%s can be booked %s (%s) only; the meeting at %s is outside.", u.ID, w.text, loc, when(in.Start))
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
	if u.Policy == PolicyAcceptAlways || ev.NeverBusy() {
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

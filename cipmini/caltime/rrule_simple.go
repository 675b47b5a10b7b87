package caltime

import "time"

// The most common rules (every day, every week, every other week, with or
// without COUNT or UNTIL) repeat DTSTART's wall-clock time every so many
// days. For them the occurrences near a window are found by arithmetic
// rather than by the general expansion, which looks at every day of every
// period it crosses. The result is the same: the same occurrences, the
// same UNTIL and COUNT, the same work counted against expansionWork and
// the same wall-clock reading in DTSTART's location (so daylight-saving
// changes are handled as the general expansion handles them).

// simpleStep returns, for a FREQ=DAILY or FREQ=WEEKLY rule without any
// BYxxx part, the days between its occurrences; 0 for any other rule.
func (r *rule) simpleStep() int64 {
	if len(r.bySecond) > 0 || len(r.byMinute) > 0 || len(r.byHour) > 0 || len(r.byDay) > 0 ||
		len(r.byMonthDay) > 0 || len(r.byYearDay) > 0 || len(r.byWeekNo) > 0 ||
		len(r.byMonth) > 0 || len(r.bySetPos) > 0 {
		return 0
	}
	switch r.freq {
	case daily:
		return r.interval
	case weekly:
		return 7 * r.interval
	}
	return 0
}

// runSimple adds the occurrences of rr, a rule with a simpleStep of step
// days, whose civil time lies in [lo, hi). It mirrors expansion.runPeriods
// for such a rule: period k holds the one occurrence DTSTART + k*step days
// (k = 0 is DTSTART itself, never produced again), the walk starts at the
// period holding lo, and COUNT numbers the occurrence of period k k+1.
func (q *query) runSimple(rr *rule, step, lo, hi int64, work *int64) error {
	loc := q.r.Start.Location()
	toUnix := func(cs int64) int64 { return wallToUnix(cs, loc) }
	start := civilOf(q.r.Start)
	lo = min(max(lo, minCivil), maxCivil)
	hi = min(max(hi, minCivil), maxCivil)
	startDay := floorDiv(start, secondsPerDay)
	sod := start - startDay*secondsPerDay
	// The first day of period 0, and the work the general expansion counts
	// for each period (the period itself and each day it looks at).
	first0, cost := startDay, int64(2)
	if rr.freq == weekly {
		first0 = weekStart(startDay, rr.wkst)
		cost = 8
	}
	k := max(floorDiv(floorDiv(lo, secondsPerDay)-first0, step), 0)
	if rr.count > 0 {
		// As expansion.firstPeriod, which looks at the days of period 0 to
		// count its occurrences, and walks from it when lo is near.
		*work -= cost - 1
		if k < 2 {
			k = 0
		}
	}
	for ; ; k++ {
		if first := first0 + k*step; first > maxDay || first*secondsPerDay >= hi {
			return nil
		}
		if *work -= cost; *work < 0 {
			return ErrExpansionLimit
		}
		day := startDay + k*step
		if day > maxDay {
			continue // the next period starts past year 9999
		}
		cs := day*secondsPerDay + sod
		if cs <= start || cs < lo && rr.count == 0 {
			continue // as expansion.skipDay, which looks no further
		}
		if cs >= hi || rr.beyondUntil(cs, toUnix) || rr.count > 0 && k+1 > rr.count {
			return nil
		}
		if cs < lo {
			continue
		}
		*work--
		u := toUnix(cs)
		more := q.addBase(u, time.Unix(u, 0).In(loc))
		if *work < 0 {
			return ErrExpansionLimit
		}
		if !more {
			return nil
		}
	}
}

// beyondUntil reports whether the occurrence at civil time cs, which
// toUnix puts on the time line, comes after the rule's UNTIL.
func (r *rule) beyondUntil(cs int64, toUnix func(int64) int64) bool {
	switch r.untilKind {
	case untilInstant:
		return toUnix(cs) > r.until
	case untilCivil:
		return cs > r.until
	case untilDateEnd:
		return cs >= r.until
	}
	return false
}

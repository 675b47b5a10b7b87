package caltime

import (
	"slices"
)

// expansionWork is the work budget of one query: roughly the number of
// days examined plus candidate occurrences produced. It bounds the time a
// hostile or absurd rule can take (tens of milliseconds on a small ARM).
const expansionWork = 2 << 20

// expansion is one run of a rule over a window of civil time. The
// occurrences it produces are civil seconds in increasing order; DTSTART
// counts as the first occurrence (RFC 5545) but is not produced.
type expansion struct {
	r      *rule
	start  int64                // DTSTART, civil seconds
	toUnix func(cs int64) int64 // instant of a civil time, for UNTIL
	lo, hi int64                // produce occurrences with lo <= cs < hi
	emit   func(cs int64) bool  // false ends the expansion
	work   *int64               // remaining budget, shared by a query
	// seekLast starts, when it can, at the period of the last occurrence
	// of a COUNT rule instead of at lo.
	seekLast bool

	sy, sm, sd    int // DTSTART date
	startDay      int64
	filter        dayFilter
	times         []int64 // seconds of the day, for daily and coarser
	count         int64   // occurrences so far, DTSTART included
	days, scratch []int64
}

// run produces the occurrences. It returns ErrExpansionLimit when the
// budget runs out.
func (e *expansion) run() error {
	e.lo = min(max(e.lo, minCivil), maxCivil)
	e.hi = min(max(e.hi, minCivil), maxCivil)
	e.startDay = floorDiv(e.start, secondsPerDay)
	e.sy, e.sm, e.sd = civilFromDays(e.startDay)
	e.filter = newDayFilter(e.r, e.sy, e.sm, e.sd)
	e.count = 1
	if e.r.freq <= hourly {
		return e.runSubDaily()
	}
	e.times = timeSet(e.r, e.start)
	return e.runPeriods()
}

// timeSet returns the sorted seconds of the day at which a daily or coarser
// rule has occurrences: BYHOUR x BYMINUTE x BYSECOND, each defaulting to
// DTSTART's.
func timeSet(r *rule, start int64) []int64 {
	sod := int(floorMod(start, secondsPerDay))
	hours := orDefault(r.byHour, sod/3600)
	mins := orDefault(r.byMinute, sod/60%60)
	secs := orDefault(r.bySecond, sod%60)
	out := make([]int64, 0, len(hours)*len(mins)*len(secs))
	for _, h := range hours {
		for _, m := range mins {
			for _, s := range secs {
				out = append(out, int64(h*3600+m*60+s))
			}
		}
	}
	return out
}

func orDefault(list []int, v int) []int {
	if len(list) == 0 {
		return []int{v}
	}
	return list
}

// offer handles the next candidate occurrence; it returns false when the
// expansion is over.
func (e *expansion) offer(cs int64) bool {
	if cs <= e.start {
		return true
	}
	if cs >= e.hi || e.beyondUntil(cs) {
		return false
	}
	e.count++
	if e.r.count > 0 && e.count > e.r.count {
		return false
	}
	*e.work--
	if cs >= e.lo {
		return e.emit(cs)
	}
	return true
}

func (e *expansion) beyondUntil(cs int64) bool {
	return e.r.beyondUntil(cs, e.toUnix)
}

// setPositions returns the sorted distinct 0-based indexes that BYSETPOS
// selects from a set of n candidates.
func setPositions(pos []int, n int, out []int64) []int64 {
	out = out[:0]
	for _, p := range pos {
		i := p - 1
		if p < 0 {
			i = n + p
		}
		if i >= 0 && i < n {
			out = append(out, int64(i))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// runPeriods expands YEARLY, MONTHLY, WEEKLY and DAILY rules period by
// period.
func (e *expansion) runPeriods() error {
	p := e.firstPeriod()
	for ; ; p++ {
		first, ok := e.periodFirstDay(p)
		if !ok || first*secondsPerDay >= e.hi {
			return nil
		}
		*e.work--
		e.days = e.periodDays(p, e.days[:0])
		if *e.work < 0 {
			return ErrExpansionLimit
		}
		more := e.emitPeriod()
		if *e.work < 0 {
			return ErrExpansionLimit
		}
		if !more {
			return nil
		}
	}
}

// firstPeriod returns the period to start from. Without COUNT that is the
// period holding lo. With COUNT it is that period (or, with seekLast, the
// period holding the last occurrence) only when every period holds the
// same number of occurrences, so that the skipped ones can be counted
// arithmetically; otherwise the expansion walks from DTSTART.
func (e *expansion) firstPeriod() int64 {
	if e.r.count == 0 {
		return max(e.periodIndexOf(floorDiv(e.lo, secondsPerDay)), 0)
	}
	per, ok := e.perPeriod()
	if !ok || per <= 0 {
		return 0
	}
	// The occurrences of the first period after DTSTART.
	e.days = e.periodDays(0, e.days[:0])
	var n0 int64
	for _, d := range e.days {
		n0 += int64(len(e.times) - countAtMost(e.times, e.start-d*secondsPerDay))
	}
	target := e.periodIndexOf(floorDiv(e.lo, secondsPerDay))
	if e.seekLast {
		target = 0
		if rest := e.r.count - 1 - n0; rest > 0 {
			target = 1 + (rest-1)/per
		}
		// A COUNT that runs past year 9999 ends the series with the
		// calendar: its last occurrence is in the period holding
		// 9999-12-31, not in a period no expansion reaches.
		target = min(target, e.periodIndexOf(maxDay))
	}
	if target < 2 {
		return 0
	}
	e.count = 1 + n0 + (target-1)*per
	return target
}

// countAtMost returns how many of the sorted values are <= v.
func countAtMost(sorted []int64, v int64) int {
	n, _ := slices.BinarySearch(sorted, v+1)
	return n
}

// perPeriod returns the number of candidates in every period when that
// number is the same for all periods.
func (e *expansion) perPeriod() (int64, bool) {
	f, r := &e.filter, e.r
	if len(r.bySetPos) > 0 || f.hasYday || f.hasWno || len(f.nth) > 0 {
		return 0, false
	}
	nt := int64(len(e.times))
	switch r.freq {
	case daily:
		if f.any() {
			return 0, false
		}
		return nt, true
	case weekly:
		if f.months != 0 || f.hasMday {
			return 0, false
		}
		return int64(popcount(uint64(f.weekdays))) * nt, true
	case monthly, yearly:
		if f.weekdays != 0 || !f.hasMday || (f.mdayPos != 0 && f.mdayNeg != 0) {
			return 0, false
		}
		if (f.mdayPos|f.mdayNeg)>>29 != 0 { // days 29..31 are not in every month
			return 0, false
		}
		n := int64(popcount(f.mdayPos | f.mdayNeg))
		if r.freq == monthly {
			if f.months != 0 {
				return 0, false
			}
			return n * nt, true
		}
		return int64(popcount(uint64(f.months))) * n * nt, true
	}
	return 0, false
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// periodIndexOf returns the index of the period that holds day (negative
// before DTSTART's period).
func (e *expansion) periodIndexOf(day int64) int64 {
	iv := e.r.interval
	switch e.r.freq {
	case yearly:
		y, _, _ := civilFromDays(day)
		return floorDiv(int64(y-e.sy), iv)
	case monthly:
		y, m, _ := civilFromDays(day)
		return floorDiv(int64(y-e.sy)*12+int64(m-e.sm), iv)
	case weekly:
		return floorDiv(day-e.weekStart0(), 7*iv)
	}
	return floorDiv(day-e.startDay, iv)
}

// weekStart0 returns the first day of DTSTART's week.
func (e *expansion) weekStart0() int64 {
	return weekStart(e.startDay, e.r.wkst)
}

// periodFirstDay returns the first day of period p; false past year 9999.
func (e *expansion) periodFirstDay(p int64) (int64, bool) {
	iv := e.r.interval
	var day int64
	switch e.r.freq {
	case yearly:
		y := int64(e.sy) + p*iv
		if y > maxYear {
			return 0, false
		}
		return daysFromCivil(int(y), 1, 1), true
	case monthly:
		mi := int64(e.sy)*12 + int64(e.sm-1) + p*iv
		if mi/12 > maxYear {
			return 0, false
		}
		return daysFromCivil(int(mi/12), int(mi%12)+1, 1), true
	case weekly:
		day = e.weekStart0() + p*7*iv
	default:
		day = e.startDay + p*iv
	}
	if day > maxDay {
		return 0, false
	}
	return day, true
}

// maxDay is 9999-12-31.
var maxDay = daysFromCivil(maxYear, 12, 31)

// minCivil and maxCivil clamp query windows to the years 0 to 10000.
var (
	minCivil = daysFromCivil(0, 1, 1) * secondsPerDay
	maxCivil = daysFromCivil(maxYear+1, 1, 1) * secondsPerDay
)

// periodDays appends the days of period p that pass the filter.
func (e *expansion) periodDays(p int64, out []int64) []int64 {
	first, _ := e.periodFirstDay(p)
	switch e.r.freq {
	case yearly:
		y, _, _ := civilFromDays(first)
		for m := 1; m <= 12; m++ {
			out = e.filter.monthDays(y, m, out, e.work)
		}
	case monthly:
		y, m, _ := civilFromDays(first)
		out = e.filter.monthDays(y, m, out, e.work)
	case weekly:
		*e.work -= 7
		for d := first; d < first+7 && d <= maxDay; d++ {
			if e.filter.match(d) {
				out = append(out, d)
			}
		}
	default:
		*e.work--
		if e.filter.match(first) {
			out = append(out, first)
		}
	}
	return out
}

// emitPeriod offers the candidates of the period in e.days; false when the
// expansion is over.
func (e *expansion) emitPeriod() bool {
	nt := int64(len(e.times))
	if len(e.r.bySetPos) > 0 {
		e.scratch = setPositions(e.r.bySetPos, len(e.days)*len(e.times), e.scratch)
		for _, i := range e.scratch {
			if !e.offer(e.days[i/nt]*secondsPerDay + e.times[i%nt]) {
				return false
			}
		}
		return true
	}
	for _, d := range e.days {
		base := d * secondsPerDay
		if e.skipDay(base) {
			continue
		}
		for _, t := range e.times {
			if !e.offer(base + t) {
				return false
			}
			if *e.work < 0 {
				return false
			}
		}
	}
	return true
}

// skipDay counts, without offering them one by one, the candidates of a
// day that lie wholly before the window, when that is safe. It reports
// whether the day was handled.
func (e *expansion) skipDay(base int64) bool {
	last := base + e.times[len(e.times)-1]
	if last <= e.start {
		return true
	}
	if last >= e.lo || base+e.times[0] <= e.start {
		return false
	}
	if e.r.count == 0 {
		return true
	}
	n := int64(len(e.times))
	if e.beyondUntil(last) || e.count+n > e.r.count {
		return false
	}
	e.count += n
	return true
}

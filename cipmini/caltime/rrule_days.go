package caltime

import "time"

// dayFilter holds the day-level BYxxx parts of a rule, after the defaults
// RFC 5545 takes from DTSTART, as bit sets.
type dayFilter struct {
	months    uint16 // bit m: month m allowed; 0: any month
	mdayPos   uint64 // bit d: day d of the month
	mdayNeg   uint64 // bit d: day -d of the month
	ydayPos   [6]uint64
	ydayNeg   [6]uint64
	wnoPos    uint64
	wnoNeg    uint64
	weekdays  uint8 // bit wd: every such weekday; 0 with no nth: any day
	nth       []nthWeekday
	nthScope  frequency // monthly or yearly: what the nth counts within
	hasMday   bool
	hasYday   bool
	hasWno    bool
	wkst      time.Weekday
	onlyMdays bool // no BYDAY, BYYEARDAY or BYWEEKNO: days come from mday bits
}

// newDayFilter derives the day filter of r for a DTSTART on y-m-d.
func newDayFilter(r *rule, y, m, d int) dayFilter {
	f := dayFilter{wkst: r.wkst}
	byMonth, byMonthDay, byDay := r.byMonth, r.byMonthDay, r.byDay
	if len(r.byWeekNo) == 0 && len(r.byYearDay) == 0 && len(byMonthDay) == 0 && len(byDay) == 0 {
		switch r.freq {
		case yearly:
			if len(byMonth) == 0 {
				byMonth = []int{m}
			}
			byMonthDay = []int{d}
		case monthly:
			byMonthDay = []int{d}
		case weekly:
			byDay = []nthWeekday{{wd: weekdayOf(daysFromCivil(y, m, d))}}
		}
	}
	for _, v := range byMonth {
		f.months |= 1 << v
	}
	for _, v := range byMonthDay {
		if v > 0 {
			f.mdayPos |= 1 << v
		} else {
			f.mdayNeg |= 1 << -v
		}
		f.hasMday = true
	}
	for _, v := range r.byYearDay {
		if v > 0 {
			f.ydayPos[v/64] |= 1 << (v % 64)
		} else {
			f.ydayNeg[-v/64] |= 1 << (-v % 64)
		}
		f.hasYday = true
	}
	for _, v := range r.byWeekNo {
		if v > 0 {
			f.wnoPos |= 1 << v
		} else {
			f.wnoNeg |= 1 << -v
		}
		f.hasWno = true
	}
	// An ordinal only means something within a month or a year; for finer
	// frequencies "2MO" is read as "MO", as other implementations do.
	f.nthScope = monthly
	if r.freq == yearly && len(byMonth) == 0 {
		f.nthScope = yearly
	}
	for _, nw := range byDay {
		if nw.n == 0 || r.freq < monthly {
			f.weekdays |= 1 << nw.wd
		} else {
			f.nth = append(f.nth, nw)
		}
	}
	f.onlyMdays = len(byDay) == 0 && !f.hasYday && !f.hasWno
	return f
}

// any reports whether the filter restricts days at all.
func (f *dayFilter) any() bool {
	return f.months != 0 || f.hasMday || f.hasYday || f.hasWno || f.weekdays != 0 || len(f.nth) > 0
}

// match reports whether day (a day number) passes the filter.
func (f *dayFilter) match(day int64) bool {
	y, m, d := civilFromDays(day)
	if f.months != 0 && f.months&(1<<m) == 0 {
		return false
	}
	if f.hasMday {
		dim := daysInMonth(y, m)
		if f.mdayPos&(1<<d) == 0 && f.mdayNeg&(1<<(dim+1-d)) == 0 {
			return false
		}
	}
	if f.hasYday {
		doy := int(day-daysFromCivil(y, 1, 1)) + 1
		neg := daysInYear(y) + 1 - doy
		if f.ydayPos[doy/64]&(1<<(doy%64)) == 0 && f.ydayNeg[neg/64]&(1<<(neg%64)) == 0 {
			return false
		}
	}
	if f.hasWno {
		wn, weeks := weekNumber(day, f.wkst)
		if f.wnoPos&(1<<wn) == 0 && f.wnoNeg&(1<<(weeks+1-wn)) == 0 {
			return false
		}
	}
	if f.weekdays != 0 || len(f.nth) > 0 {
		wd := weekdayOf(day)
		if f.weekdays&(1<<wd) == 0 && !f.matchNth(y, m, d, day, wd) {
			return false
		}
	}
	return true
}

// matchNth reports whether the day is one of the nth weekdays of its month
// or year.
func (f *dayFilter) matchNth(y, m, d int, day int64, wd time.Weekday) bool {
	var pos, neg int
	if f.nthScope == yearly {
		doy := int(day-daysFromCivil(y, 1, 1)) + 1
		pos, neg = (doy-1)/7+1, -((daysInYear(y)-doy)/7 + 1)
	} else {
		pos, neg = (d-1)/7+1, -((daysInMonth(y, m)-d)/7 + 1)
	}
	for _, nw := range f.nth {
		if nw.wd == wd && (nw.n == pos || nw.n == neg) {
			return true
		}
	}
	return false
}

// monthDays appends to out the days of month m of year y that pass the
// filter, in order.
func (f *dayFilter) monthDays(y, m int, out []int64, work *int64) []int64 {
	if f.months != 0 && f.months&(1<<m) == 0 {
		return out
	}
	first := daysFromCivil(y, m, 1)
	dim := daysInMonth(y, m)
	if f.onlyMdays && f.hasMday {
		*work -= 31
		for d := 1; d <= dim; d++ {
			if f.mdayPos&(1<<d) != 0 || f.mdayNeg&(1<<(dim+1-d)) != 0 {
				out = append(out, first+int64(d-1))
			}
		}
		return out
	}
	*work -= int64(dim)
	for d := 0; d < dim; d++ {
		if f.match(first + int64(d)) {
			out = append(out, first+int64(d))
		}
	}
	return out
}

// week1Start returns the first day of week 1 of year y: the week starting
// on wkst that has at least four days in y (RFC 5545 BYWEEKNO).
func week1Start(y int, wkst time.Weekday) int64 {
	jan1 := daysFromCivil(y, 1, 1)
	off := floorMod(int64(weekdayOf(jan1))-int64(wkst), 7)
	ws := jan1 - off
	if off >= 4 {
		ws += 7
	}
	return ws
}

// weekStart returns the first day of day's week, weeks starting on wkst.
func weekStart(day int64, wkst time.Weekday) int64 {
	return day - floorMod(int64(weekdayOf(day))-int64(wkst), 7)
}

// weekNumber returns the week number of day and the number of weeks of its
// week-numbering year.
func weekNumber(day int64, wkst time.Weekday) (wn, weeks int) {
	ws := weekStart(day, wkst)
	y, _, _ := civilFromDays(ws + 3)
	w1 := week1Start(y, wkst)
	return int((ws-w1)/7) + 1, int((week1Start(y+1, wkst) - w1) / 7)
}

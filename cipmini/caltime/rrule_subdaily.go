package caltime

// HOURLY, MINUTELY and SECONDLY rules run on a grid of civil hours, minutes
// or seconds: the periods are DTSTART's unit plus multiples of INTERVAL.
// BYHOUR (and BYMINUTE, BYSECOND at the finer frequencies) limit which grid
// periods count; day-level parts limit the days. Each period then expands
// into the minutes and seconds of BYMINUTE and BYSECOND that are coarser
// than the frequency's own unit.

// subDaily is the state of a sub-daily expansion.
type subDaily struct {
	unit     int64   // seconds per period: 3600, 60 or 1
	perDay   int64   // periods per day
	u0       int64   // DTSTART's period
	inPeriod []int64 // offsets of the occurrences within a period
	allowed  []uint64
	combos   []int64 // periods of the day that BYHOUR etc. allow, sorted
	limited  bool    // some of BYHOUR/BYMINUTE/BYSECOND limit periods
}

func newSubDaily(r *rule, start int64) *subDaily {
	s := &subDaily{}
	sod := int(floorMod(start, secondsPerDay))
	hours := r.byHour
	var mins, secs []int
	switch r.freq {
	case hourly:
		s.unit = 3600
		for _, m := range orDefault(r.byMinute, sod/60%60) {
			for _, sec := range orDefault(r.bySecond, sod%60) {
				s.inPeriod = append(s.inPeriod, int64(m*60+sec))
			}
		}
	case minutely:
		s.unit = 60
		mins = r.byMinute
		for _, sec := range orDefault(r.bySecond, sod%60) {
			s.inPeriod = append(s.inPeriod, int64(sec))
		}
	default:
		s.unit = 1
		mins, secs = r.byMinute, r.bySecond
		s.inPeriod = []int64{0}
	}
	s.perDay = secondsPerDay / s.unit
	s.u0 = floorDiv(start, s.unit)
	s.limited = len(hours) > 0 || len(mins) > 0 || len(secs) > 0
	if !s.limited {
		return s
	}
	s.allowed = make([]uint64, (s.perDay+63)/64)
	for _, h := range fullIfEmpty(hours, 24) {
		if s.unit == 3600 {
			s.add(int64(h))
			continue
		}
		for _, m := range fullIfEmpty(mins, 60) {
			if s.unit == 60 {
				s.add(int64(h*60 + m))
				continue
			}
			for _, sec := range fullIfEmpty(secs, 60) {
				s.add(int64(h*3600 + m*60 + sec))
			}
		}
	}
	return s
}

func (s *subDaily) add(v int64) {
	s.allowed[v/64] |= 1 << (v % 64)
	s.combos = append(s.combos, v)
}

func (s *subDaily) allows(v int64) bool {
	return !s.limited || s.allowed[v/64]&(1<<(v%64)) != 0
}

// fullIfEmpty returns list, or 0..n-1 when list is empty.
func fullIfEmpty(list []int, n int) []int {
	if len(list) > 0 {
		return list
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// reachable reports whether some allowed period of the day lies on the
// grid on some day: the grid visits exactly the periods of the day that are
// congruent to u0 modulo gcd(interval, perDay).
func (s *subDaily) reachable(interval int64) bool {
	if !s.limited {
		return true
	}
	g := gcd(interval, s.perDay)
	for _, v := range s.combos {
		if floorMod(v-s.u0, g) == 0 {
			return true
		}
	}
	return false
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ceilDiv returns a/b rounded up, for a >= 0 and b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// runSubDaily expands an HOURLY, MINUTELY or SECONDLY rule day by day.
func (e *expansion) runSubDaily() error {
	s := newSubDaily(e.r, e.start)
	iv := e.r.interval
	if !s.reachable(iv) {
		return nil
	}
	cur := s.u0
	target := floorDiv(e.lo, s.unit)
	if e.r.count == 0 {
		if target > s.u0 {
			cur = s.u0 + ceilDiv(target-s.u0, iv)*iv
		}
	} else if !e.filter.any() && !s.limited && len(e.r.bySetPos) == 0 {
		// Every period holds len(inPeriod) occurrences: count the skipped
		// ones instead of walking through them.
		per := int64(len(s.inPeriod))
		base := s.u0 * s.unit
		var n0 int64
		for _, off := range s.inPeriod {
			if base+off > e.start {
				n0++
			}
		}
		k := floorDiv(target-s.u0, iv)
		if e.seekLast {
			k = 0
			if rest := e.r.count - 1 - n0; rest > 0 {
				k = 1 + (rest-1)/per
			}
			// As in firstPeriod: no later than the period holding
			// the last second of year 9999.
			k = min(k, floorDiv(floorDiv(maxCivil-1, s.unit)-s.u0, iv))
		}
		if k >= 2 {
			e.count = 1 + n0 + (k-1)*per
			cur = s.u0 + k*iv
		}
	}
	for {
		if cur*s.unit >= e.hi {
			return nil
		}
		day := floorDiv(cur*s.unit, secondsPerDay)
		if day > maxDay {
			return nil
		}
		*e.work--
		dayEnd := (day + 1) * s.perDay
		if !e.filter.any() || e.filter.match(day) {
			more := e.runGridDay(s, day, cur, dayEnd)
			if *e.work < 0 {
				return ErrExpansionLimit
			}
			if !more {
				return nil
			}
		} else if *e.work < 0 {
			return ErrExpansionLimit
		}
		cur = s.u0 + ceilDiv(dayEnd-s.u0, iv)*iv
	}
}

// runGridDay offers the periods of one day from grid period cur on; false
// when the expansion is over.
func (e *expansion) runGridDay(s *subDaily, day, cur, dayEnd int64) bool {
	iv := e.r.interval
	dayStart := day * s.perDay
	if s.limited && int64(len(s.combos)) < (dayEnd-cur+iv-1)/iv {
		// Fewer allowed periods than grid periods: walk the allowed ones.
		for _, v := range s.combos {
			u := dayStart + v
			*e.work--
			if u < cur || floorMod(u-s.u0, iv) != 0 {
				continue
			}
			if !e.offerPeriod(s, u) || *e.work < 0 {
				return false
			}
		}
		return true
	}
	for u := cur; u < dayEnd; u += iv {
		*e.work--
		if !s.allows(u - dayStart) {
			continue
		}
		if !e.offerPeriod(s, u) || *e.work < 0 {
			return false
		}
	}
	return true
}

// offerPeriod offers the occurrences of grid period u.
func (e *expansion) offerPeriod(s *subDaily, u int64) bool {
	base := u * s.unit
	if len(e.r.bySetPos) > 0 {
		e.scratch = setPositions(e.r.bySetPos, len(s.inPeriod), e.scratch)
		for _, i := range e.scratch {
			if !e.offer(base + s.inPeriod[i]) {
				return false
			}
		}
		return true
	}
	for _, off := range s.inPeriod {
		if !e.offer(base + off) {
			return false
		}
	}
	return true
}

package caltime

import "time"

// Civil ("wall clock") times are handled as seconds since 1970-01-01T00:00:00
// on the proleptic Gregorian calendar, without any zone: the fields of a
// local time, counted as if it were UTC. All arithmetic is in int64 so that
// it is the same on 32-bit ARM.

const (
	secondsPerDay = 86400
	minYear       = 1
	maxYear       = 9999
)

// floorDiv returns a/b rounded towards negative infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// floorMod returns a modulo b in [0, b) (b > 0).
func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d.
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mm > 12 {
		mm -= 12
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

// weekdayOf returns the weekday of a day number (1970-01-01 was a Thursday).
func weekdayOf(day int64) time.Weekday {
	return time.Weekday(floorMod(day+4, 7))
}

func isLeap(y int) bool {
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

// daysInMonth returns the length of month m (1..12) of year y.
func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilSeconds returns the civil seconds of a date and a time of day.
func civilSeconds(y, mo, d, h, mi, s int) int64 {
	return daysFromCivil(y, mo, d)*secondsPerDay + int64(h*3600+mi*60+s)
}

// splitCivil returns the fields of civil seconds cs.
func splitCivil(cs int64) (y, mo, d, h, mi, s int) {
	day := floorDiv(cs, secondsPerDay)
	sod := int(cs - day*secondsPerDay)
	y, mo, d = civilFromDays(day)
	return y, mo, d, sod / 3600, sod / 60 % 60, sod % 60
}

// civilOf returns the wall clock of t in t's own location as civil seconds.
func civilOf(t time.Time) int64 {
	_, off := t.Zone()
	return t.Unix() + int64(off)
}

// offsetAt returns the UTC offset in seconds of loc at the instant unix.
func offsetAt(unix int64, loc *time.Location) int64 {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return int64(off)
}

// wallToUnix returns the instant (Unix seconds) of the wall-clock time cs in
// loc, following RFC 5545 section 3.3.5: a time that falls into a gap (the
// clocks jump forward) is read with the offset in effect before the gap, so
// it moves forward by the length of the gap; a time that occurs twice (the
// clocks fall back) is the first of the two instants.
func wallToUnix(cs int64, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC {
		return cs
	}
	// Offsets are below one day, so these instants lie before and after
	// any transition that could affect cs.
	early := offsetAt(cs-secondsPerDay, loc)
	late := offsetAt(cs+secondsPerDay, loc)
	if early == late {
		if offsetAt(cs-early, loc) == early {
			return cs - early
		}
	}
	c1, c2 := cs-early, cs-late
	ok1 := offsetAt(c1, loc) == early
	ok2 := offsetAt(c2, loc) == late
	switch {
	case ok1 && ok2:
		return min(c1, c2)
	case ok1:
		return c1
	case ok2:
		return c2
	}
	return c1
}

// wallTime returns wallToUnix as a time.Time in loc (UTC when loc is nil).
func wallTime(cs int64, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Unix(wallToUnix(cs, loc), 0).In(loc)
}

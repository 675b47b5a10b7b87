package caltime

import (
	"strconv"
	"strings"
)

// A POSIX TZ string ("<EST>5<EDT>,M3.2.0/2,M11.1.0/2") in the TZif footer
// tells readers how the zone continues after the last listed transition,
// so a VTIMEZONE with the usual yearly rules needs only a few explicit
// transitions and is still right in any year.

// posixRule returns the POSIX date rule ("M3.2.0" or "J81") of a yearly
// observance rule, or false when the rule has no POSIX equivalent.
func posixRule(r *rule, startMonth, startDay int) (string, bool) {
	if r.freq != yearly || r.interval != 1 || r.count != 0 || r.untilKind != untilNone ||
		len(r.bySecond)+len(r.byMinute)+len(r.byHour)+len(r.byYearDay)+len(r.byWeekNo)+len(r.bySetPos) != 0 ||
		len(r.byMonth) > 1 {
		return "", false
	}
	month := startMonth
	if len(r.byMonth) == 1 {
		month = r.byMonth[0]
	}
	switch {
	case len(r.byDay) == 0:
		day := startDay
		if len(r.byMonthDay) == 1 && r.byMonthDay[0] > 0 {
			day = r.byMonthDay[0]
		} else if len(r.byMonthDay) != 0 {
			return "", false
		}
		if len(r.byMonth) == 0 && len(r.byMonthDay) != 0 {
			return "", false
		}
		if day > daysInMonth(2001, month) {
			return "", false // February 29 or a day the month lacks
		}
		// Jn counts days 1..365 and never February 29.
		doy := int(daysFromCivil(2001, month, day)-daysFromCivil(2001, 1, 1)) + 1
		return "J" + strconv.Itoa(doy), true
	case len(r.byDay) == 1 && len(r.byMonth) == 1:
		nw := r.byDay[0]
		week := nw.n
		if week == 0 {
			var ok bool
			if week, ok = weekFromMonthDays(r.byMonthDay); !ok {
				return "", false
			}
		} else if len(r.byMonthDay) != 0 {
			return "", false
		}
		switch {
		case week == -1:
			week = 5
		case week < 1 || week > 4:
			return "", false
		}
		return "M" + strconv.Itoa(month) + "." + strconv.Itoa(week) + "." + strconv.Itoa(int(nw.wd)), true
	}
	return "", false
}

// weekFromMonthDays recognizes the older spelling of "nth weekday" as a
// weekday with seven consecutive month days: 1-7 is the first, 8-14 the
// second, 15-21 the third, 22-28 the fourth and -7..-1 the last.
func weekFromMonthDays(days []int) (int, bool) {
	if len(days) != 7 {
		return 0, false
	}
	first := days[0]
	for i, d := range days {
		if d != first+i {
			return 0, false
		}
	}
	switch first {
	case 1, 8, 15, 22:
		return (first-1)/7 + 1, true
	case -7:
		return -1, true
	}
	return 0, false
}

// posixOffset formats a UTC offset the POSIX way: hours west of UTC.
func posixOffset(off int) string {
	off = -off
	var b strings.Builder
	if off < 0 {
		b.WriteByte('-')
		off = -off
	}
	b.WriteString(strconv.Itoa(off / 3600))
	if m, s := off/60%60, off%60; m != 0 || s != 0 {
		b.WriteString(":" + twoDigits(m))
		if s != 0 {
			b.WriteString(":" + twoDigits(s))
		}
	}
	return b.String()
}

// posixTime formats a time of day in seconds as "h[:mm[:ss]]".
func posixTime(sod int) string {
	s := strconv.Itoa(sod / 3600)
	if m, sec := sod/60%60, sod%60; m != 0 || sec != 0 {
		s += ":" + twoDigits(m)
		if sec != 0 {
			s += ":" + twoDigits(sec)
		}
	}
	return s
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

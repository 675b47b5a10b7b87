package caltime

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// MaxDurationDays bounds a Duration: its weeks, days and clock time
// together may not exceed this many days (about 100 years).
const MaxDurationDays = 36525

// Duration is an RFC 5545 dur-value. Weeks and days are nominal: a day is
// 23 or 25 hours long across a daylight-saving change, so they are kept
// apart from the exact Clock part. The zero Duration is zero length.
type Duration struct {
	// Neg is set for a negative duration ("-PT15M").
	Neg bool
	// Weeks and Days are nominal calendar units (never negative).
	Weeks, Days int
	// Clock is the exact part: hours, minutes and seconds (never negative).
	Clock time.Duration
}

// IsZero reports whether d has no length.
func (d Duration) IsZero() bool { return d.Weeks == 0 && d.Days == 0 && d.Clock == 0 }

// AddTo returns t moved by d: first the weeks and days in wall-clock time in
// t's location (so a day across a daylight-saving change keeps the time of
// day), then the exact clock part. A wall-clock time that does not exist is
// moved forward by the length of the gap (RFC 5545 section 3.3.5).
func (d Duration) AddTo(t time.Time) time.Time {
	days := int64(d.Weeks)*7 + int64(d.Days)
	clock := d.Clock
	if d.Neg {
		days, clock = -days, -clock
	}
	if days != 0 {
		t = wallTime(civilOf(t)+days*secondsPerDay, t.Location()).Add(time.Duration(t.Nanosecond()))
	}
	return t.Add(clock)
}

// Approx returns d as an exact duration, counting a day as 24 hours.
func (d Duration) Approx() time.Duration {
	v := time.Duration(d.Weeks*7+d.Days)*24*time.Hour + d.Clock
	if d.Neg {
		return -v
	}
	return v
}

// maxSpan returns an upper bound of the exact length of a non-negative d,
// counting a nominal day as 25 hours; a negative d gives 0.
func (d Duration) maxSpan() time.Duration {
	if d.Neg {
		return 0
	}
	return time.Duration(d.Weeks*7+d.Days)*25*time.Hour + d.Clock
}

// String returns d in RFC 5545 syntax, such as "P1DT2H" or "-PT15M"; the
// zero Duration is "PT0S".
func (d Duration) String() string {
	var b strings.Builder
	if d.Neg {
		b.WriteByte('-')
	}
	b.WriteByte('P')
	if d.Weeks != 0 && d.Days == 0 && d.Clock == 0 {
		b.WriteString(strconv.Itoa(d.Weeks) + "W")
		return b.String()
	}
	if days := d.Weeks*7 + d.Days; days != 0 {
		b.WriteString(strconv.Itoa(days) + "D")
		if d.Clock == 0 {
			return b.String()
		}
	}
	b.WriteByte('T')
	sec := int64(d.Clock / time.Second)
	h, m, s := sec/3600, sec/60%60, sec%60
	if h != 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m != 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if s != 0 || (h == 0 && m == 0) {
		b.WriteString(strconv.FormatInt(s, 10) + "S")
	}
	return b.String()
}

var errDuration = errors.New("caltime: bad duration")

// ParseDuration parses an RFC 5545 dur-value: "PT1H30M", "-PT15M", "P1D",
// "P2W", "P1DT2H", "+P1W". Letters may be lower case, and units may appear
// in the lenient combinations some generators write ("P1W2D", "PT1H5S"),
// but each at most once and in decreasing order. A duration longer than
// MaxDurationDays is an error.
func ParseDuration(s string) (Duration, error) {
	raw := trimSpace(s)
	d, err := parseDuration(raw)
	if err != nil {
		return Duration{}, errors.New("caltime: bad duration " + quote(raw))
	}
	return d, nil
}

func parseDuration(s string) (Duration, error) {
	var d Duration
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		d.Neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) < 2 || (s[0] != 'P' && s[0] != 'p') {
		return d, errDuration
	}
	s = s[1:]
	const units = "WDTHMS"
	last := -1      // index in units of the last unit read
	inTime := false // after "T"
	var total int64 // seconds, with nominal days of 86400 s
	var clock int64
	for len(s) > 0 {
		if s[0] == 'T' || s[0] == 't' {
			if inTime {
				return d, errDuration
			}
			inTime, last = true, 2
			s = s[1:]
			if len(s) == 0 {
				return d, errDuration
			}
			continue
		}
		n := 0
		for n < len(s) && isDigit(s[n]) {
			n++
		}
		if n == 0 || n > 9 || n == len(s) {
			return d, errDuration
		}
		v := int64(atoi(s[:n]))
		u := strings.IndexByte(units, upper(s[n]))
		if u < 0 || u == 2 || u <= last || inTime != (u > 2) {
			return d, errDuration
		}
		last = u
		s = s[n+1:]
		switch units[u] {
		case 'W':
			d.Weeks = int(min(v, MaxDurationDays))
			total += v * 7 * secondsPerDay
		case 'D':
			d.Days = int(min(v, MaxDurationDays))
			total += v * secondsPerDay
		case 'H':
			clock += v * 3600
		case 'M':
			clock += v * 60
		case 'S':
			clock += v
		}
	}
	if last < 0 || (inTime && last == 2) {
		return d, errDuration
	}
	if total+clock > MaxDurationDays*secondsPerDay {
		return d, errDuration
	}
	d.Clock = time.Duration(clock) * time.Second
	return d, nil
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// DurationBetween returns the duration from start to end as a Recurrence
// uses it: for all-day values the number of calendar days between the two
// dates (nominal, so every instance spans the same dates), otherwise the
// exact time between the two instants (RFC 5545 section 3.8.5.3: a length
// given by DTEND is exact). end before start gives a negative Duration.
func DurationBetween(start, end time.Time, allDay bool) Duration {
	if allDay {
		days := floorDiv(civilOf(end), secondsPerDay) - floorDiv(civilOf(start), secondsPerDay)
		d := Duration{Neg: days < 0}
		if days < 0 {
			days = -days
		}
		d.Days = int(min(days, MaxDurationDays))
		return d
	}
	c := end.Sub(start)
	d := Duration{Neg: c < 0}
	if c < 0 {
		c = -c
	}
	d.Clock = min(c, MaxDurationDays*24*time.Hour)
	return d
}

package caltime

import (
	"strings"
	"time"
)

// ParsePeriod parses an RFC 5545 PERIOD: "start/end" or "start/duration",
// such as "19970101T180000Z/19970102T070000Z" or "19970101T180000Z/PT5H30M".
// Each date-time is read as by ParseDateTime (floating times in loc; nil
// means UTC). The end may not be before the start, and a duration may not
// be negative.
func ParsePeriod(s string, loc *time.Location) (start, end time.Time, err error) {
	raw := trimSpace(s)
	i := strings.IndexByte(raw, '/')
	if i < 0 {
		return time.Time{}, time.Time{}, parseError("period", raw, errSyntax)
	}
	sv, err := ParseDateTime(raw[:i], loc)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	second := trimSpace(raw[i+1:])
	if len(second) > 0 && strings.IndexByte("+-Pp", second[0]) >= 0 {
		d, err := ParseDuration(second)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		if d.Neg {
			return time.Time{}, time.Time{}, parseError("period", raw, errRange)
		}
		return sv.Time, d.AddTo(sv.Time), nil
	}
	ev, err := ParseDateTime(second, loc)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if ev.Time.Before(sv.Time) {
		return time.Time{}, time.Time{}, parseError("period", raw, errRange)
	}
	return sv.Time, ev.Time, nil
}

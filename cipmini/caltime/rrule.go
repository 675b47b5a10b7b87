package caltime

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// frequency is the FREQ rule part, finest first.
type frequency uint8

const (
	secondly frequency = iota + 1
	minutely
	hourly
	daily
	weekly
	monthly
	yearly
)

var frequencies = map[string]frequency{
	"SECONDLY": secondly, "MINUTELY": minutely, "HOURLY": hourly, "DAILY": daily,
	"WEEKLY": weekly, "MONTHLY": monthly, "YEARLY": yearly,
}

// untilKind says how the UNTIL rule part compares with an occurrence.
type untilKind uint8

const (
	untilNone    untilKind = iota
	untilInstant           // a UTC (or offset) date-time: compare instants
	untilCivil             // a floating date-time: compare wall clocks
	untilDateEnd           // a DATE: occurrences before the next day
)

// nthWeekday is one BYDAY entry: n is 0 for every such weekday, 1..53 for
// the nth, -1..-53 for the nth from the end.
type nthWeekday struct {
	n  int
	wd time.Weekday
}

// rule is a parsed RRULE value.
type rule struct {
	freq                                               frequency
	interval                                           int64
	count                                              int64 // 0: no COUNT
	untilKind                                          untilKind
	until                                              int64 // Unix seconds for untilInstant, civil seconds otherwise
	wkst                                               time.Weekday
	bySecond                                           []int
	byMinute                                           []int
	byHour                                             []int
	byDay                                              []nthWeekday
	byMonthDay, byYearDay, byWeekNo, byMonth, bySetPos []int
}

const (
	maxRuleLen  = 4096
	maxInterval = 1000000
	maxCount    = 1000000000
)

var weekdayNames = map[string]time.Weekday{
	"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday,
	"TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday,
}

// ValidateRRule reports whether s is an RRULE value this package can
// expand, with an error that names the offending rule part.
func ValidateRRule(s string) error {
	_, err := parseRule(s)
	return err
}

// parseRule parses an RRULE value such as "FREQ=WEEKLY;BYDAY=TU;UNTIL=...".
// Names and values are case-insensitive; an "RRULE:" prefix, spaces around
// parts and empty parts are tolerated; X- parts, RSCALE=GREGORIAN and
// SKIP=OMIT (RFC 7529 defaults) are ignored.
func parseRule(s string) (*rule, error) {
	raw := trimSpace(s)
	if len(raw) > maxRuleLen {
		return nil, fmt.Errorf("caltime: RRULE longer than %d bytes", maxRuleLen)
	}
	v := strings.ToUpper(raw)
	v = strings.TrimPrefix(v, "RRULE:")
	r := &rule{interval: 1, wkst: time.Monday}
	seen := make(map[string]bool, 8)
	for part := range strings.SplitSeq(v, ";") {
		part = trimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name, value = trimSpace(name), trimSpace(value)
		if !ok || name == "" || value == "" {
			return nil, ruleError(raw, "bad part "+quote(part))
		}
		if seen[name] {
			return nil, ruleError(raw, name+" given twice")
		}
		seen[name] = true
		if err := r.setPart(name, value); err != nil {
			return nil, ruleError(raw, err.Error())
		}
	}
	if r.freq == 0 {
		return nil, ruleError(raw, "FREQ missing")
	}
	return r, nil
}

func ruleError(raw, why string) error {
	return fmt.Errorf("caltime: bad RRULE %s: %s", quote(raw), why)
}

// setPart stores one NAME=VALUE rule part.
func (r *rule) setPart(name, value string) error {
	var err error
	switch name {
	case "FREQ":
		f, ok := frequencies[value]
		if !ok {
			return errors.New("unknown FREQ " + quote(value))
		}
		r.freq = f
	case "INTERVAL":
		r.interval, err = parseRuleInt(name, value, 1, maxInterval)
	case "COUNT":
		r.count, err = parseRuleInt(name, value, 1, maxCount)
	case "UNTIL":
		err = r.setUntil(value)
	case "WKST":
		wd, ok := weekdayNames[value]
		if !ok {
			return errors.New("bad WKST " + quote(value))
		}
		r.wkst = wd
	case "BYSECOND":
		r.bySecond, err = parseRuleList(name, value, 0, 59, false)
	case "BYMINUTE":
		r.byMinute, err = parseRuleList(name, value, 0, 59, false)
	case "BYHOUR":
		r.byHour, err = parseRuleList(name, value, 0, 23, false)
	case "BYDAY":
		r.byDay, err = parseByDay(value)
	case "BYMONTHDAY":
		r.byMonthDay, err = parseRuleList(name, value, 1, 31, true)
	case "BYYEARDAY":
		r.byYearDay, err = parseRuleList(name, value, 1, 366, true)
	case "BYWEEKNO":
		r.byWeekNo, err = parseRuleList(name, value, 1, 53, true)
	case "BYMONTH":
		r.byMonth, err = parseRuleList(name, value, 1, 12, false)
	case "BYSETPOS":
		r.bySetPos, err = parseRuleList(name, value, 1, 366, true)
	case "RSCALE":
		if value != "GREGORIAN" {
			return errors.New("unsupported RSCALE " + quote(value))
		}
	case "SKIP":
		if value != "OMIT" {
			return errors.New("unsupported SKIP " + quote(value))
		}
	default:
		if !strings.HasPrefix(name, "X-") {
			return errors.New("unknown part " + quote(name))
		}
	}
	return err
}

func (r *rule) setUntil(value string) error {
	f, err := lexDateTime(value)
	if err != nil {
		return errors.New("bad UNTIL " + quote(value))
	}
	switch {
	case !f.hasTime:
		r.untilKind = untilDateEnd
		r.until = f.civil() + secondsPerDay
	case f.zone == zoneNone:
		r.untilKind, r.until = untilCivil, f.civil()
	default:
		r.untilKind, r.until = untilInstant, f.civil()-int64(f.offset)
	}
	return nil
}

// parseRuleInt parses a positive integer rule part within [lo, hi].
func parseRuleInt(name, value string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < lo || n > hi || !digits(value) {
		return 0, fmt.Errorf("bad %s %s", name, quote(value))
	}
	return n, nil
}

// parseRuleList parses a comma-separated list of integers whose absolute
// values lie in [lo, hi]; signed allows negative values and a "+" sign.
// The result is sorted and without duplicates.
func parseRuleList(name, value string, lo, hi int, signed bool) ([]int, error) {
	var out []int
	for item := range strings.SplitSeq(value, ",") {
		item = trimSpace(item)
		neg := false
		if signed && len(item) > 0 && (item[0] == '+' || item[0] == '-') {
			neg = item[0] == '-'
			item = item[1:]
		}
		if !digits(item) || len(item) > 3 {
			return nil, fmt.Errorf("bad %s %s", name, quote(value))
		}
		n := atoi(item)
		if n < lo || n > hi {
			return nil, fmt.Errorf("%s value %d out of range", name, n)
		}
		if neg {
			n = -n
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parseByDay parses a BYDAY list such as "MO,WE" or "2SU,-1FR".
func parseByDay(value string) ([]nthWeekday, error) {
	var out []nthWeekday
	for item := range strings.SplitSeq(value, ",") {
		item = trimSpace(item)
		if len(item) < 2 {
			return nil, errors.New("bad BYDAY " + quote(value))
		}
		wd, ok := weekdayNames[item[len(item)-2:]]
		if !ok {
			return nil, errors.New("bad BYDAY " + quote(value))
		}
		num := item[:len(item)-2]
		n := 0
		if num != "" {
			sign := 1
			if num[0] == '+' || num[0] == '-' {
				if num[0] == '-' {
					sign = -1
				}
				num = num[1:]
			}
			if !digits(num) || len(num) > 2 || atoi(num) < 1 || atoi(num) > 53 {
				return nil, errors.New("bad BYDAY " + quote(value))
			}
			n = sign * atoi(num)
		}
		nw := nthWeekday{n: n, wd: wd}
		if !slices.Contains(out, nw) {
			out = append(out, nw)
		}
	}
	return out, nil
}

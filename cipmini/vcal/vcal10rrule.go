package vcal

import (
	"errors"
	"strconv"
	"strings"
)

// errVcal10Rule is wrapped in a *PropError for an RRULE that is neither
// iCalendar nor vCalendar 1.0 syntax.
var errVcal10Rule = errors.New("vcal: bad vCalendar 1.0 recurrence rule")

// isVcal10Rule reports whether an RRULE value uses vCalendar 1.0 syntax
// ("W1 TU #10") rather than RFC 5545's ("FREQ=WEEKLY;...").
func isVcal10Rule(v string) bool {
	return !strings.Contains(upperASCII(v), "FREQ=")
}

// vcal10Rule converts a vCalendar 1.0 recurrence rule (vCalendar 1.0
// section 3.1.2: D, W, MP, MD, YM, YD with an interval, modifiers and a
// duration "#n" or an end date) to RFC 5545 syntax. until converts the end
// date to the form the iCalendar UNTIL needs. A rule without a duration
// repeats twice (#2), as the specification says; "#0" repeats for ever.
func vcal10Rule(v string, until func(string) (string, error)) (string, error) {
	f := strings.Fields(upperASCII(v))
	if len(f) == 0 {
		return "", errVcal10Rule
	}
	head := f[0]
	var freq string
	var kind string
	switch {
	case strings.HasPrefix(head, "MP"), strings.HasPrefix(head, "MD"):
		freq, kind = "MONTHLY", head[:2]
	case strings.HasPrefix(head, "YM"), strings.HasPrefix(head, "YD"):
		freq, kind = "YEARLY", head[:2]
	case strings.HasPrefix(head, "D"):
		freq, kind = "DAILY", "D"
	case strings.HasPrefix(head, "W"):
		freq, kind = "WEEKLY", "W"
	default:
		return "", errVcal10Rule
	}
	interval, err := strconv.Atoi(head[len(kind):])
	if err != nil || interval < 1 || interval > 10000 {
		return "", errVcal10Rule
	}
	var b strings.Builder
	b.WriteString("FREQ=" + freq)
	if interval > 1 {
		b.WriteString(";INTERVAL=" + strconv.Itoa(interval))
	}
	var by []string
	var pending []string // occurrences awaiting their weekdays (MP)
	lastWasDay := false  // the previous token was a weekday
	open := false        // occurrences not yet followed by a weekday
	end := ""
	for _, t := range f[1:] {
		t = strings.TrimSuffix(t, "$")
		wasDay := lastWasDay
		lastWasDay = false
		switch {
		case t == "":
		case strings.HasPrefix(t, "#"):
			n, err := strconv.Atoi(t[1:])
			if err != nil || n < 0 || n > 1<<20 {
				return "", errVcal10Rule
			}
			end = "#" + strconv.Itoa(n)
		case len(t) >= 8 && t[0] >= '0' && t[0] <= '9':
			u, err := until(t)
			if err != nil {
				return "", err
			}
			end = u
		case isWeekday(t):
			if kind != "W" && kind != "MP" {
				return "", errVcal10Rule
			}
			lastWasDay = true
			if kind == "W" {
				by = append(by, t)
				continue
			}
			if len(pending) == 0 {
				return "", errVcal10Rule
			}
			for _, o := range pending {
				by = append(by, o+t)
			}
			open = false
		case kind == "MP":
			o, ok := vcal10Ordinal(t, 5)
			if !ok {
				return "", errVcal10Rule
			}
			if wasDay {
				pending = pending[:0]
			}
			pending = append(pending, o)
			open = true
		case kind == "MD" && t == "LD":
			by = append(by, "-1")
		case kind == "MD" || kind == "YM" || kind == "YD":
			max := map[string]int{"MD": 31, "YM": 12, "YD": 366}[kind]
			o, ok := vcal10Ordinal(t, max)
			if !ok || kind == "YM" && o[0] == '-' {
				return "", errVcal10Rule
			}
			by = append(by, o)
		default:
			return "", errVcal10Rule
		}
	}
	if open {
		return "", errVcal10Rule // occurrences without a weekday
	}
	if len(by) > 0 {
		key := map[string]string{"W": "BYDAY", "MP": "BYDAY", "MD": "BYMONTHDAY", "YM": "BYMONTH", "YD": "BYYEARDAY"}[kind]
		if key == "" {
			return "", errVcal10Rule
		}
		b.WriteString(";" + key + "=" + strings.Join(by, ","))
	}
	switch {
	case end == "":
		b.WriteString(";COUNT=2")
	case end == "#0":
	case end[0] == '#':
		b.WriteString(";COUNT=" + end[1:])
	default:
		b.WriteString(";UNTIL=" + end)
	}
	return b.String(), nil
}

func isWeekday(t string) bool {
	switch t {
	case "SU", "MO", "TU", "WE", "TH", "FR", "SA":
		return true
	}
	return false
}

// vcal10Ordinal converts "3", "3+" or "3-" (1..max) to "3" or "-3".
func vcal10Ordinal(t string, max int) (string, bool) {
	neg := false
	switch {
	case strings.HasSuffix(t, "+"):
		t = t[:len(t)-1]
	case strings.HasSuffix(t, "-"):
		neg = true
		t = t[:len(t)-1]
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > max {
		return "", false
	}
	if neg {
		return "-" + strconv.Itoa(n), true
	}
	return strconv.Itoa(n), true
}

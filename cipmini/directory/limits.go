package directory

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits are a resource's booking rules (docs/PROTOCOL.md section 10.2), checked by the
// automatic policies accept-if-free and accept-always before anything else;
// an invitation that breaks one is declined with the reason. The zero value
// allows everything.
type Limits struct {
	// BookingWindowDays: no occurrence may start later than this many days
	// from now; 0 means no limit. An endless series breaks any window.
	BookingWindowDays int
	// MaxDurationMinutes: no occurrence may last longer; 0 means no limit.
	MaxDurationMinutes int
	// WorkingHours, when set, must hold every occurrence, in Location.
	WorkingHours *WorkingHours
	// NoRecurring declines recurring meetings (config allow_recurring = false).
	NoRecurring bool
	// MaxConflicts is how many occurrences of a series may clash with
	// bookings and the series still be accepted, those occurrences then
	// declined one by one (accept-if-free only). Default 0.
	MaxConflicts int
	// AllowedOrganizers are domains ("acme.example") or addresses
	// ("boss@other.example"); empty means any organizer.
	AllowedOrganizers []string
	// Location is the resource's time zone, for working hours and for the
	// times in reasons. Nil means UTC.
	Location *time.Location
}

// WorkingHours are the days and the daily hours a resource can be booked.
type WorkingHours struct {
	Days        [7]bool // indexed by time.Weekday
	Open, Close int     // minutes after midnight, Open < Close
	text        string
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWorkingHours reads "Mon-Fri 08:00-18:00" or "Mon,Wed,Fri 09:00-17:30".
func ParseWorkingHours(s string) (*WorkingHours, error) {
	days, hours, ok := strings.Cut(strings.TrimSpace(s), " ")
	bad := fmt.Errorf("store: working hours %q: want days and hours such as \"Mon-Fri 08:00-18:00\"", s)
	if !ok {
		return nil, bad
	}
	w := &WorkingHours{text: s}
	for _, part := range strings.Split(strings.ToLower(days), ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, b := dayIndex(from), dayIndex(to)
		if !isRange {
			b = a
		}
		if a < 0 || b < 0 {
			return nil, bad
		}
		for d := a; ; d = (d + 1) % 7 {
			w.Days[d] = true
			if d == b {
				break
			}
		}
	}
	open, close, ok := strings.Cut(strings.TrimSpace(hours), "-")
	var err1, err2 error
	w.Open, err1 = clockMinutes(open)
	w.Close, err2 = clockMinutes(close)
	if !ok || err1 != nil || err2 != nil || w.Open >= w.Close {
		return nil, bad
	}
	return w, nil
}

func dayIndex(s string) int {
	for i, n := range dayNames {
		if strings.TrimSpace(s) == n {
			return i
		}
	}
	return -1
}

func clockMinutes(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("store: bad time of day %q", s)
	}
	return hh*60 + mm, nil
}

// holds reports whether [start, end) lies within the working hours of one day.
func (w *WorkingHours) Holds(start, end time.Time) bool {
	y1, m1, d1 := start.Date()
	y2, m2, d2 := end.Add(-time.Nanosecond).Date()
	if y1 != y2 || m1 != m2 || d1 != d2 || !w.Days[start.Weekday()] {
		return false
	}
	s := start.Hour()*60 + start.Minute()
	e := s + int(end.Sub(start).Minutes())
	return s >= w.Open && e <= w.Close
}

// String returns the working hours as the configuration gave them.
func (w *WorkingHours) String() string { return w.text }

package caltime

import (
	"fmt"
	"time"
)

// UTCLayout is the time.Format layout of an iCalendar UTC date-time, as
// cipmini writes every instant in calendar data ("20270301T090000Z").
const UTCLayout = "20060102T150405Z"

// whenLayouts are the forms ParseWhen accepts, tried in this order.
var whenLayouts = [...]string{time.RFC3339, UTCLayout, "2006-01-02", "20060102"}

// ParseWhen reads an instant typed by a person or given in a query (the
// command line's --from and --to, the HTTP face's start and end): RFC 3339
// ("2027-03-01T10:00:00+01:00"), an iCalendar UTC date-time
// ("20270301T090000Z"), or a date, dashed or not ("2027-03-01",
// "20270301"), which is midnight UTC. The result is in UTC. It puts no
// bound on the year: a caller that needs one checks it.
func ParseWhen(s string) (time.Time, error) {
	for _, layout := range whenLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("caltime: %s: want 2027-03-01, 20270301, 20270301T090000Z or RFC 3339", quote(s))
}

package vcal

import (
	"fmt"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
)

// modelDiff describes how two events differ in their model (everything but
// the Calendar), or returns "".
func modelDiff(a, b *Event) string {
	var d []string
	add := func(field string, x, y any) { d = append(d, fmt.Sprintf("%s: %v != %v", field, x, y)) }
	if a.UID != b.UID {
		add("UID", a.UID, b.UID)
	}
	if a.Sequence != b.Sequence {
		add("Sequence", a.Sequence, b.Sequence)
	}
	times := []struct {
		name string
		x, y time.Time
	}{{"DTStamp", a.DTStamp, b.DTStamp}, {"Start", a.Start, b.Start}, {"End", a.End, b.End},
		{"RecurrenceID", a.RecurrenceID, b.RecurrenceID}}
	for _, tt := range times {
		if !tt.x.Equal(tt.y) {
			add(tt.name, tt.x, tt.y)
		}
	}
	if a.Method != b.Method || a.Kind != b.Kind {
		add("Method/Kind", a.Method+"/"+a.Kind, b.Method+"/"+b.Kind)
	}
	flags := func(e *Event) string {
		return fmt.Sprint(e.Cancelled, e.Transparent, e.AllDay, e.Floating, e.Recurring)
	}
	if flags(a) != flags(b) {
		add("flags", flags(a), flags(b))
	}
	if a.Organizer != b.Organizer {
		add("Organizer", a.Organizer, b.Organizer)
	}
	if fmt.Sprint(a.Attendees) != fmt.Sprint(b.Attendees) {
		add("Attendees", a.Attendees, b.Attendees)
	}
	if a.Summary != b.Summary {
		add("Summary", a.Summary, b.Summary)
	}
	if len(a.Overrides) != len(b.Overrides) {
		add("Overrides", len(a.Overrides), len(b.Overrides))
	} else {
		for i := range a.Overrides {
			x, y := a.Overrides[i], b.Overrides[i]
			if !x.RecurrenceID.Equal(y.RecurrenceID) || !x.Start.Equal(y.Start) || !x.End.Equal(y.End) ||
				x.Sequence != y.Sequence || x.Cancelled != y.Cancelled || fmt.Sprint(x.Attendees) != fmt.Sprint(y.Attendees) {
				add(fmt.Sprintf("Override %d", i), x, y)
			}
		}
	}
	if !a.Start.IsZero() {
		from, to := a.Start.AddDate(-1, 0, 0), a.Start.AddDate(2, 0, 0)
		ia, errA := a.Instances(from, to, 500)
		ib, errB := b.Instances(from, to, 500)
		if fmt.Sprint(errA) != fmt.Sprint(errB) {
			add("Instances error", errA, errB)
		} else if instString(ia) != instString(ib) {
			add("Instances", instString(ia), instString(ib))
		}
	}
	return strings.Join(d, "; ")
}

// instString renders instances as "start-end" in UTC, with "@rid" for an
// instance whose RECURRENCE-ID differs from its start.
func instString(list []caltime.Instance) string {
	var b strings.Builder
	for _, in := range list {
		b.WriteString(in.Start.UTC().Format("2006-01-02T15:04") + "-" + in.End.UTC().Format("15:04"))
		if !in.RecurrenceID.IsZero() && !in.RecurrenceID.Equal(in.Start) {
			b.WriteString("@" + in.RecurrenceID.UTC().Format("01-02T15:04"))
		}
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

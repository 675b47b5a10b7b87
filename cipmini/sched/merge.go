package sched

import (
	"fmt"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// storedText returns the iCalendar text to store for an incoming event,
// with ev when the text is ev's own encoding (which reads back as ev, so
// that it need not be parsed again), nil when it is a merge. A whole event
// replaces what was stored. Data for single occurrences only
// (RECURRENCE-ID components without their master: a moved or cancelled
// instance) is merged into the stored calendar (old's text, parsed at most
// once per SENDEVENT, see eventRecord.parsed), each replacing the stored
// override for the same occurrence (RFC 5546 3.2.2, 3.2.5).
func storedText(ev *vcal.Event, old *eventRecord) (string, *vcal.Event, error) {
	cal, textEv := ev.Calendar, ev
	if !ev.RecurrenceID.IsZero() && old != nil && !old.textless() {
		stored, err := old.parsed()
		if err != nil {
			return "", nil, err
		}
		cal, textEv = mergeOccurrences(stored, ev), nil
	}
	text, err := vcal.EncodeString(cal)
	if err != nil {
		return "", nil, fmt.Errorf("store: encoding event %s: %w", ev.UID, err)
	}
	return text, textEv, nil
}

// mergeOccurrences adds the RECURRENCE-ID components of ev to the stored
// event's calendar, replacing stored ones for the same occurrence (the same
// RECURRENCE-ID instant, whatever its form), and the time zones they need.
// A component of a METHOD:CANCEL calendar is marked STATUS:CANCELLED.
func mergeOccurrences(storedEv *vcal.Event, ev *vcal.Event) *ical.Calendar {
	stored := storedEv.Calendar
	out := ical.NewCalendar()
	out.Props = stored.Props
	zones := map[string]bool{}
	incoming := map[int64]bool{}
	for _, o := range ev.Overrides {
		incoming[o.RecurrenceID.Unix()] = true
	}
	k := 0 // the stored overrides are the RECURRENCE-ID components, in order
	for _, c := range stored.Children {
		if c.Name == ical.CompTimezone {
			zones[firstText(c, ical.PropTimezoneID)] = true
		}
		if recurrenceKey(c) != "" && k < len(storedEv.Overrides) {
			k++
			if incoming[storedEv.Overrides[k-1].RecurrenceID.Unix()] {
				continue
			}
		}
		out.Children = append(out.Children, c)
	}
	for _, c := range ev.Calendar.Children {
		switch {
		case c.Name == ical.CompTimezone && !zones[firstText(c, ical.PropTimezoneID)]:
			out.Children = append([]*ical.Component{c}, out.Children...)
		case recurrenceKey(c) != "":
			if ev.Cancelled {
				c.Props.SetText(ical.PropStatus, "CANCELLED")
			}
			out.Children = append(out.Children, c)
		}
	}
	return out
}

// recurrenceKey identifies the occurrence an event component overrides, or
// is "" for a master or another component.
func recurrenceKey(c *ical.Component) string {
	if c.Name != ical.CompEvent && c.Name != ical.CompToDo {
		return ""
	}
	p := c.Props.Get(ical.PropRecurrenceID)
	if p == nil {
		return ""
	}
	return p.Params.Get(ical.ParamTimezoneID) + ":" + p.Value
}

func firstText(c *ical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

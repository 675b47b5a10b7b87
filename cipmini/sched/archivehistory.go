package sched

import (
	"encoding/json"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// propHistory carries a retired event's history into the archive: one
// property per HistoryEntry on the event's main component, oldest first,
// its value the entry as JSON (escaped as TEXT). Only Maintain writes it:
// any such property the event came with is dropped first, so an archived
// history is always the store's own.
const propHistory = "X-CIPMINI-HISTORY"

// setArchivedHistory puts the record's history on the main component of
// cal (the one without RECURRENCE-ID) and removes every other
// X-CIPMINI-HISTORY.
func setArchivedHistory(cal *ical.Calendar, r *eventRecord) {
	entries := r.entries()
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent && c.Name != ical.CompToDo {
			continue
		}
		c.Props.Del(propHistory)
		if c.Props.Get(ical.PropRecurrenceID) != nil || len(entries) == 0 {
			continue
		}
		for _, e := range entries {
			b, err := json.Marshal(e)
			if err != nil {
				continue // a map of strings always encodes
			}
			p := ical.NewProp(propHistory)
			p.SetText(string(b))
			p.Params.Del(ical.ParamValue)
			c.Props.Add(p)
		}
		entries = nil // on one component only
	}
}

// archivedEntries reads back the history setArchivedHistory wrote; entries
// that do not decode are skipped.
func archivedEntries(ev *vcal.Event) []HistoryEntry {
	var out []HistoryEntry
	for _, c := range ev.Calendar.Children {
		if c.Name != ical.CompEvent && c.Name != ical.CompToDo || c.Props.Get(ical.PropRecurrenceID) != nil {
			continue
		}
		for i := range c.Props[propHistory] {
			text, err := c.Props[propHistory][i].Text()
			if err != nil {
				continue
			}
			var e HistoryEntry
			if json.Unmarshal([]byte(text), &e) == nil {
				out = append(out, e)
			}
		}
	}
	return out
}

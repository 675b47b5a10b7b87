package ciptest

import (
	"sort"
	"time"
)

// Span is a busy period of one event, for overlap checks.
type Span struct {
	Start, End time.Time
	Event      string // the event's UID or reference
}

// Overlap returns the first two spans of different events that overlap
// (a starts before b ends and b before a ends), sweeping in start order
// against the spans still going on; ok is false when none do. An event's
// own spans may overlap each other (an occurrence moved onto another): one
// meeting, one organizer. It sorts spans by start in place.
func Overlap(spans []Span) (a, b Span, ok bool) {
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	var active []Span
	for _, s := range spans {
		kept := active[:0]
		for _, x := range active {
			if x.End.After(s.Start) {
				kept = append(kept, x)
			}
		}
		active = kept
		for _, x := range active {
			if x.Event != s.Event {
				return x, s, true
			}
		}
		active = append(active, s)
	}
	return Span{}, Span{}, false
}

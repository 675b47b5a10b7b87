package vcal

import (
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-ical"
)

// The encoder here writes the text go-ical's Encoder writes, folded as
// Encode folds it, into one reused buffer: go-ical builds a buffer for every
// property and a sorted slice of names for every component and property. It
// writes only trees it knows go-ical accepts; for any other (a component
// go-ical checks that this file does not, a rule broken, a value go-ical
// refuses) it reports false and Encode falls back on go-ical, whose error is
// then the answer.

// encodeBufs holds the buffers of encodings in progress.
var encodeBufs = sync.Pool{New: func() any { return new(encodeBuf) }}

// encodeBuf is one encoding's scratch: the unfolded text and its names.
type encodeBuf struct {
	raw   []byte
	out   []byte
	names []string
}

// appendTree appends cal's folded encoding to dst, or reports false. dst
// must not be eb.raw.
func (eb *encodeBuf) appendTree(dst []byte, cal *ical.Calendar) ([]byte, bool) {
	defer clear(eb.names[:cap(eb.names)]) // keep no names of cal
	raw, ok := eb.appendComponent(eb.raw[:0], cal.Component)
	if cap(raw) <= 64<<10 {
		eb.raw = raw
	}
	if !ok {
		return dst, false
	}
	return appendFolded(dst, raw), true
}

// appendSortedKeys appends m's keys to dst, sorted.
func appendSortedKeys[V any](dst []string, m map[string]V) []string {
	start := len(dst)
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst[start:])
	return dst
}

// appendComponent appends c as go-ical's encodeComponent writes it.
func (eb *encodeBuf) appendComponent(b []byte, c *ical.Component) ([]byte, bool) {
	if !checkKnown(c) || strings.ContainsAny(c.Name, "\r\n") {
		return b, false
	}
	b = append(b, "BEGIN:"...)
	b = append(b, c.Name...)
	b = append(b, "\r\n"...)
	start := len(eb.names)
	eb.names = appendSortedKeys(eb.names, c.Props)
	names := eb.names[start:]
	for _, name := range names {
		ps := c.Props[name]
		for i := range ps {
			var ok bool
			if b, ok = eb.appendProp(b, &ps[i]); !ok {
				eb.names = eb.names[:start]
				return b, false
			}
		}
	}
	eb.names = eb.names[:start]
	for _, child := range c.Children {
		var ok bool
		if b, ok = eb.appendComponent(b, child); !ok {
			return b, false
		}
	}
	b = append(b, "END:"...)
	b = append(b, c.Name...)
	return append(b, "\r\n"...), true
}

// appendProp appends p as go-ical's encodeProp writes it.
func (eb *encodeBuf) appendProp(b []byte, p *ical.Prop) ([]byte, bool) {
	if strings.ContainsAny(p.Value, "\r\n") {
		return b, false
	}
	b = append(b, p.Name...)
	if len(p.Params) > 0 {
		start := len(eb.names)
		eb.names = appendSortedKeys(eb.names, p.Params)
		names := eb.names[start:]
		for _, name := range names {
			b = append(b, ';')
			b = append(b, name...)
			b = append(b, '=')
			for i, v := range p.Params[name] {
				if i > 0 {
					b = append(b, ',')
				}
				if strings.IndexByte(v, '"') >= 0 {
					eb.names = eb.names[:start]
					return b, false
				}
				if strings.ContainsAny(v, ";:,") {
					b = append(b, '"')
					b = append(b, v...)
					b = append(b, '"')
				} else {
					b = append(b, v...)
				}
			}
		}
		eb.names = eb.names[:start]
	}
	b = append(b, ':')
	b = append(b, p.Value...)
	return append(b, "\r\n"...), true
}

// appendFolded appends text folded as foldWriter folds it.
func appendFolded(dst, text []byte) []byte {
	n := 0
	for _, c := range text {
		var fold bool
		if n, fold = foldStep(n, c); fold {
			dst = append(dst, "\r\n "...)
		}
		dst = append(dst, c)
	}
	return dst
}

// checkKnown reports whether go-ical's checks accept c, for the components
// whose checks are restated here; false for VTODO and VJOURNAL, which are
// left to go-ical whatever they hold.
func checkKnown(c *ical.Component) bool {
	var exactlyOne, atMostOne []string
	switch c.Name {
	case ical.CompCalendar:
		if len(c.Children) == 0 {
			return false
		}
		exactlyOne, atMostOne = calendarOne, calendarAtMostOne
	case ical.CompEvent:
		for _, child := range c.Children {
			if child.Name != ical.CompAlarm {
				return false
			}
		}
		if len(c.Props[ical.PropDateTimeEnd]) > 0 && len(c.Props[ical.PropDuration]) > 0 {
			return false
		}
		exactlyOne, atMostOne = stampedOne, eventAtMostOne
	case ical.CompToDo, ical.CompJournal:
		return false
	case ical.CompFreeBusy:
		if len(c.Children) > 0 {
			return false
		}
		exactlyOne, atMostOne = stampedOne, freeBusyAtMostOne
	case ical.CompTimezone:
		if len(c.Children) == 0 {
			return false
		}
		for _, child := range c.Children {
			if child.Name != ical.CompTimezoneStandard && child.Name != ical.CompTimezoneDaylight {
				return false
			}
		}
		exactlyOne, atMostOne = timezoneOne, timezoneAtMostOne
	case ical.CompTimezoneStandard, ical.CompTimezoneDaylight:
		exactlyOne = observanceOne
	}
	for _, name := range exactlyOne {
		if len(c.Props[name]) != 1 {
			return false
		}
	}
	for _, name := range atMostOne {
		if len(c.Props[name]) > 1 {
			return false
		}
	}
	return true
}

// The properties go-ical's checkComponent wants exactly once or at most once.
var (
	calendarOne       = []string{ical.PropProductID, ical.PropVersion}
	calendarAtMostOne = []string{ical.PropCalendarScale, ical.PropMethod, ical.PropUID,
		ical.PropLastModified, ical.PropURL, ical.PropRefreshInterval, ical.PropSource, ical.PropColor}
	stampedOne     = []string{ical.PropDateTimeStamp, ical.PropUID}
	eventAtMostOne = []string{ical.PropDateTimeStart, ical.PropClass, ical.PropCreated,
		ical.PropDescription, ical.PropGeo, ical.PropLastModified, ical.PropLocation,
		ical.PropOrganizer, ical.PropPriority, ical.PropRecurrenceRule, ical.PropSequence,
		ical.PropStatus, ical.PropSummary, ical.PropTransparency, ical.PropURL,
		ical.PropRecurrenceID, ical.PropDateTimeEnd, ical.PropDuration, ical.PropColor}
	freeBusyAtMostOne = []string{ical.PropContact, ical.PropDateTimeStart, ical.PropDateTimeEnd,
		ical.PropOrganizer, ical.PropURL}
	timezoneOne       = []string{ical.PropTimezoneID}
	timezoneAtMostOne = []string{ical.PropLastModified, ical.PropTimezoneURL}
	observanceOne     = []string{ical.PropDateTimeStart, ical.PropTimezoneOffsetTo,
		ical.PropTimezoneOffsetFrom}
)

package vcal

import (
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/emersion/go-ical"
)

// defaultProdID is the PRODID of a normalized calendar whose data had none.
const defaultProdID = "-//cipmini//vcal//EN"

// normalizer turns a decoded data block into the normalized model.
type normalizer struct {
	lim         Limits
	vcal10      bool // vCalendar 1.0 or the draft's bare lines
	method      string
	prodID      string
	calScale    string
	zones       caltime.Zones
	zoneSrc     map[string]*zoneSource     // the data's VTIMEZONEs by TZID; nil until one
	zoneOrder   []string                   // TZIDs of zoneSrc in data order
	zoneComps   map[string]*ical.Component // VTIMEZONEs registered with caltime; nil until one
	zonesLoaded int
	vcalLoc     *time.Location  // vCalendar 1.0 TZ and DAYLIGHT
	synthetic   map[string]bool // VTIMEZONEs made by localZone; nil until one
	used        []string        // TZIDs used by the event being built
}

// prepare scans a data block under lim (nil: the defaults) and returns the
// document with its normalizer, as every Parse function starts.
func prepare(data []byte, lim *Limits) (document, *normalizer, error) {
	l := lim.resolved()
	doc, err := decodeBytes(data, &l)
	if err != nil {
		return document{}, nil, err
	}
	n, err := newNormalizer(doc, l)
	if err != nil {
		return document{}, nil, err
	}
	return doc, n, nil
}

func newNormalizer(doc document, lim Limits) (*normalizer, error) {
	cal := doc.root
	var n *normalizer
	if doc.work != nil {
		n = &doc.work.n
	} else {
		n = new(normalizer)
	}
	*n = normalizer{lim: lim, prodID: defaultProdID}
	first := func(c *ical.Component, name string) string {
		if ps := c.Props[name]; len(ps) > 0 {
			return strings.TrimSpace(ps[0].Value)
		}
		return ""
	}
	n.vcal10 = doc.bare || first(cal, ical.PropVersion) == "1.0"
	n.method = upperASCII(breakNewlines(first(cal, ical.PropMethod)))
	if p := first(cal, ical.PropProductID); p != "" {
		n.prodID = breakNewlines(p)
	}
	n.calScale = upperASCII(breakNewlines(first(cal, ical.PropCalendarScale)))
	n.loadZones(cal)
	if n.vcal10 {
		// TZ and DAYLIGHT belong to the calendar; bare lines put them in
		// the implicit VEVENT.
		holder := cal
		if doc.bare && len(cal.Children) > 0 {
			holder = cal.Children[0]
		}
		if tz := first(holder, "TZ"); tz != "" {
			var daylight []string
			for _, p := range holder.Props["DAYLIGHT"] {
				daylight = append(daylight, strings.TrimSpace(p.Value))
			}
			loc, err := caltime.VCal10Location(tz, daylight)
			if err != nil {
				return nil, propErr("TZ", tz, err)
			}
			n.vcalLoc = loc
		}
	}
	return n, nil
}

// calendar returns a normalized VCALENDAR, held in t, holding the
// VTIMEZONEs in n.used and the given components.
func (n *normalizer) calendar(t *calendarTree, comps []*ical.Component) *ical.Calendar {
	props := t.props[:2:len(t.props)]
	props[0] = ical.Prop{Name: ical.PropVersion, Params: ical.Params{}, Value: "2.0"}
	props[1] = ical.Prop{Name: ical.PropProductID, Params: ical.Params{}, Value: n.prodID}
	if n.calScale != "" {
		props = append(props, ical.Prop{Name: ical.PropCalendarScale, Params: ical.Params{}, Value: n.calScale})
	}
	if n.method != "" {
		props = append(props, ical.Prop{Name: ical.PropMethod, Params: ical.Params{}, Value: n.method})
	}
	t.comp = ical.Component{Name: ical.CompCalendar, Props: groupSorted(props)}
	t.cal.Component = &t.comp
	cal := &t.cal
	var added []*ical.Component
outer:
	for _, tzid := range n.used {
		z := n.zoneComps[tzid]
		if z == nil {
			// caltime matches a TZID to a VTIMEZONE ignoring case too.
			for _, name := range n.zoneOrder {
				if strings.EqualFold(name, tzid) {
					z = n.zoneComps[name]
					break
				}
			}
		}
		if z == nil {
			continue
		}
		for _, a := range added {
			if a == z {
				continue outer
			}
		}
		added = append(added, z)
	}
	if n := len(added) + len(comps); n <= len(t.children) {
		cal.Children = t.children[:0:n]
	} else {
		cal.Children = make([]*ical.Component, 0, n)
	}
	cal.Children = append(cal.Children, added...)
	cal.Children = append(cal.Children, comps...)
	finalize(cal.Component)
	return cal
}

// calendarTree holds a normalized calendar with its component and the
// arrays of its properties and (up to 4) subcomponents.
type calendarTree struct {
	cal      ical.Calendar
	comp     ical.Component
	props    [4]ical.Prop
	children [4]*ical.Component
}

// finalize makes sure that every value of c and its subcomponents can be
// encoded and re-read unchanged: no raw line break in a value, every
// parameter value cleaned by cleanParamValue.
func finalize(c *ical.Component) {
	for _, props := range c.Props {
		for i := range props {
			p := &props[i]
			p.Value = breakNewlines(p.Value)
			for name, values := range p.Params {
				for k, v := range values {
					if cv := cleanParamValue(v); cv != v {
						p.Params[name][k] = cv
					}
				}
			}
		}
	}
	for _, sub := range c.Children {
		finalize(sub)
	}
}

// sanitizeProp copies a property so that go-ical encodes it and it re-reads
// the same: raw line breaks become "\n", a vCalendar 1.0 TEXT value is
// escaped as iCalendar wants, and parameters are cleaned (sanitizeParams).
func sanitizeProp(p *ical.Prop, vcal10 bool) ical.Prop {
	v := p.Value
	if vcal10 && textProps[p.Name] {
		v = vcal10Text(p.Name, v)
	} else {
		v = breakNewlines(v)
	}
	return ical.Prop{Name: p.Name, Params: sanitizeParams(p.Params), Value: v}
}

// sanitizeParams copies parameters without the named ones, cleaning each
// value with cleanParamValue.
func sanitizeParams(params ical.Params, drop ...string) ical.Params {
	out := make(ical.Params, len(params))
outer:
	for name, values := range params {
		for _, d := range drop {
			if name == d {
				continue outer
			}
		}
		vs := make([]string, len(values))
		for i, v := range values {
			vs[i] = cleanParamValue(v)
		}
		out[name] = vs
	}
	return out
}

// cleanParamValue makes a parameter value safe to encode and re-read
// unchanged: line breaks become blanks, '"' (which no parameter value may
// hold) becomes '\”, blanks around it and a trailing backslash (which would
// escape the following ';' or ',') are removed.
func cleanParamValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	if strings.IndexByte(v, '"') >= 0 {
		v = strings.ReplaceAll(v, `"`, "'")
	}
	for {
		t := strings.TrimRight(strings.TrimSpace(v), `\`)
		if t == v {
			return v
		}
		v = t
	}
}

// atMostOnce lists the properties go-ical refuses to encode twice in a
// component (RFC 5545 says they occur at most once); extra ones are dropped.
var atMostOnce = map[string][]string{
	ical.CompEvent: {ical.PropDateTimeStart, ical.PropClass, ical.PropCreated, ical.PropDescription,
		ical.PropGeo, ical.PropLastModified, ical.PropLocation, ical.PropOrganizer, ical.PropPriority,
		ical.PropRecurrenceRule, ical.PropSequence, ical.PropStatus, ical.PropSummary,
		ical.PropTransparency, ical.PropURL, ical.PropRecurrenceID, ical.PropDateTimeEnd,
		ical.PropDuration, ical.PropColor},
	ical.CompToDo: {ical.PropClass, ical.PropCompleted, ical.PropCreated, ical.PropDescription,
		ical.PropDateTimeStart, ical.PropGeo, ical.PropLastModified, ical.PropLocation,
		ical.PropOrganizer, ical.PropPercentComplete, ical.PropPriority, ical.PropRecurrenceID,
		ical.PropSequence, ical.PropStatus, ical.PropSummary, ical.PropURL, ical.PropDue,
		ical.PropDuration, ical.PropColor},
}

// sanitizeAlarm copies a VALARM. A VALARM has no subcomponents (RFC 5545
// section 3.6.6), so any are dropped.
func sanitizeAlarm(c *ical.Component, vcal10 bool) *ical.Component {
	out := ical.NewComponent(c.Name)
	for name, props := range c.Props {
		for i := range props {
			out.Props[name] = append(out.Props[name], sanitizeProp(&props[i], vcal10))
		}
	}
	return out
}

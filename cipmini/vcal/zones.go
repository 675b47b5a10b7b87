package vcal

import (
	"strings"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/emersion/go-ical"
)

// zoneSource is a VTIMEZONE of the data, registered with caltime only when
// a property refers to it.
type zoneSource struct {
	comp  *ical.Component
	obs   []caltime.Observance
	state int // 0 not yet loaded, 1 loaded, 2 refused by caltime
}

// loadZones collects the calendar's usable VTIMEZONEs (the first of each
// TZID). A VTIMEZONE that go-ical could not encode is left out: its TZID
// then resolves by name (IANA, Windows), or fails where it is used.
func (n *normalizer) loadZones(cal *ical.Component) {
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		tzProps := c.Props[ical.PropTimezoneID]
		if len(tzProps) == 0 {
			continue
		}
		tzid := tzidName(tzProps[0].Value)
		if tzid == "" || n.zoneSrc[tzid] != nil {
			continue
		}
		out, obs, ok := sanitizeTimezone(c, tzid)
		if !ok {
			continue
		}
		if n.zoneSrc == nil {
			n.zoneSrc = make(map[string]*zoneSource)
		}
		n.zoneSrc[tzid] = &zoneSource{comp: out, obs: obs}
		n.zoneOrder = append(n.zoneOrder, tzid)
	}
}

// ensureZone registers with caltime the data's VTIMEZONE that tzid refers
// to (matched exactly, else ignoring case, as caltime does), at most
// Limits.MaxTimezones of them. A VTIMEZONE caltime refuses is dropped, so
// that tzid resolves by name.
func (n *normalizer) ensureZone(tzid string) error {
	name := tzid
	src := n.zoneSrc[tzid]
	if src == nil {
		for _, z := range n.zoneOrder {
			if strings.EqualFold(z, tzid) {
				name, src = z, n.zoneSrc[z]
				break
			}
		}
	}
	if src == nil || src.state != 0 {
		return nil
	}
	if n.zonesLoaded >= n.lim.MaxTimezones {
		return &LimitError{Max: n.lim.MaxTimezones, Err: ErrTooManyTimezones}
	}
	n.zonesLoaded++
	if err := n.zones.AddVTimezone(name, src.obs); err != nil {
		src.state = 2
		return nil
	}
	src.state = 1
	n.addZoneComp(name, src.comp)
	return nil
}

// addZoneComp records the VTIMEZONE registered with caltime as tzid.
func (n *normalizer) addZoneComp(tzid string, c *ical.Component) {
	if n.zoneComps == nil {
		n.zoneComps = make(map[string]*ical.Component)
	}
	n.zoneComps[tzid] = c
}

// sanitizeTimezone returns a VTIMEZONE that go-ical will encode (one TZID,
// only STANDARD and DAYLIGHT children, each with one DTSTART, TZOFFSETFROM
// and TZOFFSETTO) and caltime's view of its observances.
func sanitizeTimezone(c *ical.Component, tzid string) (*ical.Component, []caltime.Observance, bool) {
	out := ical.NewComponent(ical.CompTimezone)
	out.Props.Set(&ical.Prop{Name: ical.PropTimezoneID, Params: ical.Params{}, Value: tzid})
	for name, props := range c.Props {
		switch name {
		case ical.PropTimezoneID:
			continue
		case ical.PropLastModified, ical.PropTimezoneURL:
			props = props[:1]
		}
		for i := range props {
			out.Props[name] = append(out.Props[name], sanitizeProp(&props[i], false))
		}
	}
	var obs []caltime.Observance
	for _, sub := range c.Children {
		if sub.Name != ical.CompTimezoneStandard && sub.Name != ical.CompTimezoneDaylight {
			continue
		}
		one := func(name string) (string, bool) {
			ps := sub.Props[name]
			if len(ps) != 1 {
				return "", false
			}
			return strings.TrimSpace(ps[0].Value), true
		}
		start, ok1 := one(ical.PropDateTimeStart)
		from, ok2 := one(ical.PropTimezoneOffsetFrom)
		to, ok3 := one(ical.PropTimezoneOffsetTo)
		if !ok1 || !ok2 || !ok3 {
			return nil, nil, false
		}
		o := caltime.Observance{
			Daylight:   sub.Name == ical.CompTimezoneDaylight,
			Start:      start,
			OffsetFrom: from,
			OffsetTo:   to,
		}
		if rr := sub.Props[ical.PropRecurrenceRule]; len(rr) > 0 {
			o.RRule = strings.TrimSpace(rr[0].Value)
		}
		for _, rd := range sub.Props[ical.PropRecurrenceDates] {
			for _, v := range strings.Split(rd.Value, ",") {
				if v = strings.TrimSpace(v); v != "" {
					o.RDates = append(o.RDates, v)
				}
			}
		}
		if nm := sub.Props[ical.PropTimezoneName]; len(nm) > 0 {
			o.Name = nm[0].Value
		}
		obs = append(obs, o)
		// Write exactly the values caltime read, so that the zone re-reads
		// the same.
		s := ical.NewComponent(sub.Name)
		for name, props := range sub.Props {
			switch name {
			case ical.PropDateTimeStart, ical.PropTimezoneOffsetFrom, ical.PropTimezoneOffsetTo,
				ical.PropRecurrenceRule, ical.PropRecurrenceDates:
				continue
			}
			for i := range props {
				s.Props[name] = append(s.Props[name], sanitizeProp(&props[i], false))
			}
		}
		set := func(name, value string) {
			s.Props.Set(&ical.Prop{Name: name, Params: ical.Params{}, Value: value})
		}
		set(ical.PropDateTimeStart, o.Start)
		set(ical.PropTimezoneOffsetFrom, o.OffsetFrom)
		set(ical.PropTimezoneOffsetTo, o.OffsetTo)
		if o.RRule != "" {
			set(ical.PropRecurrenceRule, o.RRule)
		}
		if len(o.RDates) > 0 {
			set(ical.PropRecurrenceDates, strings.Join(o.RDates, ","))
		}
		out.Children = append(out.Children, s)
	}
	if len(obs) == 0 {
		return nil, nil, false
	}
	return out, obs, true
}

// useZone records that the event being built refers to tzid.
func (n *normalizer) useZone(tzid string) {
	for _, z := range n.used {
		if z == tzid {
			return
		}
	}
	n.used = append(n.used, tzid)
}

// tzidName is the name a TZID stands for, on the VTIMEZONE and on the
// parameter side alike: TZID is TEXT, so "\," is a comma (Outlook writes
// `TZID:Kuala Lumpur\, Singapore` and `TZID="Kuala Lumpur, Singapore"`),
// and blanks around the name do not count.
func tzidName(s string) string {
	return strings.TrimSpace(unescapeText(strings.TrimSpace(s)))
}

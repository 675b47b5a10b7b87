package vcal

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/emersion/go-ical"
)

var (
	errSequence     = errors.New("vcal: SEQUENCE must be a whole number from 0 to 2147483647")
	errNegDuration  = errors.New("vcal: negative duration")
	errTwoRRules    = errors.New("vcal: more than one RRULE")
	errExRule       = errors.New("vcal: EXRULE is not supported")
	errUnknownState = errors.New("vcal: unknown participation status")
)

// compInfo is one normalized VEVENT or VTODO.
type compInfo struct {
	kind        string
	uid         string
	seq         int
	stamp       time.Time
	hasRecurID  bool
	recurID     time.Time // UTC
	recurTV     timeVal   // RECURRENCE-ID as written
	future      bool      // RANGE=THISANDFUTURE
	hasStart    bool
	start       timeVal
	end         time.Time // UTC
	dur         caltime.Duration
	cancelled   bool
	transparent bool
	organizer   Participant
	attendees   []Participant
	summary     string
	rrules      []string
	rdates      []caltime.Period
	exdates     []time.Time
	comp        *ical.Component
	out         ical.Component // what comp points to, once normalized
}

// handled are the properties normComponent writes itself.
var handled = map[string]bool{
	"UID": true, "SEQUENCE": true, "DTSTAMP": true, "DTSTART": true, "DTEND": true, "DUE": true,
	"DURATION": true, "RECURRENCE-ID": true, "ORGANIZER": true, "ATTENDEE": true, "SUMMARY": true,
	"SUBJECT": true, "STATUS": true, "TRANSP": true, "RRULE": true, "RDATE": true, "EXDATE": true,
	"EXRULE": true, "TZ": true, "DAYLIGHT": true,
}

func firstProp(c *ical.Component, name string) *ical.Prop {
	if ps := c.Props[name]; len(ps) > 0 {
		return &ps[0]
	}
	return nil
}

// normComponent normalizes one VEVENT or VTODO.
func (n *normalizer) normComponent(c *ical.Component) (*compInfo, error) {
	ci := &compInfo{kind: c.Name}
	out := &ci.out // one allocation for both
	out.Name = c.Name
	ci.comp = out
	// The properties are gathered in one array, then grouped by name
	// (groupSorted) into out.Props.
	count := 0
	for _, ps := range c.Props {
		count += len(ps)
	}
	outProps := make([]ical.Prop, 0, count+4)
	set := func(p ical.Prop) { outProps = append(outProps, p) }
	simple := func(name, value string) ical.Prop {
		return ical.Prop{Name: name, Params: ical.Params{}, Value: value}
	}

	// UID
	if p := firstProp(c, "UID"); p != nil {
		ci.uid = strings.TrimSpace(breakNewlines(p.Value))
	}
	if ci.uid == "" {
		return nil, &MissingError{Prop: "UID"}
	}
	set(ical.Prop{Name: "UID", Params: sanitizeParams(c.Props["UID"][0].Params), Value: ci.uid})

	// SEQUENCE
	if p := firstProp(c, "SEQUENCE"); p != nil {
		s, err := parseSequence(p.Value)
		if err != nil {
			return nil, propErr("SEQUENCE", p.Value, err)
		}
		ci.seq = s
	}
	set(simple("SEQUENCE", strconv.Itoa(ci.seq)))

	// DTSTAMP
	ci.stamp = time.Unix(0, 0).UTC()
	stampText := noStampDefault
	if p := firstProp(c, "DTSTAMP"); p != nil {
		cv, err := caltime.ParseDateTime(strings.TrimSpace(p.Value), time.UTC)
		if err != nil {
			return nil, propErr("DTSTAMP", p.Value, err)
		}
		ci.stamp = cv.Time.UTC()
		stampText = ci.stamp.Format(utcLayout)
	}
	set(simple("DTSTAMP", stampText))

	// DTSTART, DTEND, DUE, DURATION
	if err := n.normTimes(c, ci, set); err != nil {
		return nil, err
	}

	// RECURRENCE-ID
	if p := firstProp(c, "RECURRENCE-ID"); p != nil {
		tv, np, err := n.timeProp(p)
		if err != nil {
			return nil, err
		}
		ci.hasRecurID, ci.recurID, ci.recurTV = true, tv.utc(), tv
		ci.future = strings.EqualFold(strings.TrimSpace(p.Params.Get("RANGE")), "THISANDFUTURE")
		set(np)
	}

	// RRULE, RDATE, EXDATE
	if err := n.normRecurrence(c, ci, set); err != nil {
		return nil, err
	}

	// ORGANIZER and ATTENDEE
	if err := n.normParticipants(c, ci, set); err != nil {
		return nil, err
	}

	// SUMMARY (from SUBJECT when absent)
	summary, hasSummary := ical.Prop{}, false
	if p := firstProp(c, "SUMMARY"); p != nil {
		summary, hasSummary = sanitizeProp(p, n.vcal10), true
	} else if p := firstProp(c, "SUBJECT"); p != nil {
		q := *p
		q.Name = "SUMMARY"
		summary, hasSummary = sanitizeProp(&q, n.vcal10), true
	}
	if hasSummary {
		set(summary)
		ci.summary = unescapeText(summary.Value)
	}

	// STATUS and TRANSP
	if p := firstProp(c, "STATUS"); p != nil {
		if st := n.normStatus(c.Name, p.Value); st != "" {
			set(ical.Prop{Name: "STATUS", Params: sanitizeParams(p.Params), Value: st})
			ci.cancelled = st == "CANCELLED"
		}
	}
	if n.method == "CANCEL" {
		ci.cancelled = true
	}
	if p := firstProp(c, "TRANSP"); p != nil {
		tr := upperASCII(strings.TrimSpace(p.Value))
		if n.vcal10 {
			if k, err := strconv.Atoi(tr); err == nil {
				tr = "OPAQUE"
				if k > 0 {
					tr = "TRANSPARENT"
				}
			}
		}
		if tr == "OPAQUE" || tr == "TRANSPARENT" {
			set(ical.Prop{Name: "TRANSP", Params: sanitizeParams(p.Params), Value: tr})
			ci.transparent = tr == "TRANSPARENT"
		}
	}

	// Everything else, as given.
	for name, props := range c.Props {
		if handled[name] {
			continue
		}
		for i := range props {
			set(sanitizeProp(&props[i], n.vcal10))
		}
	}
	out.Props = groupSorted(outProps)
	for _, name := range atMostOnce[c.Name] {
		if ps := out.Props[name]; len(ps) > 1 {
			out.Props[name] = ps[:1]
		}
	}
	for _, sub := range c.Children {
		if sub.Name == ical.CompAlarm {
			out.Children = append(out.Children, sanitizeAlarm(sub, n.vcal10))
		}
	}
	return ci, nil
}

// parseSequence reads a SEQUENCE: digits only, below 2^31 (draft 1.8).
func parseSequence(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 10 {
		return 0, errSequence
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, errSequence
		}
		n = n*10 + int64(v[i]-'0')
	}
	if n > 1<<31-1 {
		return 0, errSequence
	}
	return int(n), nil
}

// normTimes resolves DTSTART and the end (DTEND, DUE or DURATION).
func (n *normalizer) normTimes(c *ical.Component, ci *compInfo, set func(ical.Prop)) error {
	endName := ical.PropDateTimeEnd
	if c.Name == ical.CompToDo {
		endName = ical.PropDue
	}
	var end *timeVal
	if p := firstProp(c, endName); p != nil {
		tv, np, err := n.timeProp(p)
		if err != nil {
			return err
		}
		end = &tv
		set(np)
	}
	if p := firstProp(c, ical.PropDateTimeStart); p != nil {
		tv, err := n.timeValue(p)
		if err != nil {
			return err
		}
		if (tv.fixed || tv.vcal) && len(c.Props[ical.PropRecurrenceRule]) > 0 {
			tv = n.localZone(tv)
		}
		ci.hasStart, ci.start = true, tv
		set(n.timePropOut(p, []timeVal{tv}, []string{tv.format()}))
	} else if c.Name == ical.CompEvent {
		return &MissingError{Prop: "DTSTART"}
	}
	if !ci.hasStart {
		// A VTODO without DTSTART: its DUE, if any, is both start and end.
		if end != nil {
			ci.hasStart, ci.start = true, *end
			ci.end = end.utc()
		}
		return nil
	}
	start := ci.start
	switch {
	case end != nil:
		if end.local.Before(start.local) {
			return propErr(endName, firstProp(c, endName).Value, errEndBeforeStart)
		}
		ci.end = end.utc()
		ci.dur = caltime.DurationBetween(start.local, end.local, start.date && end.date)
	case firstProp(c, ical.PropDuration) != nil:
		p := firstProp(c, ical.PropDuration)
		d, err := parseDurationProp(p)
		if err != nil {
			return err
		}
		ci.dur = d
		ci.end = d.AddTo(start.local).UTC()
		if err := checkRange(ci.end); err != nil {
			return propErr("DURATION", p.Value, err)
		}
		set(ical.Prop{Name: "DURATION", Params: sanitizeParams(p.Params), Value: strings.ToUpper(strings.TrimSpace(p.Value))})
	case start.date:
		ci.dur = caltime.Duration{Days: 1}
		ci.end = start.local.AddDate(0, 0, 1).UTC()
		if err := checkRange(ci.end); err != nil {
			return propErr("DTSTART", firstValue(c, ical.PropDateTimeStart), err)
		}
	default:
		ci.end = start.utc()
	}
	return nil
}

// normStatus maps a component STATUS. vCalendar 1.0 values that are a
// participant's answer rather than the event's state are dropped.
func (n *normalizer) normStatus(kind, v string) string {
	u := upperASCII(strings.TrimSpace(v))
	if !n.vcal10 {
		return u
	}
	u = strings.ReplaceAll(u, " ", "-")
	switch kind {
	case ical.CompEvent:
		switch u {
		case "TENTATIVE", "CONFIRMED", "CANCELLED":
			return u
		}
	case ical.CompToDo:
		switch u {
		case "NEEDS-ACTION", "COMPLETED", "IN-PROCESS", "CANCELLED":
			return u
		}
	}
	return ""
}

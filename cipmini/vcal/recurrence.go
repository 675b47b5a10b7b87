package vcal

import (
	"strings"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/emersion/go-ical"
)

// normRecurrence normalizes RRULE, RDATE and EXDATE.
func (n *normalizer) normRecurrence(c *ical.Component, ci *compInfo, set func(ical.Prop)) error {
	if len(c.Props["EXRULE"]) > 0 {
		return propErr("EXRULE", c.Props["EXRULE"][0].Value, errExRule)
	}
	rr := c.Props[ical.PropRecurrenceRule]
	if len(rr) > 1 {
		return propErr("RRULE", rr[1].Value, errTwoRRules)
	}
	if len(rr) == 1 {
		v := strings.TrimSpace(rr[0].Value)
		if n.vcal10 && isVcal10Rule(v) {
			conv, err := vcal10Rule(v, func(u string) (string, error) {
				tv, err := n.resolveTime(u, "", false)
				if err != nil {
					return "", err
				}
				if ci.start.floating || ci.start.date {
					// UNTIL has the form of DTSTART (RFC 5545 3.3.10).
					if ci.start.date {
						return tv.local.Format(dateLayout), nil
					}
					return tv.local.Format(localLayout), nil
				}
				return tv.local.UTC().Format(utcLayout), nil
			})
			if err != nil {
				return propErr("RRULE", v, err)
			}
			v = conv
		}
		v = breakNewlines(v)
		if err := caltime.ValidateRRule(v); err != nil {
			return propErr("RRULE", v, err)
		}
		ci.rrules = append(ci.rrules, v)
		set(ical.Prop{Name: "RRULE", Params: sanitizeParams(rr[0].Params), Value: v})
	}
	for _, name := range []string{ical.PropRecurrenceDates, ical.PropExceptionDates} {
		for i := range c.Props[name] {
			p := &c.Props[name][i]
			tzid := tzidName(p.Params.Get("TZID"))
			date := strings.EqualFold(strings.TrimSpace(p.Params.Get("VALUE")), "DATE")
			var tvs []timeVal
			var vals []string
			hasPeriod := false
			for _, v := range n.splitValues(p.Value) {
				if name == ical.PropRecurrenceDates && strings.IndexByte(v, '/') > 0 {
					hasPeriod = true
					st, en, endText, err := n.period(v, tzid)
					if err != nil {
						return propErr(name, v, err)
					}
					ci.rdates = append(ci.rdates, caltime.Period{Start: st.local, End: en.local})
					tvs = append(tvs, st)
					vals = append(vals, st.format()+"/"+endText)
					continue
				}
				tv, err := n.resolveTime(v, tzid, date)
				if err != nil {
					return propErr(name, v, err)
				}
				if name == ical.PropRecurrenceDates {
					ci.rdates = append(ci.rdates, caltime.Period{Start: tv.local})
				} else {
					ci.exdates = append(ci.exdates, instanceOf(ci.start, tv).UTC())
				}
				tvs = append(tvs, tv)
				vals = append(vals, tv.format())
			}
			if len(vals) == 0 {
				continue
			}
			if !sameForm(tvs) {
				// Mixed forms cannot share one line's parameters: UTC for all.
				for k := range tvs {
					if !strings.Contains(vals[k], "/") {
						vals[k] = tvs[k].utc().Format(utcLayout)
					}
				}
				np := ical.Prop{Name: name, Params: sanitizeParams(p.Params, "TZID", "VALUE"), Value: strings.Join(vals, ",")}
				if hasPeriod {
					np.Params.Set("VALUE", "PERIOD")
				}
				set(np)
				continue
			}
			np := n.timePropOut(p, tvs, vals)
			if hasPeriod {
				np.Params.Set("VALUE", "PERIOD")
			}
			set(np)
		}
	}
	return nil
}

// sameForm reports whether values share DATE-ness, floating-ness and TZID.
func sameForm(tvs []timeVal) bool {
	for _, tv := range tvs[1:] {
		if tv.date != tvs[0].date || tv.floating != tvs[0].floating || tv.tzid != tvs[0].tzid {
			return false
		}
	}
	return true
}

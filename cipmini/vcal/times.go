package vcal

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/emersion/go-ical"
)

// Formats of normalized date and date-time values.
const (
	dateLayout     = "20060102"
	localLayout    = "20060102T150405"
	utcLayout      = caltime.UTCLayout
	noStampDefault = "19700101T000000Z"
)

// timeVal is one resolved date or date-time value.
type timeVal struct {
	local    time.Time // the instant in the location it is expanded in
	date     bool      // a DATE value
	floating bool      // no zone: a floating time or a DATE
	tzid     string    // the TZID it keeps, for a zoned time
	// fixed is set for a time written with a numeric offset, vcal for a
	// local time read in the vCalendar 1.0 TZ: local is then in that zone,
	// although the value is kept in UTC.
	fixed, vcal bool
}

// localZone moves a recurring DTSTART written with a numeric offset, or in
// a vCalendar 1.0 TZ, into a VTIMEZONE written with the event, so that the
// recurrence repeats its local time and weekday (and follows the DAYLIGHT
// periods) rather than those of UTC. The zone is named "UTC-0500" for an
// offset and "vCalendar+0100" for a vCalendar TZ. If the zone cannot be
// made, or the data has a VTIMEZONE of that name, the time stays in UTC.
func (n *normalizer) localZone(tv timeVal) timeVal {
	var tzid string
	var obs []caltime.Observance
	switch {
	case tv.vcal:
		tzid, obs = vcalObservances(tv.local.Location())
	case tv.fixed:
		_, off := tv.local.Zone()
		if off != 0 {
			offset, ok := formatOffset(off)
			if ok {
				tzid = "UTC" + offset
				obs = []caltime.Observance{{Start: baseOnset, OffsetFrom: offset, OffsetTo: offset, Name: tzid}}
			}
		}
	}
	if tzid == "" {
		return timeVal{local: tv.local.UTC()}
	}
	if !n.synthetic[tzid] {
		if n.zoneComps[tzid] != nil {
			return timeVal{local: tv.local.UTC()}
		}
		if err := n.zones.AddVTimezone(tzid, obs); err != nil {
			return timeVal{local: tv.local.UTC()}
		}
		n.addZoneComp(tzid, timezoneComponent(tzid, obs))
		if n.synthetic == nil {
			n.synthetic = make(map[string]bool)
		}
		n.synthetic[tzid] = true
	}
	loc, err := n.zones.Location(tzid)
	if err != nil {
		return timeVal{local: tv.local.UTC()}
	}
	return timeVal{local: tv.local.In(loc), tzid: tzid}
}

// baseOnset is the DTSTART of the first observance of a made-up VTIMEZONE.
const baseOnset = "16010101T000000"

// formatOffset writes a UTC offset in seconds as "+hhmm"; offsets with
// seconds or of a day or more are refused.
func formatOffset(off int) (string, bool) {
	if off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return "", false
	}
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d%02d", sign, off/3600, off%3600/60), true
}

// vcalObservances describes the location of a vCalendar 1.0 TZ and DAYLIGHT
// (caltime.VCal10Location) as VTIMEZONE observances: a STANDARD base, then
// one observance per transition, found by walking the zone's bounds.
func vcalObservances(loc *time.Location) (string, []caltime.Observance) {
	t := time.Date(1900, 1, 1, 0, 0, 0, 0, loc)
	name, std := t.Zone()
	stdText, ok := formatOffset(std)
	if !ok {
		return "", nil
	}
	obs := []caltime.Observance{{Start: baseOnset, OffsetFrom: stdText, OffsetTo: stdText, Name: name}}
	// One observance per kind of transition, its later onsets as RDATEs.
	type kind struct {
		daylight       bool
		from, to, name string
	}
	index := make(map[kind]int)
	for i := 0; i < 2*maxDaylight+2; i++ {
		_, end := t.ZoneBounds()
		if end.IsZero() {
			return "vCalendar" + stdText, obs
		}
		_, from := t.Zone()
		next := end.In(loc)
		toName, to := next.Zone()
		fromText, ok1 := formatOffset(from)
		toText, ok2 := formatOffset(to)
		if !ok1 || !ok2 {
			return "", nil
		}
		onset := end.In(time.FixedZone("", from)).Format(localLayout)
		key := kind{to != std, fromText, toText, toName}
		if k, ok := index[key]; ok {
			obs[k].RDates = append(obs[k].RDates, onset)
		} else {
			index[key] = len(obs)
			obs = append(obs, caltime.Observance{Daylight: key.daylight, Start: onset,
				OffsetFrom: fromText, OffsetTo: toText, Name: toName})
		}
		t = next
	}
	return "", nil
}

// maxDaylight bounds the DAYLIGHT periods turned into observances.
const maxDaylight = 500

// timezoneComponent builds the VTIMEZONE for made-up observances.
func timezoneComponent(tzid string, obs []caltime.Observance) *ical.Component {
	z := ical.NewComponent(ical.CompTimezone)
	z.Props.Set(&ical.Prop{Name: ical.PropTimezoneID, Params: ical.Params{}, Value: tzid})
	for _, o := range obs {
		name := ical.CompTimezoneStandard
		if o.Daylight {
			name = ical.CompTimezoneDaylight
		}
		sub := ical.NewComponent(name)
		for _, kv := range [][2]string{{ical.PropDateTimeStart, o.Start}, {ical.PropTimezoneOffsetFrom, o.OffsetFrom},
			{ical.PropTimezoneOffsetTo, o.OffsetTo}, {ical.PropTimezoneName, o.Name}} {
			if kv[1] != "" {
				sub.Props.Set(&ical.Prop{Name: kv[0], Params: ical.Params{}, Value: kv[1]})
			}
		}
		if len(o.RDates) > 0 {
			sub.Props.Set(&ical.Prop{Name: ical.PropRecurrenceDates, Params: ical.Params{}, Value: strings.Join(o.RDates, ",")})
		}
		z.Children = append(z.Children, sub)
	}
	return z
}

// utc returns the instant in UTC.
func (v timeVal) utc() time.Time { return v.local.UTC() }

// format returns the normalized value: DATE, floating local time, local time
// with TZID, or UTC.
func (v timeVal) format() string {
	switch {
	case v.date:
		return v.local.Format(dateLayout)
	case v.floating, v.tzid != "":
		return v.local.Format(localLayout)
	}
	return v.local.UTC().Format(utcLayout)
}

var errEndBeforeStart = errors.New("vcal: ends before it starts")

// resolveTime parses one date or date-time value. A TZID resolves through
// the data's VTIMEZONEs (then IANA and Windows names); a floating time takes
// the vCalendar 1.0 TZ location when the calendar has one, else
// Limits.Floating. Offset forms ("19961231T2000-0500") and vCalendar 1.0
// local times are kept as UTC.
func (n *normalizer) resolveTime(v, tzid string, date bool) (timeVal, error) {
	tv, err := n.resolveTime1(v, tzid, date)
	if err == nil {
		err = checkRange(tv.local)
	}
	return tv, err
}

var errOutOfRange = errors.New("vcal: time outside the years 1 to 9999 in UTC")

// checkRange refuses instants that could not be written back in UTC.
func checkRange(t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return errOutOfRange
	}
	return nil
}

func (n *normalizer) resolveTime1(v, tzid string, date bool) (timeVal, error) {
	v = strings.TrimSpace(v)
	if date || isDateOnly(v) {
		cv, err := caltime.ParseDate(v)
		if err != nil {
			return timeVal{}, err
		}
		y, m, d := cv.Time.Date()
		return timeVal{local: time.Date(y, m, d, 0, 0, 0, 0, n.lim.Floating), date: true, floating: true}, nil
	}
	var cv caltime.Value
	var err error
	switch {
	case tzid != "":
		if err := n.ensureZone(tzid); err != nil {
			return timeVal{}, err
		}
		cv, err = caltime.ParseDateTimeIn(v, tzid, &n.zones)
	case n.vcalLoc != nil:
		cv, err = caltime.ParseDateTime(v, n.vcalLoc)
	default:
		cv, err = caltime.ParseDateTime(v, n.lim.Floating)
	}
	if err != nil {
		return timeVal{}, err
	}
	switch cv.Kind {
	case caltime.Date:
		y, m, d := cv.Time.Date()
		return timeVal{local: time.Date(y, m, d, 0, 0, 0, 0, n.lim.Floating), date: true, floating: true}, nil
	case caltime.Floating:
		if n.vcalLoc != nil && tzid == "" {
			return timeVal{local: cv.Time, vcal: true}, nil
		}
		return timeVal{local: cv.Time, floating: true}, nil
	case caltime.Zoned:
		return timeVal{local: cv.Time, tzid: tzid}, nil
	case caltime.Offset:
		return timeVal{local: cv.Time, fixed: true}, nil
	}
	return timeVal{local: cv.Time.UTC()}, nil
}

func isDateOnly(v string) bool {
	if len(v) != 8 {
		return false
	}
	for i := 0; i < 8; i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// timeProp resolves a single-valued date or date-time property and returns
// its normalized form.
func (n *normalizer) timeProp(p *ical.Prop) (timeVal, ical.Prop, error) {
	tv, err := n.timeValue(p)
	if err != nil {
		return timeVal{}, ical.Prop{}, err
	}
	return tv, n.timePropOut(p, []timeVal{tv}, []string{tv.format()}), nil
}

// timeValue is timeProp for a caller that needs only the value: it marks
// the value's zone used, as timeProp does, but builds no property.
func (n *normalizer) timeValue(p *ical.Prop) (timeVal, error) {
	tzid := tzidName(p.Params.Get("TZID"))
	date := strings.EqualFold(strings.TrimSpace(p.Params.Get("VALUE")), "DATE")
	tv, err := n.resolveTime(p.Value, tzid, date)
	if err != nil {
		return timeVal{}, propErr(p.Name, p.Value, err)
	}
	if tv.tzid != "" {
		n.useZone(tv.tzid)
	}
	return tv, nil
}

// timePropOut builds the normalized property for values of one kind.
func (n *normalizer) timePropOut(p *ical.Prop, tvs []timeVal, values []string) ical.Prop {
	out := ical.Prop{Name: p.Name, Params: sanitizeParams(p.Params, "TZID", "VALUE"), Value: strings.Join(values, ",")}
	if len(tvs) > 0 {
		tv := tvs[0]
		if tv.tzid != "" {
			out.Params.Set("TZID", tv.tzid)
			n.useZone(tv.tzid)
		}
		if tv.date {
			out.Params.Set("VALUE", "DATE")
		}
	}
	return out
}

// splitValues splits a multi-valued property (RDATE, EXDATE, FREEBUSY): ','
// in iCalendar, also ';' in vCalendar 1.0.
func (n *normalizer) splitValues(v string) []string {
	f := func(r rune) bool { return r == ',' || n.vcal10 && r == ';' }
	parts := strings.FieldsFunc(v, f)
	out := parts[:0]
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// period resolves "start/end" or "start/duration".
func (n *normalizer) period(v, tzid string) (start, end timeVal, endText string, err error) {
	i := strings.IndexByte(v, '/')
	start, err = n.resolveTime(v[:i], tzid, false)
	if err != nil {
		return
	}
	rest := strings.TrimSpace(v[i+1:])
	if isDuration(rest) {
		d, derr := caltime.ParseDuration(rest)
		if derr != nil {
			err = derr
			return
		}
		if d.Neg {
			err = errEndBeforeStart
			return
		}
		end = start
		end.local = d.AddTo(start.local)
		endText = rest
		err = checkRange(end.local)
		return
	}
	end, err = n.resolveTime(rest, tzid, false)
	if err == nil && end.local.Before(start.local) {
		err = errEndBeforeStart
	}
	endText = end.format()
	return
}

func isDuration(s string) bool {
	return strings.HasPrefix(s, "P") || strings.HasPrefix(s, "+P") || strings.HasPrefix(s, "-P") ||
		strings.HasPrefix(s, "p") || strings.HasPrefix(s, "+p") || strings.HasPrefix(s, "-p")
}

// parseDurationProp reads a non-negative DURATION property.
func parseDurationProp(p *ical.Prop) (caltime.Duration, error) {
	d, err := caltime.ParseDuration(strings.TrimSpace(p.Value))
	if err != nil {
		return d, propErr(p.Name, p.Value, err)
	}
	if d.Neg {
		return d, propErr(p.Name, p.Value, errNegDuration)
	}
	return d, nil
}

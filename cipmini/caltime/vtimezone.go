package caltime

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Observance is one STANDARD or DAYLIGHT sub-component of a VTIMEZONE,
// with its property values as written.
type Observance struct {
	// Daylight is set for a DAYLIGHT sub-component.
	Daylight bool
	// Start is the DTSTART value: the local time of the first onset,
	// read with OffsetFrom.
	Start string
	// OffsetFrom and OffsetTo are TZOFFSETFROM and TZOFFSETTO ("+0100").
	OffsetFrom, OffsetTo string
	// RRule is the RRULE value, or empty.
	RRule string
	// RDates are the RDATE values (local times; a value may hold a
	// comma-separated list).
	RDates []string
	// Name is the TZNAME value, or empty.
	Name string
}

const (
	maxObservances      = 64
	maxObservanceRDates = 1000
	// Rule-based onsets are listed from firstListedYear; the state before
	// that year comes from the last onset before it.
	firstListedYear = 1900
	// lastListedYear ends the listed onsets when no POSIX footer can
	// continue the zone.
	lastListedYear = 2200
)

// observance is a parsed Observance.
type observance struct {
	from, to  int
	start     int64 // civil seconds, or Unix seconds when startUnix
	startUnix bool
	rule      *rule
	typ       zoneType
	src       *Observance
}

// onset returns the instant of the civil time cs as an onset of o.
func (o *observance) onset(cs int64) int64 { return cs - int64(o.from) }

func (o *observance) startYear() int {
	y, _, _ := civilFromDays(floorDiv(o.start, secondsPerDay))
	return y
}

// final reports whether o repeats for ever.
func (o *observance) final() bool {
	return o.rule != nil && o.rule.count == 0 && o.rule.untilKind == untilNone
}

var vtimezoneCache = struct {
	sync.Mutex
	m map[string]*time.Location
}{m: make(map[string]*time.Location)}

const maxVTimezoneCache = 128

// vtimezoneLocation builds the location a VTIMEZONE describes, caching
// the result by content.
func vtimezoneLocation(name string, sub []Observance) (*time.Location, error) {
	if len(sub) == 0 {
		return nil, errors.New("no STANDARD or DAYLIGHT")
	}
	if len(sub) > maxObservances {
		return nil, fmt.Errorf("more than %d observances", maxObservances)
	}
	key := vtimezoneKey(name, sub)
	vtimezoneCache.Lock()
	loc, ok := vtimezoneCache.m[key]
	vtimezoneCache.Unlock()
	if ok {
		return loc, nil
	}
	obs := make([]observance, len(sub))
	for i := range sub {
		if err := parseObservance(&sub[i], &obs[i]); err != nil {
			return nil, err
		}
	}
	trans, footer, err := observanceTransitions(obs)
	if err != nil {
		return nil, err
	}
	loc, err = buildLocation(name, initialType(obs, trans), trans, footer)
	if err != nil {
		return nil, err
	}
	vtimezoneCache.Lock()
	if len(vtimezoneCache.m) >= maxVTimezoneCache {
		clear(vtimezoneCache.m)
	}
	vtimezoneCache.m[key] = loc
	vtimezoneCache.Unlock()
	return loc, nil
}

// vtimezoneKey identifies a VTIMEZONE's content for the cache.
func vtimezoneKey(name string, sub []Observance) string {
	var b strings.Builder
	b.WriteString(name)
	for _, o := range sub {
		b.WriteByte(0)
		if o.Daylight {
			b.WriteByte('D')
		}
		for _, f := range []string{o.Start, o.OffsetFrom, o.OffsetTo, o.RRule, o.Name} {
			b.WriteByte(1)
			b.WriteString(f)
		}
		for _, r := range o.RDates {
			b.WriteByte(2)
			b.WriteString(r)
		}
	}
	return b.String()
}

func parseObservance(src *Observance, o *observance) error {
	kind := "STANDARD"
	if src.Daylight {
		kind = "DAYLIGHT"
	}
	var err error
	if o.from, err = parseOffset(trimSpace(src.OffsetFrom)); err != nil {
		return fmt.Errorf("%s: bad TZOFFSETFROM %s", kind, quote(src.OffsetFrom))
	}
	if o.to, err = parseOffset(trimSpace(src.OffsetTo)); err != nil {
		return fmt.Errorf("%s: bad TZOFFSETTO %s", kind, quote(src.OffsetTo))
	}
	f, err := lexDateTime(trimSpace(src.Start))
	if err != nil {
		return fmt.Errorf("%s: bad DTSTART %s", kind, quote(src.Start))
	}
	o.start = f.civil()
	if f.zone != zoneNone { // should be local; a UTC value is taken as the instant
		o.start, o.startUnix = f.civil()-int64(f.offset), true
	}
	if trimSpace(src.RRule) != "" {
		if o.rule, err = parseRule(src.RRule); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	if len(src.RDates) > maxObservanceRDates {
		return fmt.Errorf("%s: more than %d RDATEs", kind, maxObservanceRDates)
	}
	o.typ = zoneType{offset: o.to, dst: src.Daylight, abbr: abbreviation(src.Name, o.to)}
	o.src = src
	return nil
}

// observanceTransitions lists the onsets of all observances, sorted, and
// the POSIX footer that continues the zone after them (or "").
func observanceTransitions(obs []observance) ([]zoneTransition, string, error) {
	var trans []zoneTransition
	add := func(when int64, o *observance) error {
		if len(trans) >= maxTransitions {
			return errTooManyTransitions
		}
		trans = append(trans, zoneTransition{when: when, typ: o.typ})
		return nil
	}
	footer, finalA, finalB := posixFooter(obs)
	// Everything but the observances the footer continues, up to the end.
	lastYear := 0
	for i := range obs {
		o := &obs[i]
		first := o.start
		if !o.startUnix {
			first = o.onset(o.start)
		}
		if err := add(first, o); err != nil {
			return nil, "", err
		}
		lastYear = max(lastYear, yearOfUnix(first))
		for _, list := range o.src.RDates {
			for item := range strings.SplitSeq(list, ",") {
				item, _, _ = strings.Cut(trimSpace(item), "/")
				f, err := lexDateTime(item)
				if err != nil {
					return nil, "", fmt.Errorf("bad RDATE %s", quote(item))
				}
				when := o.onset(f.civil())
				if f.zone != zoneNone {
					when = f.civil() - int64(f.offset)
				}
				if err := add(when, o); err != nil {
					return nil, "", err
				}
				lastYear = max(lastYear, yearOfUnix(when))
			}
		}
		if o.rule == nil || i == finalA || i == finalB {
			continue
		}
		n := len(trans)
		if err := expandOnsets(o, lastListedYear, add); err != nil {
			return nil, "", err
		}
		if len(trans) > n {
			lastYear = max(lastYear, yearOfUnix(trans[len(trans)-1].when))
		}
	}
	end := lastListedYear
	if footer != "" {
		end = max(lastYear, obs[finalA].startYear(), obs[finalB].startYear(), firstListedYear) + 1
		for _, i := range []int{finalA, finalB} {
			if err := expandOnsets(&obs[i], end, add); err != nil {
				return nil, "", err
			}
		}
	}
	slices.SortStableFunc(trans, func(a, b zoneTransition) int {
		switch {
		case a.when < b.when:
			return -1
		case a.when > b.when:
			return 1
		}
		return 0
	})
	return compactTransitions(trans), footer, nil
}

// expandOnsets adds the onsets of o's rule from the year before
// firstListedYear (or its DTSTART) through the year last.
func expandOnsets(o *observance, last int, add func(int64, *observance) error) error {
	if o.startUnix {
		return errors.New("an observance with a UTC DTSTART cannot repeat")
	}
	from := max(o.startYear(), firstListedYear-1)
	var addErr error
	work := int64(expansionWork)
	e := expansion{
		r:      o.rule,
		start:  o.start,
		toUnix: o.onset,
		lo:     daysFromCivil(from, 1, 1) * secondsPerDay,
		hi:     daysFromCivil(last+1, 1, 1) * secondsPerDay,
		work:   &work,
		emit: func(cs int64) bool {
			addErr = add(o.onset(cs), o)
			return addErr == nil
		},
	}
	if err := e.run(); err != nil {
		return err
	}
	return addErr
}

// compactTransitions drops the onsets before the last one preceding
// firstListedYear (older history is not listed) and, of onsets at the same
// instant, keeps the last.
func compactTransitions(trans []zoneTransition) []zoneTransition {
	cut := daysFromCivil(firstListedYear, 1, 1) * secondsPerDay
	first := 0
	for i, t := range trans {
		if t.when < cut {
			first = i
		}
	}
	out := trans[:0]
	for _, t := range trans[first:] {
		if len(out) > 0 && out[len(out)-1].when == t.when {
			out[len(out)-1] = t
			continue
		}
		out = append(out, t)
	}
	return out
}

// initialType returns the local time type before the first transition: the
// offset the first onset comes from, named after an observance with that
// offset when there is one.
func initialType(obs []observance, trans []zoneTransition) zoneType {
	if len(trans) == 0 {
		return obs[0].typ
	}
	from := 0
	for i := range obs {
		if obs[i].typ == trans[0].typ {
			from = obs[i].from
			break
		}
	}
	t := zoneType{offset: from, abbr: formatOffset(from)}
	for i := range obs {
		if obs[i].to == from && (t.abbr == formatOffset(from) || !obs[i].src.Daylight) {
			t = obs[i].typ
		}
	}
	return t
}

// posixFooter returns the POSIX TZ string of a zone whose last rules are
// one STANDARD and one DAYLIGHT observance repeating yearly in a way POSIX
// can express, and the indexes of those two; otherwise "", -1, -1.
func posixFooter(obs []observance) (string, int, int) {
	std, dst := -1, -1
	for i := range obs {
		if !obs[i].final() {
			continue
		}
		switch {
		case obs[i].src.Daylight && dst < 0:
			dst = i
		case !obs[i].src.Daylight && std < 0:
			std = i
		default:
			return "", -1, -1
		}
	}
	if std < 0 || dst < 0 {
		return "", -1, -1
	}
	s, d := &obs[std], &obs[dst]
	if s.startUnix || d.startUnix || s.from != d.to || d.from != s.to {
		return "", -1, -1
	}
	sRule, ok1 := posixRule(s.rule, monthOf(s.start), dayOf(s.start))
	dRule, ok2 := posixRule(d.rule, monthOf(d.start), dayOf(d.start))
	if !ok1 || !ok2 {
		return "", -1, -1
	}
	footer := "<" + s.typ.abbr + ">" + posixOffset(s.to) + "<" + d.typ.abbr + ">" + posixOffset(d.to) +
		"," + dRule + "/" + posixTime(int(floorMod(d.start, secondsPerDay))) +
		"," + sRule + "/" + posixTime(int(floorMod(s.start, secondsPerDay)))
	return footer, std, dst
}

func monthOf(cs int64) int {
	_, m, _ := civilFromDays(floorDiv(cs, secondsPerDay))
	return m
}

func dayOf(cs int64) int {
	_, _, d := civilFromDays(floorDiv(cs, secondsPerDay))
	return d
}

func yearOfUnix(u int64) int {
	y, _, _ := civilFromDays(floorDiv(u, secondsPerDay))
	return y
}

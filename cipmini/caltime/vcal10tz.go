package caltime

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxDaylightRules bounds the DAYLIGHT properties VCal10Location accepts.
const maxDaylightRules = 500

var vcal10Cache = struct {
	sync.Mutex
	m map[string]*time.Location
}{m: make(map[string]*time.Location)}

// VCal10Location returns the location that the vCalendar 1.0 global
// properties TZ and DAYLIGHT describe. tz is the standard offset ("+01",
// "-0500", "-08:00"). Each daylight value is one DAYLIGHT property, such as
// "TRUE;+02;20070325T010000Z;20071028T010000Z;CET;CEST": the offset during
// daylight saving time, its start and end (local times are read with the
// standard offset for the start and the daylight offset for the end), and
// the standard and daylight names. "FALSE" values are ignored. Periods may
// not overlap. Results are cached by content; it is safe for concurrent use.
func VCal10Location(tz string, daylight []string) (*time.Location, error) {
	std, err := parseOffset(trimSpace(tz))
	if err != nil {
		return nil, fmt.Errorf("caltime: bad vCalendar TZ %s", quote(tz))
	}
	if len(daylight) > maxDaylightRules {
		return nil, fmt.Errorf("caltime: more than %d vCalendar DAYLIGHT properties", maxDaylightRules)
	}
	key := trimSpace(tz) + "\x00" + strings.Join(daylight, "\x00")
	vcal10Cache.Lock()
	loc, ok := vcal10Cache.m[key]
	vcal10Cache.Unlock()
	if ok {
		return loc, nil
	}
	type period struct {
		start, end int64
		dst        zoneType
		stdName    string
	}
	var periods []period
	for _, d := range daylight {
		fields := strings.Split(d, ";")
		for i := range fields {
			fields[i] = trimSpace(fields[i])
		}
		switch {
		case strings.EqualFold(fields[0], "FALSE"):
			continue
		case !strings.EqualFold(fields[0], "TRUE") || len(fields) < 4:
			return nil, fmt.Errorf("caltime: bad vCalendar DAYLIGHT %s", quote(d))
		}
		off, err := parseOffset(fields[1])
		if err != nil {
			return nil, fmt.Errorf("caltime: bad vCalendar DAYLIGHT offset %s", quote(fields[1]))
		}
		start, err1 := vcal10Instant(fields[2], std)
		end, err2 := vcal10Instant(fields[3], off)
		if err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("caltime: bad vCalendar DAYLIGHT period %s", quote(d))
		}
		p := period{start: start, end: end, dst: zoneType{offset: off, dst: true}}
		var names [2]string
		copy(names[:], fields[4:])
		p.stdName, p.dst.abbr = names[0], abbreviation(names[1], off)
		periods = append(periods, p)
	}
	slices.SortFunc(periods, func(a, b period) int {
		if a.start < b.start {
			return -1
		}
		if a.start > b.start {
			return 1
		}
		return 0
	})
	stdName := ""
	trans := make([]zoneTransition, 0, 2*len(periods))
	for i, p := range periods {
		if i > 0 && p.start < periods[i-1].end {
			return nil, fmt.Errorf("caltime: overlapping vCalendar DAYLIGHT periods")
		}
		if stdName == "" {
			stdName = p.stdName
		}
	}
	stdType := zoneType{offset: std, abbr: abbreviation(stdName, std)}
	for _, p := range periods {
		trans = append(trans, zoneTransition{when: p.start, typ: p.dst}, zoneTransition{when: p.end, typ: stdType})
	}
	loc, err = buildLocation("UTC"+formatOffset(std), stdType, trans, "")
	if err != nil {
		return nil, fmt.Errorf("caltime: vCalendar time zone: %w", err)
	}
	vcal10Cache.Lock()
	if len(vcal10Cache.m) >= maxVTimezoneCache {
		clear(vcal10Cache.m)
	}
	vcal10Cache.m[key] = loc
	vcal10Cache.Unlock()
	return loc, nil
}

// vcal10Instant reads a DAYLIGHT start or end: a UTC or offset time as is,
// a local time with the offset off.
func vcal10Instant(s string, off int) (int64, error) {
	f, err := lexDateTime(s)
	if err != nil {
		return 0, err
	}
	if f.zone != zoneNone {
		return f.civil() - int64(f.offset), nil
	}
	return f.civil() - int64(off), nil
}

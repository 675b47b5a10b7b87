package caltime

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	// The tz database is embedded so that a device without
	// /usr/share/zoneinfo still resolves IANA names.
	_ "time/tzdata"
)

// maxTZIDLen bounds the TZIDs this package looks up.
const maxTZIDLen = 256

// Zones resolves the TZIDs of one calendar object to locations. The zero
// value is ready to use; a nil *Zones resolves only IANA and Windows names.
// A Zones is safe for concurrent use.
type Zones struct {
	mu      sync.Mutex
	defined map[string]*time.Location // TZID of a VTIMEZONE -> its location
}

// NewZones returns an empty Zones.
func NewZones() *Zones { return &Zones{} }

// AddVTimezone defines tzid by the STANDARD and DAYLIGHT sub-components of
// a VTIMEZONE. The observances' onsets (DTSTART, RRULE, RDATE) become the
// transitions of a real *time.Location, so every later computation in that
// zone follows these rules, even where they differ from the IANA zone of
// the same name. Onsets are listed from 1900; yearly rules that a POSIX TZ
// string can express continue for ever, others are listed through 2200.
// Locations are cached by content across Zones values. A later definition
// of the same TZID replaces an earlier one.
func (z *Zones) AddVTimezone(tzid string, sub []Observance) error {
	name := normalizeTZID(tzid)
	if name == "" {
		return errors.New("caltime: VTIMEZONE without TZID")
	}
	if len(name) > maxTZIDLen {
		return fmt.Errorf("caltime: VTIMEZONE TZID longer than %d bytes", maxTZIDLen)
	}
	loc, err := vtimezoneLocation(name, sub)
	if err != nil {
		return fmt.Errorf("caltime: VTIMEZONE %s: %w", quote(name), err)
	}
	z.mu.Lock()
	if z.defined == nil {
		z.defined = make(map[string]*time.Location)
	}
	z.defined[name] = loc
	z.mu.Unlock()
	return nil
}

// Location returns the location of tzid: the VTIMEZONE added under that
// TZID (compared exactly, then ignoring case), else the IANA zone of that
// name (also the last part of a prefixed TZID such as
// "/mozilla.org/20050126_1/Europe/Berlin"), else the Windows zone of that
// name ("W. Europe Standard Time"). Surrounding quotes are removed. An
// unknown TZID is an error wrapping ErrUnknownTZID.
func (z *Zones) Location(tzid string) (*time.Location, error) {
	name := normalizeTZID(tzid)
	if z != nil {
		z.mu.Lock()
		loc, ok := z.defined[name]
		if !ok {
			for k, v := range z.defined {
				if strings.EqualFold(k, name) {
					loc, ok = v, true
					break
				}
			}
		}
		z.mu.Unlock()
		if ok {
			return loc, nil
		}
	}
	return LoadZone(name)
}

// normalizeTZID removes spaces and surrounding double quotes.
func normalizeTZID(s string) string {
	s = trimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = trimSpace(s[1 : len(s)-1])
	}
	return s
}

var zoneCache = struct {
	sync.Mutex
	m map[string]*time.Location // nil value: known to be unknown
}{m: make(map[string]*time.Location)}

const maxZoneCache = 512

// LoadZone returns the location of a TZID without any VTIMEZONE: an IANA
// name, the IANA name ending a prefixed TZID ("/mozilla.org/.../Europe/
// Berlin"), or a Windows zone name. Results are cached. It is safe for
// concurrent use.
func LoadZone(tzid string) (*time.Location, error) {
	name := normalizeTZID(tzid)
	if name == "" || len(name) > maxTZIDLen {
		return nil, fmt.Errorf("%w %s", ErrUnknownTZID, quote(name))
	}
	zoneCache.Lock()
	loc, ok := zoneCache.m[name]
	zoneCache.Unlock()
	if !ok {
		loc = resolveZone(name)
		zoneCache.Lock()
		if len(zoneCache.m) < maxZoneCache {
			zoneCache.m[name] = loc
		}
		zoneCache.Unlock()
	}
	if loc == nil {
		return nil, fmt.Errorf("%w %s", ErrUnknownTZID, quote(name))
	}
	return loc, nil
}

// resolveZone looks name up as an IANA zone, then as a Windows zone.
func resolveZone(name string) *time.Location {
	for _, c := range ianaCandidates(name) {
		if loc := loadIANA(c); loc != nil {
			return loc
		}
	}
	if iana, ok := windowsZone(name); ok {
		return loadIANA(iana)
	}
	return nil
}

// ianaCandidates returns the IANA names a TZID may stand for: the name
// itself, or for a TZID with a leading "/" (a vendor prefix) its last
// three, two and one parts.
func ianaCandidates(name string) []string {
	if !strings.HasPrefix(name, "/") {
		return []string{name}
	}
	parts := strings.Split(strings.Trim(name, "/"), "/")
	var out []string
	for n := 3; n >= 1; n-- {
		if len(parts) >= n {
			out = append(out, strings.Join(parts[len(parts)-n:], "/"))
		}
	}
	return out
}

// loadIANA loads an IANA zone; "Local" and names that cannot be zone
// names are refused.
func loadIANA(name string) *time.Location {
	if name == "" || name == "Local" || strings.ContainsAny(name, " \\\x00") {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

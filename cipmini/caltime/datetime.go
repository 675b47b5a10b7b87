package caltime

import (
	"errors"
	"fmt"
	"time"
)

// Kind says how a date or date-time value was written, and therefore how
// its instant was found.
type Kind uint8

const (
	// Date is a DATE value (all day): the instant is midnight in the
	// location the caller chose.
	Date Kind = iota + 1
	// Floating is a local time without zone, read in the caller's location.
	Floating
	// UTC is a time ending in "Z".
	UTC
	// Offset is a time with a numeric UTC offset such as "-0500".
	Offset
	// Zoned is a local time with a TZID parameter.
	Zoned
)

// String returns the name of the kind ("date", "floating", "utc", "offset",
// "zoned").
func (k Kind) String() string {
	switch k {
	case Date:
		return "date"
	case Floating:
		return "floating"
	case UTC:
		return "utc"
	case Offset:
		return "offset"
	case Zoned:
		return "zoned"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Value is a parsed date or date-time.
type Value struct {
	// Time is the instant, in its location: UTC for UTC, a fixed zone for
	// Offset, the zone's location for Zoned, and the caller's location
	// for Date and Floating.
	Time time.Time
	// Kind says how the value was written.
	Kind Kind
	// Raw is the value as given, without surrounding spaces.
	Raw string
}

// UTC returns the instant in UTC.
func (v Value) UTC() time.Time { return v.Time.UTC() }

// zoneKind is the zone suffix found by the lexer.
type zoneKind uint8

const (
	zoneNone zoneKind = iota
	zoneUTC
	zoneOffset
)

// dateTimeFields is a lexed date or date-time, its ranges checked.
type dateTimeFields struct {
	year, month, day     int
	hour, minute, second int
	hasTime              bool
	zone                 zoneKind
	offset               int // seconds east of UTC, for zoneOffset
}

func (f *dateTimeFields) civil() int64 {
	return civilSeconds(f.year, f.month, f.day, f.hour, f.minute, f.second)
}

// maxDateTimeLen bounds the input so that errors stay short.
const maxDateTimeLen = 64

var (
	errSyntax = errors.New("syntax")
	errRange  = errors.New("out of range")
)

// lexDateTime reads the forms "YYYYMMDD", "YYYYMMDDTHHMM[SS]" and
// "YYYY-MM-DD[THH:MM[:SS[.fff]]]", each time optionally followed by "Z" or a
// numeric offset. The letters may be lower case.
func lexDateTime(s string) (dateTimeFields, error) {
	var f dateTimeFields
	if len(s) > maxDateTimeLen {
		return f, errSyntax
	}
	extended := len(s) >= 5 && s[4] == '-'
	var rest string
	if extended {
		if len(s) < 10 || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:10]) {
			return f, errSyntax
		}
		f.year, f.month, f.day = atoi(s[:4]), atoi(s[5:7]), atoi(s[8:10])
		rest = s[10:]
	} else {
		if len(s) < 8 || !digits(s[:8]) {
			return f, errSyntax
		}
		f.year, f.month, f.day = atoi(s[:4]), atoi(s[4:6]), atoi(s[6:8])
		rest = s[8:]
	}
	if f.year < minYear || f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth(f.year, f.month) {
		return f, errRange
	}
	if rest == "" {
		return f, nil
	}
	if rest[0] != 'T' && rest[0] != 't' && !(extended && rest[0] == ' ') {
		return f, errSyntax
	}
	rest = rest[1:]
	f.hasTime = true
	var err error
	if extended {
		rest, err = lexExtendedTime(&f, rest)
	} else {
		rest, err = lexBasicTime(&f, rest)
	}
	if err != nil {
		return f, err
	}
	if f.hour > 23 || f.minute > 59 || f.second > 60 {
		return f, errRange
	}
	if f.second == 60 { // a leap second: Go has none
		f.second = 59
	}
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
		f.zone = zoneUTC
	default:
		off, err := parseOffset(rest)
		if err != nil {
			return f, errSyntax
		}
		f.zone, f.offset = zoneOffset, off
	}
	return f, nil
}

// lexBasicTime reads "HHMM" or "HHMMSS".
func lexBasicTime(f *dateTimeFields, s string) (string, error) {
	n := 0
	for n < len(s) && n < 6 && isDigit(s[n]) {
		n++
	}
	switch n {
	case 4:
		f.hour, f.minute = atoi(s[:2]), atoi(s[2:4])
	case 6:
		f.hour, f.minute, f.second = atoi(s[:2]), atoi(s[2:4]), atoi(s[4:6])
	default:
		return s, errSyntax
	}
	return s[n:], nil
}

// lexExtendedTime reads "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff" (the
// fraction is dropped).
func lexExtendedTime(f *dateTimeFields, s string) (string, error) {
	if len(s) < 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:5]) {
		return s, errSyntax
	}
	f.hour, f.minute = atoi(s[:2]), atoi(s[3:5])
	s = s[5:]
	if len(s) > 0 && s[0] == ':' {
		if len(s) < 3 || !digits(s[1:3]) {
			return s, errSyntax
		}
		f.second = atoi(s[1:3])
		s = s[3:]
		if len(s) > 0 && (s[0] == '.' || s[0] == ',') {
			n := 1
			for n < len(s) && isDigit(s[n]) {
				n++
			}
			if n == 1 {
				return s, errSyntax
			}
			s = s[n:]
		}
	}
	return s, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// atoi converts a short run of ASCII digits already checked by digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// parseError builds the error for a value that cannot be read.
func parseError(what, raw string, err error) error {
	if errors.Is(err, errRange) {
		return fmt.Errorf("caltime: %s %s out of range", what, quote(raw))
	}
	return fmt.Errorf("caltime: bad %s %s", what, quote(raw))
}

// ParseDateTime parses a DATE or DATE-TIME value in any of the forms found
// on the wire: "19961231T2000-0500" (no seconds, numeric offset),
// "19961231T200000-0500", offsets "+0530" and "-05:00", "19961231T200000Z",
// lower-case "t" and "z", "19961231T2000", the floating
// "19970714T133000", the DATE "19970714", and the dashed ISO 8601 form
// "1996-12-31T20:00:00Z". Surrounding spaces are ignored.
//
// A floating time is read in loc, and a DATE is midnight in loc; a nil loc
// means UTC. Ranges are checked strictly: month 13, hour 25 or February 30
// are errors. A leap second (":60") is read as ":59".
func ParseDateTime(s string, loc *time.Location) (Value, error) {
	raw := trimSpace(s)
	f, err := lexDateTime(raw)
	if err != nil {
		return Value{}, parseError("date-time", raw, err)
	}
	return f.value(raw, loc), nil
}

// value builds the Value of checked fields; loc serves floating times.
func (f *dateTimeFields) value(raw string, loc *time.Location) Value {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case !f.hasTime:
		return Value{Time: wallTime(f.civil(), loc), Kind: Date, Raw: raw}
	case f.zone == zoneUTC:
		return Value{Time: time.Unix(f.civil(), 0).UTC(), Kind: UTC, Raw: raw}
	case f.zone == zoneOffset:
		return Value{Time: time.Unix(f.civil()-int64(f.offset), 0).In(fixedZone(f.offset)), Kind: Offset, Raw: raw}
	}
	return Value{Time: wallTime(f.civil(), loc), Kind: Floating, Raw: raw}
}

// ParseDateTimeIn parses s like ParseDateTime and reads a local time in the
// zone tzid, resolved through zones (see Zones.Location; zones may be nil
// to use only IANA and Windows names). The result's Kind is Zoned. An empty
// tzid means no TZID parameter. A value ending in "Z" or carrying a numeric
// offset keeps its own zone, as RFC 5545 requires. A DATE is midnight in
// the zone. An unknown TZID is an error wrapping ErrUnknownTZID.
func ParseDateTimeIn(s, tzid string, zones *Zones) (Value, error) {
	raw := trimSpace(s)
	f, err := lexDateTime(raw)
	if err != nil {
		return Value{}, parseError("date-time", raw, err)
	}
	if normalizeTZID(tzid) == "" || f.zone != zoneNone {
		return f.value(raw, nil), nil
	}
	loc, err := zones.Location(tzid)
	if err != nil {
		return Value{}, err
	}
	v := f.value(raw, loc)
	if f.hasTime {
		v.Kind = Zoned
	}
	return v, nil
}

// ParseDate parses a DATE value ("19970714" or "1997-07-14"), as forced by
// VALUE=DATE. The Time is midnight UTC; use ParseDateIn for another
// location.
func ParseDate(s string) (Value, error) {
	return ParseDateIn(s, nil)
}

// ParseDateIn parses a DATE value like ParseDate; the Time is midnight in
// loc (UTC when loc is nil).
func ParseDateIn(s string, loc *time.Location) (Value, error) {
	raw := trimSpace(s)
	f, err := lexDateTime(raw)
	if err == nil && f.hasTime {
		err = errSyntax
	}
	if err != nil {
		return Value{}, parseError("date", raw, err)
	}
	return f.value(raw, loc), nil
}

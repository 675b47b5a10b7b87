package caltime

import (
	"encoding/binary"
	"errors"
	"time"
)

// zoneType is one local time type of a generated zone.
type zoneType struct {
	offset int // seconds east of UTC
	dst    bool
	abbr   string
}

// zoneTransition switches to a local time type at an instant.
type zoneTransition struct {
	when int64 // Unix seconds
	typ  zoneType
}

// maxTransitions bounds the size of a generated zone.
const maxTransitions = 4096

var errTooManyTransitions = errors.New("too many transitions")

// buildLocation returns a *time.Location named name with the local time
// type initial before the first transition, the given transitions (sorted
// by time), and the POSIX TZ string footer (may be empty) for the time
// after the last transition. It encodes the zone in the TZif version 2
// format (RFC 8536) and loads it with time.LoadLocationFromTZData.
func buildLocation(name string, initial zoneType, trans []zoneTransition, footer string) (*time.Location, error) {
	data, err := encodeTZif(initial, trans, footer)
	if err != nil {
		return nil, err
	}
	return time.LoadLocationFromTZData(name, data)
}

// encodeTZif writes a TZif version 2 file. The version 1 block is minimal
// (no transitions, one type), as RFC 8536 allows for readers of version 2;
// the 64-bit block holds the data. Type 0 is the initial type and no
// transition uses it, so readers apply it to times before the first
// transition.
func encodeTZif(initial zoneType, trans []zoneTransition, footer string) ([]byte, error) {
	if len(trans) > maxTransitions {
		return nil, errTooManyTransitions
	}
	types := []zoneType{initial}
	index := make([]byte, len(trans))
	for i, t := range trans {
		j := 1
		for ; j < len(types); j++ {
			if types[j] == t.typ {
				break
			}
		}
		if j == len(types) {
			if len(types) == 255 {
				return nil, errors.New("too many local time types")
			}
			types = append(types, t.typ)
		}
		index[i] = byte(j)
	}
	var chars []byte
	abbrIndex := make([]byte, len(types))
	for i, t := range types {
		pos := -1
		for j := 0; j+len(t.abbr) < len(chars); j++ {
			if string(chars[j:j+len(t.abbr)]) == t.abbr && chars[j+len(t.abbr)] == 0 {
				pos = j
				break
			}
		}
		if pos < 0 {
			pos = len(chars)
			chars = append(chars, t.abbr...)
			chars = append(chars, 0)
		}
		if pos > 255 {
			return nil, errors.New("time zone abbreviations too long")
		}
		abbrIndex[i] = byte(pos)
	}

	out := make([]byte, 0, 44+6+1+44+len(trans)*9+len(types)*6+len(chars)+len(footer)+2)
	// Version 1 header and block: one type (UTC offset 0, abbreviation "").
	out = tzifHeader(out, 0, 1, 1)
	out = append(out, 0, 0, 0, 0, 0, 0, 0)
	// Version 2 header and 64-bit block.
	out = tzifHeader(out, len(trans), len(types), len(chars))
	for _, t := range trans {
		out = binary.BigEndian.AppendUint64(out, uint64(t.when))
	}
	out = append(out, index...)
	for i, t := range types {
		out = binary.BigEndian.AppendUint32(out, uint32(int32(t.offset)))
		dst := byte(0)
		if t.dst {
			dst = 1
		}
		out = append(out, dst, abbrIndex[i])
	}
	out = append(out, chars...)
	out = append(out, '\n')
	out = append(out, footer...)
	out = append(out, '\n')
	return out, nil
}

// tzifHeader appends a TZif version 2 header with no leap seconds and no
// standard/wall or UT/local indicators.
func tzifHeader(out []byte, timecnt, typecnt, charcnt int) []byte {
	out = append(out, "TZif2"...)
	out = append(out, make([]byte, 15)...)
	for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
		out = binary.BigEndian.AppendUint32(out, uint32(n))
	}
	return out
}

// abbreviation returns a time zone abbreviation usable both in TZif and in
// a POSIX TZ string: the letters, digits, '+' and '-' of name (at most 16),
// or the offset ("+0100") when fewer than three remain.
func abbreviation(name string, offset int) string {
	b := make([]byte, 0, 16)
	for i := 0; i < len(name) && len(b) < 16; i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '+' || c == '-' {
			b = append(b, c)
		}
	}
	if len(b) < 3 {
		return formatOffset(offset)
	}
	return string(b)
}

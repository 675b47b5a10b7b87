package vcal

import (
	"errors"
	"strings"
)

// ErrBadAddress is wrapped in a *PropError for an ORGANIZER or ATTENDEE
// whose value holds no usable address.
var ErrBadAddress = errors.New("vcal: bad calendar address")

// Participant is an organizer or attendee after normalization.
type Participant struct {
	// Address is the user id as NormalizeAddress returns it ("bill@abc.com").
	Address string
	// CN is the display name, from the CN parameter or a "Name <addr>" value.
	CN string
	// PartStat is the answer: NEEDS-ACTION (the default), ACCEPTED, DECLINED,
	// TENTATIVE, DELEGATED, COMPLETED, IN-PROCESS or an X- value. vCalendar
	// 1.0 STATUS values are mapped (CONFIRMED to ACCEPTED, SENT and
	// "NEEDS ACTION" to NEEDS-ACTION).
	PartStat string
	// Role is CHAIR, REQ-PARTICIPANT (the default), OPT-PARTICIPANT,
	// NON-PARTICIPANT or another value as given. vCalendar 1.0 OWNER maps to
	// CHAIR and ATTENDEE to REQ-PARTICIPANT.
	Role string
	// CUType is the CUTYPE parameter in upper case (ROOM, RESOURCE, ...), or
	// "" when absent, which means INDIVIDUAL.
	CUType string
	// RSVP reports RSVP=TRUE (vCalendar 1.0: RSVP=YES).
	RSVP bool
}

// NormalizeAddress returns the user id in a calendar address, for comparing
// addresses as docs/PROTOCOL.md section 8.2 says: the part inside "<...>" when
// there is one, without a "mailto:" prefix, the domain in lower case and ASCII
// letters of the local part in lower case.
// "Pete O'Leary <Poleary@ClearBlue.com>" and "MAILTO:poleary@clearblue.com"
// both give "poleary@clearblue.com". It is safe for concurrent use.
func NormalizeAddress(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
		s = strings.TrimSpace(s)
	}
	for len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = strings.TrimSpace(s[7:])
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return lowerASCII(s)
	}
	local, domain := lowerASCII(s[:at]), strings.ToLower(s[at+1:])
	if local == s[:at] && domain == s[at+1:] {
		return s // already in that form
	}
	return local + "@" + domain
}

// splitNameAddr splits "Name <addr>" into its display name and address.
func splitNameAddr(v string) (name, addr string) {
	i := strings.LastIndexByte(v, '<')
	if i < 0 {
		return "", v
	}
	name = strings.TrimSpace(v[:i])
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = strings.TrimSpace(name[1 : len(name)-1])
	}
	return name, v[i:]
}

// addressValue is the property value for a normalized address: mailto: for
// a user id, the address itself for another URI.
func addressValue(addr string) string {
	if strings.IndexByte(addr, ':') < 0 {
		return "mailto:" + addr
	}
	return addr
}

// addressValueAsIs returns addressValue(addr) for the address read from the
// property value raw when no new string is needed: raw itself, without its
// blanks, when it is already that value, or addr when it is a URI.
func addressValueAsIs(raw, addr string) (string, bool) {
	if strings.IndexByte(addr, ':') >= 0 {
		return addr, true
	}
	raw = strings.TrimSpace(raw)
	if len(raw) == len("mailto:")+len(addr) && strings.HasPrefix(raw, "mailto:") && raw[len("mailto:"):] == addr {
		return raw, true
	}
	return "", false
}

// validAddress reports whether a normalized address is usable: not empty and
// free of blanks and control characters.
func validAddress(addr string) bool {
	if addr == "" {
		return false
	}
	for i := 0; i < len(addr); i++ {
		if c := addr[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' {
			return false
		}
	}
	return true
}

// normalizePartStat maps iCalendar PARTSTAT and vCalendar 1.0 STATUS values
// to iCalendar PARTSTAT. It reports false for an unknown value.
func normalizePartStat(v string) (string, bool) {
	u := upperASCII(strings.TrimSpace(v))
	switch u {
	case "ACCEPTED", "CONFIRMED":
		return "ACCEPTED", true
	case "NEEDS-ACTION", "NEEDS ACTION", "NEEDSACTION", "NEEDS_ACTION", "SENT":
		return "NEEDS-ACTION", true
	case "DECLINED", "TENTATIVE", "DELEGATED", "COMPLETED", "IN-PROCESS":
		return u, true
	case "IN PROCESS":
		return "IN-PROCESS", true
	}
	if strings.HasPrefix(u, "X-") && isName(u) {
		return u, true
	}
	return "", false
}

// normalizeRole maps iCalendar ROLE and vCalendar 1.0 ROLE values.
func normalizeRole(v string) string {
	u := upperASCII(strings.TrimSpace(v))
	switch u {
	case "", "ATTENDEE", "DELEGATE":
		return "REQ-PARTICIPANT"
	case "OWNER", "ORGANIZER":
		return "CHAIR"
	}
	return u
}

// parseBool reads RSVP values: TRUE or YES (vCalendar 1.0).
func parseBool(v string) bool {
	switch upperASCII(strings.TrimSpace(v)) {
	case "TRUE", "YES":
		return true
	}
	return false
}

// lowerASCII lower-cases ASCII letters only.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

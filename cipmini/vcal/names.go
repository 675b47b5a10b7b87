package vcal

import "strings"

// knownNames are the property, parameter and component names of RFC 5545,
// RFC 5546, RFC 7986, vCalendar 1.0 and the draft, and the X- names that
// common producers write. internName returns these strings rather than
// new ones, so that a name read in any case costs no allocation and holds
// no reference to the data it was read from.
var knownNames = func() map[string]string {
	names := []string{
		// Components and structure.
		"BEGIN", "END", "VCALENDAR", "VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY",
		"VTIMEZONE", "VALARM", "STANDARD", "DAYLIGHT",
		// Calendar properties.
		"VERSION", "PRODID", "CALSCALE", "METHOD", "NAME", "SOURCE", "REFRESH-INTERVAL",
		// Component properties.
		"UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "DUE", "DURATION", "COMPLETED",
		"CREATED", "LAST-MODIFIED", "RECURRENCE-ID", "RRULE", "RDATE", "EXDATE", "EXRULE",
		"ORGANIZER", "ATTENDEE", "SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CONTACT",
		"CATEGORIES", "RESOURCES", "CLASS", "STATUS", "TRANSP", "PRIORITY", "GEO", "URL",
		"ATTACH", "RELATED-TO", "REQUEST-STATUS", "PERCENT-COMPLETE", "FREEBUSY", "COLOR",
		"IMAGE", "CONFERENCE", "ACTION", "TRIGGER", "REPEAT",
		"TZID", "TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "TZURL",
		// vCalendar 1.0 and the draft.
		"TZ", "SUBJECT", "AALARM", "DALARM", "MALARM", "PALARM", "RNUM",
		"DCREATED", "LAST-MODIFIED", "ATTACHMENT",
		// Common X- properties.
		"X-WR-CALNAME", "X-WR-TIMEZONE", "X-WR-CALDESC", "X-ALT-DESC",
		"X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-CDO-INTENDEDSTATUS",
		"X-MICROSOFT-CDO-ALLDAYEVENT", "X-MICROSOFT-CDO-IMPORTANCE",
		"X-MICROSOFT-CDO-INSTTYPE", "X-MICROSOFT-DISALLOW-COUNTER", "X-MICROSOFT-CDO-APPT-SEQUENCE",
		"X-MICROSOFT-CDO-OWNERAPPTID", "X-MS-OLK-CONFTYPE", "X-LIC-LOCATION",
		"X-APPLE-TRAVEL-ADVISORY-BEHAVIOR", "X-MOZ-GENERATION", "X-MOZ-LASTACK",
		// Parameters.
		"CN", "ROLE", "PARTSTAT", "RSVP", "CUTYPE", "SENT-BY", "DIR", "LANGUAGE", "VALUE",
		"ENCODING", "CHARSET", "FBTYPE", "RANGE", "RELATED", "RELTYPE", "FMTTYPE", "ALTREP",
		"EXPECT", "EMAIL", "LABEL", "SCHEDULE-AGENT", "SCHEDULE-STATUS", "MEMBER",
		"DELEGATED-TO", "DELEGATED-FROM", "TYPE", "DISPLAY", "FEATURE",
		"QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "X-NUM-GUESTS",
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = n
	}
	return m
}()

// maxKnownName is the length of the longest name internName looks up.
const maxKnownName = 40

// internName returns name in upper case (names are ASCII: isNameChar),
// as one of knownNames when it is one.
func internName(name string) string {
	if len(name) <= maxKnownName {
		var b [maxKnownName]byte
		up := b[:len(name)]
		for i := 0; i < len(name); i++ {
			up[i] = asciiUpper(name[i])
		}
		if k, ok := knownNames[string(up)]; ok {
			return k
		}
	}
	return strings.ToUpper(name)
}

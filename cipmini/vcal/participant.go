package vcal

import (
	"strings"

	"github.com/emersion/go-ical"
)

// normParticipants normalizes ORGANIZER and ATTENDEE (docs/PROTOCOL.md section
// 6.3): an ATTENDEE;ROLE=OWNER becomes the ORGANIZER when there is none, and
// stays an attendee (ROLE=CHAIR) only when it carried a STATUS.
func (n *normalizer) normParticipants(c *ical.Component, ci *compInfo, set func(ical.Prop)) error {
	// The participants are read first, so that the values their addresses
	// need ("mailto:" and the address) are built as one string.
	var readArr [8]readParticipant
	read := readArr[:0]
	if p := firstProp(c, ical.PropOrganizer); p != nil {
		part, _, _, err := n.participant(p, false)
		if err != nil {
			return err
		}
		read = append(read, readParticipant{p: p, part: part})
	}
	for i := range c.Props[ical.PropAttendee] {
		p := &c.Props[ical.PropAttendee][i]
		part, owner, hadStatus, err := n.participant(p, true)
		if err != nil {
			return err
		}
		read = append(read, readParticipant{p: p, part: part, attendee: true, owner: owner, hadStatus: hadStatus})
	}
	addressValues(read)

	hasOrg := false
	if len(read) > 0 && !read[0].attendee {
		ci.organizer, hasOrg = read[0].part, true
		set(n.organizerProp(read[0].p, read[0].part, read[0].value))
		read = read[1:]
	}
	// Attendees are few: look them up in ci.attendees, through a map only
	// when there are many.
	var seen map[string]bool
	const fewAttendees = 16
	ci.attendees = make([]Participant, 0, len(read))
	// The parameter values attendeeProp sets, at most 5 an attendee.
	vals := make([]string, 0, 5*len(read))
	for i := range read {
		p, part, value := read[i].p, read[i].part, read[i].value
		if read[i].owner {
			if !hasOrg {
				org := Participant{Address: part.Address, CN: part.CN, CUType: part.CUType}
				ci.organizer, hasOrg = org, true
				set(n.organizerProp(p, org, value))
			}
			if !read[i].hadStatus {
				continue
			}
		}
		if hasAttendee(ci.attendees, seen, part.Address) {
			continue
		}
		if len(ci.attendees) == fewAttendees {
			seen = make(map[string]bool, 2*fewAttendees)
			for _, a := range ci.attendees {
				seen[a.Address] = true
			}
		}
		if seen != nil {
			seen[part.Address] = true
		}
		ci.attendees = append(ci.attendees, part)
		set(n.attendeeProp(p, part, value, &vals))
	}
	if !hasOrg {
		return &MissingError{Prop: "ORGANIZER"}
	}
	if len(ci.attendees) == 0 {
		return &MissingError{Prop: "ATTENDEE"}
	}
	return nil
}

// readParticipant is an ORGANIZER or ATTENDEE as participant read it, with
// the property value of its address (addressValues).
type readParticipant struct {
	p                          *ical.Prop
	part                       Participant
	attendee, owner, hadStatus bool
	value                      string
}

// addressValues sets the value of each participant: its property value
// when that is already the one addressValue gives, else addressValue of its
// address, those built being cut from one string.
func addressValues(read []readParticipant) {
	size := 0
	for i := range read {
		r := &read[i]
		if v, ok := addressValueAsIs(r.p.Value, r.part.Address); ok {
			r.value = v
		} else {
			size += len("mailto:") + len(r.part.Address)
		}
	}
	if size == 0 {
		return
	}
	var b strings.Builder
	b.Grow(size)
	for i := range read {
		if r := &read[i]; r.value == "" {
			b.WriteString("mailto:")
			b.WriteString(r.part.Address)
		}
	}
	all, at := b.String(), 0
	for i := range read {
		if r := &read[i]; r.value == "" {
			r.value = all[at : at+len("mailto:")+len(r.part.Address)]
			at += len(r.value)
		}
	}
}

// hasAttendee reports whether addr is among the attendees, looked up in
// seen when it is not nil.
func hasAttendee(attendees []Participant, seen map[string]bool, addr string) bool {
	if seen != nil {
		return seen[addr]
	}
	for i := range attendees {
		if attendees[i].Address == addr {
			return true
		}
	}
	return false
}

// participantParams are the parameters participant rewrites itself.
var participantParams = []string{"CN", "PARTSTAT", "STATUS", "ROLE", "RSVP", "CUTYPE", "EXPECT", "TYPE", "ENCODING", "CHARSET"}

// participant reads an ORGANIZER or ATTENDEE. For an attendee it also
// reports whether it is the vCalendar owner (ROLE=OWNER) and whether it had
// a STATUS or PARTSTAT.
func (n *normalizer) participant(p *ical.Prop, attendee bool) (part Participant, owner, hadStatus bool, err error) {
	name, addrText := splitNameAddr(strings.TrimSpace(p.Value))
	part.Address = NormalizeAddress(addrText)
	if !validAddress(part.Address) {
		return part, false, false, propErr(p.Name, p.Value, ErrBadAddress)
	}
	part.CN = strings.TrimSpace(p.Params.Get("CN"))
	if part.CN == "" {
		part.CN = name
	}
	part.CN = cleanParamValue(part.CN)
	part.CUType = cleanParamValue(upperASCII(p.Params.Get("CUTYPE")))
	if !attendee {
		return part, false, false, nil
	}
	role := upperASCII(cleanParamValue(p.Params.Get("ROLE")))
	owner = role == "OWNER" || role == "ORGANIZER"
	part.Role = normalizeRole(role)
	part.RSVP = parseBool(p.Params.Get("RSVP"))
	state := p.Params.Get("PARTSTAT")
	if state == "" {
		state = p.Params.Get("STATUS")
	}
	part.PartStat = "NEEDS-ACTION"
	if strings.TrimSpace(state) != "" {
		hadStatus = true
		ps, ok := normalizePartStat(state)
		if !ok {
			return part, false, false, propErr(p.Name, state, errUnknownState)
		}
		part.PartStat = ps
	}
	return part, owner, hadStatus, nil
}

// attendeeProp builds the ATTENDEE property for part, read from p, whose
// value is value (addressValue of its address), keeping the other
// parameters of p. The values of the parameters set here are appended to
// *vals, one array for the attendees of a component, each capped.
func (n *normalizer) attendeeProp(p *ical.Prop, part Participant, value string, vals *[]string) ical.Prop {
	np := ical.Prop{Name: ical.PropAttendee, Params: sanitizeParams(p.Params, participantParams...), Value: value}
	if cap(*vals)-len(*vals) < 5 {
		*vals = make([]string, 0, 5)
	}
	put := func(name, v string) {
		*vals = append(*vals, v)
		k := len(*vals)
		np.Params[name] = (*vals)[k-1 : k : k]
	}
	if part.CN != "" {
		put("CN", part.CN)
	}
	put("PARTSTAT", part.PartStat)
	put("ROLE", part.Role)
	if part.RSVP {
		put("RSVP", "TRUE")
	}
	if part.CUType != "" {
		put("CUTYPE", part.CUType)
	}
	return np
}

// organizerProp builds the ORGANIZER property for part, whose value is
// value (addressValue of its address), keeping the other parameters of p
// (SENT-BY, EMAIL, ...).
func (n *normalizer) organizerProp(p *ical.Prop, part Participant, value string) ical.Prop {
	np := ical.Prop{Name: ical.PropOrganizer, Params: sanitizeParams(p.Params, participantParams...), Value: value}
	if part.CN != "" && part.CUType != "" {
		vals := []string{part.CN, part.CUType}
		np.Params["CN"], np.Params["CUTYPE"] = vals[0:1:1], vals[1:2:2]
		return np
	}
	if part.CN != "" {
		np.Params.Set("CN", part.CN)
	}
	if part.CUType != "" {
		np.Params.Set("CUTYPE", part.CUType)
	}
	return np
}

package vcal

import (
	"strings"

	"github.com/emersion/go-ical"
)

// normParticipants normalizes ORGANIZER and ATTENDEE (docs/PROTOCOL.md section
// 6.3): an ATTENDEE;ROLE=OWNER becomes the ORGANIZER when there is none, and
// stays an attendee (ROLE=CHAIR) only when it carried a STATUS.
func (n *normalizer) normParticipants(c *ical.Component, ci *compInfo, set func(ical.Prop)) error {
	hasOrg := false
	if p := firstProp(c, ical.PropOrganizer); p != nil {
		part, np, _, _, err := n.participant(p, false)
		if err != nil {
			return err
		}
		ci.organizer, hasOrg = part, true
		set(np)
	}
	seen := make(map[string]bool)
	for i := range c.Props[ical.PropAttendee] {
		p := &c.Props[ical.PropAttendee][i]
		part, np, owner, hadStatus, err := n.participant(p, true)
		if err != nil {
			return err
		}
		if owner {
			if !hasOrg {
				org := Participant{Address: part.Address, CN: part.CN, CUType: part.CUType}
				ci.organizer, hasOrg = org, true
				set(n.organizerProp(p, org))
			}
			if !hadStatus {
				continue
			}
		}
		if seen[part.Address] {
			continue
		}
		seen[part.Address] = true
		ci.attendees = append(ci.attendees, part)
		set(np)
	}
	if !hasOrg {
		return &MissingError{Prop: "ORGANIZER"}
	}
	if len(ci.attendees) == 0 {
		return &MissingError{Prop: "ATTENDEE"}
	}
	return nil
}

// participantParams are the parameters participant rewrites itself.
var participantParams = []string{"CN", "PARTSTAT", "STATUS", "ROLE", "RSVP", "CUTYPE", "EXPECT", "TYPE", "ENCODING", "CHARSET"}

// participant reads an ORGANIZER or ATTENDEE. For an attendee it also
// reports whether it is the vCalendar owner (ROLE=OWNER) and whether it had
// a STATUS or PARTSTAT.
func (n *normalizer) participant(p *ical.Prop, attendee bool) (part Participant, np ical.Prop, owner, hadStatus bool, err error) {
	name, addrText := splitNameAddr(strings.TrimSpace(p.Value))
	part.Address = NormalizeAddress(addrText)
	if !validAddress(part.Address) {
		return part, np, false, false, propErr(p.Name, p.Value, ErrBadAddress)
	}
	part.CN = strings.TrimSpace(p.Params.Get("CN"))
	if part.CN == "" {
		part.CN = name
	}
	part.CN = cleanParamValue(part.CN)
	part.CUType = cleanParamValue(upperASCII(p.Params.Get("CUTYPE")))
	if !attendee {
		return part, n.organizerProp(p, part), false, false, nil
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
			return part, np, false, false, propErr(p.Name, state, errUnknownState)
		}
		part.PartStat = ps
	}
	np = ical.Prop{Name: ical.PropAttendee, Params: sanitizeParams(p.Params, participantParams...), Value: addressValue(part.Address)}
	if part.CN != "" {
		np.Params.Set("CN", part.CN)
	}
	np.Params.Set("PARTSTAT", part.PartStat)
	np.Params.Set("ROLE", part.Role)
	if part.RSVP {
		np.Params.Set("RSVP", "TRUE")
	}
	if part.CUType != "" {
		np.Params.Set("CUTYPE", part.CUType)
	}
	return part, np, owner, hadStatus, nil
}

// organizerProp builds the ORGANIZER property for part, keeping the other
// parameters of p (SENT-BY, EMAIL, ...).
func (n *normalizer) organizerProp(p *ical.Prop, part Participant) ical.Prop {
	np := ical.Prop{Name: ical.PropOrganizer, Params: sanitizeParams(p.Params, participantParams...), Value: addressValue(part.Address)}
	if part.CN != "" {
		np.Params.Set("CN", part.CN)
	}
	if part.CUType != "" {
		np.Params.Set("CUTYPE", part.CUType)
	}
	return np
}

package vcal

import (
	"errors"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// ErrNoAnswer is wrapped in a *PropError for an RSVP attendee that carries
// no STATUS or PARTSTAT (and no bare STATUS line applies to it).
var ErrNoAnswer = errors.New("vcal: attendee gives no answer")

// Reply is an RSVP (docs/PROTOCOL.md section 5.5): who answers what for
// which event.
type Reply struct {
	UID      string
	Sequence int // SEQUENCE, 0 when absent
	// HasSequence reports whether the data gave a SEQUENCE.
	HasSequence bool
	Method      string // METHOD in upper case ("REPLY"), "" when absent
	// DTStamp is the DTSTAMP in UTC, zero when absent.
	DTStamp time.Time
	// RecurrenceID is the RECURRENCE-ID in UTC when the answer is for one
	// occurrence, zero otherwise.
	RecurrenceID time.Time
	// Attendees are the answering attendees; PartStat holds each answer
	// (ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION, DELEGATED, ...).
	Attendees []Participant
	// Organizer is the ORGANIZER or vCalendar owner when the reply names
	// one; the zero Participant otherwise.
	Organizer Participant
	// Comment is the first COMMENT as plain text.
	Comment string
}

// ParseReply parses an RSVP data block leniently: the draft's bare lines
// (no BEGIN/END), vCalendar 1.0 or an iTIP REPLY. UID is required (a
// *MissingError naming UID), SEQUENCE defaults to 0, and at least one
// ATTENDEE must carry STATUS= or PARTSTAT=; a bare "STATUS: CONFIRMED" line
// applies to the single attendee given. RESPONSE-SEQUENCE is ignored. Only
// the first VEVENT or VTODO of a calendar is read. lim nil means the
// default Limits. ParseReply is safe for concurrent use.
func ParseReply(data []byte, lim *Limits) (*Reply, error) {
	doc, n, err := prepare(data, lim)
	if err != nil {
		return nil, err
	}
	var c *ical.Component
	for _, child := range doc.root.Children {
		if child.Name == ical.CompEvent || child.Name == ical.CompToDo {
			c = child
			break
		}
	}
	if c == nil {
		return nil, &MissingError{Prop: "UID"}
	}
	r := &Reply{Method: n.method}
	if p := firstProp(c, "UID"); p != nil {
		r.UID = strings.TrimSpace(breakNewlines(p.Value))
	}
	if r.UID == "" {
		return nil, &MissingError{Prop: "UID"}
	}
	if p := firstProp(c, "SEQUENCE"); p != nil {
		if r.Sequence, err = parseSequence(p.Value); err != nil {
			return nil, propErr("SEQUENCE", p.Value, err)
		}
		r.HasSequence = true
	}
	if p := firstProp(c, "DTSTAMP"); p != nil {
		tv, err := n.timeValue(p)
		if err != nil {
			return nil, err
		}
		r.DTStamp = tv.utc()
	}
	if p := firstProp(c, "RECURRENCE-ID"); p != nil {
		tv, err := n.timeValue(p)
		if err != nil {
			return nil, err
		}
		r.RecurrenceID = tv.utc()
	}
	if p := firstProp(c, "COMMENT"); p != nil {
		q := sanitizeProp(p, n.vcal10)
		r.Comment = unescapeText(q.Value)
	}
	if p := firstProp(c, ical.PropOrganizer); p != nil {
		if r.Organizer, _, _, err = n.participant(p, false); err != nil {
			return nil, err
		}
	}
	var silent []int // attendees without an answer
	for i := range c.Props[ical.PropAttendee] {
		p := &c.Props[ical.PropAttendee][i]
		part, _, hadStatus, err := n.participant(p, true)
		if err != nil {
			return nil, err
		}
		if !hadStatus {
			silent = append(silent, len(r.Attendees))
		}
		r.Attendees = append(r.Attendees, part)
	}
	if len(r.Attendees) == 0 {
		return nil, &MissingError{Prop: "ATTENDEE"}
	}
	if len(silent) > 0 {
		st := firstProp(c, "STATUS")
		if st == nil || len(r.Attendees) != 1 {
			a := r.Attendees[silent[0]]
			return nil, propErr("ATTENDEE", a.Address, ErrNoAnswer)
		}
		ps, ok := normalizePartStat(st.Value)
		if !ok {
			return nil, propErr("STATUS", st.Value, errUnknownState)
		}
		r.Attendees[0].PartStat = ps
	}
	return r, nil
}

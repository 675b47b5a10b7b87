package vcal

import (
	"errors"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// MaxFreeBusyWindow is the longest window ParseFreeBusyRequest accepts
// (docs/PROTOCOL.md section 7.1): 366 days.
const MaxFreeBusyWindow = 366 * 24 * time.Hour

var errEmptyWindow = errors.New("vcal: window is empty")

// FreeBusyRequest is a FREEBUSY query (docs/PROTOCOL.md section 7.1).
type FreeBusyRequest struct {
	// Users are the queried addresses (ATTENDEE or USER), normalized, in
	// order, without duplicates.
	Users []string
	// Start and End bound the window, UTC.
	Start, End time.Time
	// UID and Organizer are set for an iTIP VFREEBUSY request that has them.
	UID       string
	Organizer Participant
}

// ParseFreeBusyRequest parses a FREEBUSY data block: bare ATTENDEE: (or
// USER:), DTSTART and DTEND lines, or an iTIP VFREEBUSY request. At least one
// user, DTSTART and DTEND (or DURATION) are required (*MissingError); an
// empty window is a *PropError, and one longer than MaxFreeBusyWindow a
// *PropError wrapping ErrWindowTooLarge. Floating times and dates are taken
// in Limits.Floating. lim nil means the default Limits. It is safe for
// concurrent use.
func ParseFreeBusyRequest(data []byte, lim *Limits) (*FreeBusyRequest, error) {
	doc, n, err := prepare(data, lim)
	if err != nil {
		return nil, err
	}
	var c *ical.Component
	for _, child := range doc.root.Children {
		if child.Name == ical.CompFreeBusy || doc.bare {
			c = child
			break
		}
	}
	if c == nil {
		return nil, &MissingError{Prop: "VFREEBUSY"}
	}
	req := &FreeBusyRequest{}
	seen := make(map[string]bool)
	for _, name := range []string{ical.PropAttendee, "USER"} {
		for i := range c.Props[name] {
			p := &c.Props[name][i]
			_, addrText := splitNameAddr(strings.TrimSpace(p.Value))
			addr := NormalizeAddress(addrText)
			if !validAddress(addr) {
				return nil, propErr(name, p.Value, ErrBadAddress)
			}
			if !seen[addr] {
				seen[addr] = true
				req.Users = append(req.Users, addr)
			}
		}
	}
	if len(req.Users) == 0 {
		return nil, &MissingError{Prop: "ATTENDEE"}
	}
	if p := firstProp(c, "UID"); p != nil {
		req.UID = strings.TrimSpace(breakNewlines(p.Value))
	}
	if p := firstProp(c, ical.PropOrganizer); p != nil {
		if req.Organizer, _, _, err = n.participant(p, false); err != nil {
			return nil, err
		}
	}
	req.Start, req.End, err = n.window(c)
	if err != nil {
		return nil, err
	}
	if req.End.Sub(req.Start) > MaxFreeBusyWindow {
		return nil, propErr("DTEND", firstValue(c, ical.PropDateTimeEnd), ErrWindowTooLarge)
	}
	return req, nil
}

func firstValue(c *ical.Component, name string) string {
	if p := firstProp(c, name); p != nil {
		return p.Value
	}
	return ""
}

// window reads DTSTART and DTEND (or DURATION) as UTC instants.
func (n *normalizer) window(c *ical.Component) (start, end time.Time, err error) {
	ps := firstProp(c, ical.PropDateTimeStart)
	if ps == nil {
		return start, end, &MissingError{Prop: "DTSTART"}
	}
	st, err := n.timeValue(ps)
	if err != nil {
		return start, end, err
	}
	if pe := firstProp(c, ical.PropDateTimeEnd); pe != nil {
		en, err := n.timeValue(pe)
		if err != nil {
			return start, end, err
		}
		end = en.utc()
	} else if pd := firstProp(c, ical.PropDuration); pd != nil {
		d, err := parseDurationProp(pd)
		if err != nil {
			return start, end, err
		}
		end = d.AddTo(st.local).UTC()
	} else {
		return start, end, &MissingError{Prop: "DTEND"}
	}
	start = st.utc()
	if !end.After(start) {
		return start, end, propErr("DTEND", firstValue(c, ical.PropDateTimeEnd), errEmptyWindow)
	}
	return start, end, nil
}

// BusyPeriod is one FREEBUSY period.
type BusyPeriod struct {
	Start, End time.Time // UTC
	// Type is the FBTYPE in upper case: BUSY (the default), BUSY-TENTATIVE,
	// BUSY-UNAVAILABLE, FREE or an X- value.
	Type string
}

// FreeBusy is one VFREEBUSY component of a free/busy answer.
type FreeBusy struct {
	UID        string
	Organizer  Participant // zero when absent
	Attendees  []string    // normalized addresses
	Start, End time.Time   // DTSTART and DTEND in UTC; zero when absent
	Periods    []BusyPeriod
}

// ParseFreeBusy parses a calendar of VFREEBUSY components, such as the answer
// to FREEBUSY or an iTIP REPLY, and returns one FreeBusy per component in
// data order. FREEBUSY values may be "start/end" or "start/duration". A
// calendar without VFREEBUSY is a *MissingError. lim nil means the default
// Limits. It is safe for concurrent use.
func ParseFreeBusy(data []byte, lim *Limits) ([]*FreeBusy, error) {
	doc, n, err := prepare(data, lim)
	if err != nil {
		return nil, err
	}
	var out []*FreeBusy
	for _, c := range doc.root.Children {
		if c.Name != ical.CompFreeBusy {
			continue
		}
		fb := &FreeBusy{}
		if p := firstProp(c, "UID"); p != nil {
			fb.UID = strings.TrimSpace(breakNewlines(p.Value))
		}
		if p := firstProp(c, ical.PropOrganizer); p != nil {
			if fb.Organizer, _, _, err = n.participant(p, false); err != nil {
				return nil, err
			}
		}
		for i := range c.Props[ical.PropAttendee] {
			p := &c.Props[ical.PropAttendee][i]
			_, addrText := splitNameAddr(strings.TrimSpace(p.Value))
			addr := NormalizeAddress(addrText)
			if !validAddress(addr) {
				return nil, propErr("ATTENDEE", p.Value, ErrBadAddress)
			}
			fb.Attendees = append(fb.Attendees, addr)
		}
		if p := firstProp(c, ical.PropDateTimeStart); p != nil {
			tv, err := n.timeValue(p)
			if err != nil {
				return nil, err
			}
			fb.Start = tv.utc()
		}
		if p := firstProp(c, ical.PropDateTimeEnd); p != nil {
			tv, err := n.timeValue(p)
			if err != nil {
				return nil, err
			}
			fb.End = tv.utc()
		}
		for i := range c.Props[ical.PropFreeBusy] {
			p := &c.Props[ical.PropFreeBusy][i]
			typ := upperASCII(strings.TrimSpace(p.Params.Get("FBTYPE")))
			if typ == "" {
				typ = "BUSY"
			}
			for _, v := range n.splitValues(p.Value) {
				if strings.IndexByte(v, '/') <= 0 {
					return nil, propErr("FREEBUSY", v, errNotPeriod)
				}
				st, en, _, err := n.period(v, "")
				if err != nil {
					return nil, propErr("FREEBUSY", v, err)
				}
				fb.Periods = append(fb.Periods, BusyPeriod{Start: st.utc(), End: en.utc(), Type: typ})
			}
		}
		out = append(out, fb)
	}
	if len(out) == 0 {
		return nil, &MissingError{Prop: "VFREEBUSY"}
	}
	return out, nil
}

var errNotPeriod = errors.New("vcal: not a period")

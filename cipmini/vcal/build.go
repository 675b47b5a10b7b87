package vcal

import (
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/emersion/go-ical"
)

// EventFields are what NewEvent builds an event from: one VEVENT, neither
// recurring nor all-day.
type EventFields struct {
	UID      string
	Sequence int
	// DTStamp, Start and End are instants; they are written in UTC to the
	// second.
	DTStamp, Start, End time.Time
	// Method is the calendar's METHOD; "" means REQUEST.
	Method    string
	Summary   string        // "" for none
	Organizer Participant   // Address (bare, without mailto:) and optional CN
	Attendees []Participant // each with its Address and optional PartStat, CN, Role, CUType
}

// errNoFields is NewEvent's error for fields that make no event.
var errNoFields = errors.New("vcal: an event needs a UID, a start, an organizer and an attendee")

// NewEvent builds an event from fields, as an Event that ParseEvents would
// return for its text: the go-ical calendar (NewCalendar) normalized by the
// same code that normalizes data from the wire, without text in between.
// It is the way for a caller that books (the room panel) to make an event
// without writing iCalendar by hand. It is safe for concurrent use.
func NewEvent(f EventFields) (*Event, error) {
	if f.UID == "" || f.Start.IsZero() || f.Organizer.Address == "" || len(f.Attendees) == 0 {
		return nil, errNoFields
	}
	method := f.Method
	if method == "" {
		method = "REQUEST"
	}
	cal := NewCalendar(method)
	c := ical.NewComponent(ical.CompEvent)
	c.Props.SetText(ical.PropUID, f.UID)
	c.Props.SetText(ical.PropSequence, strconv.Itoa(f.Sequence))
	c.Props.SetDateTime(ical.PropDateTimeStamp, f.DTStamp.UTC().Truncate(time.Second))
	c.Props.SetDateTime(ical.PropDateTimeStart, f.Start.UTC().Truncate(time.Second))
	c.Props.SetDateTime(ical.PropDateTimeEnd, f.End.UTC().Truncate(time.Second))
	if f.Summary != "" {
		c.Props.SetText(ical.PropSummary, f.Summary)
	}
	c.Props.Add(participantProp(ical.PropOrganizer, f.Organizer))
	for _, a := range f.Attendees {
		c.Props.Add(participantProp(ical.PropAttendee, a))
	}
	cal.Children = append(cal.Children, c)
	return EventFromCalendar(cal, nil)
}

// participantProp is an ORGANIZER or ATTENDEE property for p.
func participantProp(name string, p Participant) *ical.Prop {
	prop := ical.NewProp(name)
	prop.Value = "mailto:" + p.Address
	if p.CN != "" {
		prop.Params.Set(ical.ParamCommonName, p.CN)
	}
	if p.Role != "" {
		prop.Params.Set(ical.ParamRole, p.Role)
	}
	if p.PartStat != "" {
		prop.Params.Set(ical.ParamParticipationStatus, p.PartStat)
	}
	if p.CUType != "" {
		prop.Params.Set(ical.ParamCalendarUserType, p.CUType)
	}
	return prop
}

// EventFromCalendar normalizes a calendar built or edited in memory (by
// NewCalendar and go-ical, or the Calendar of an Event changed in place)
// into its Event, as ParseEvents would from the calendar's text, checking
// the same rules and lim (nil means the default Limits) but for those on
// the text itself (octets, line length). The calendar must hold exactly one
// UID; it becomes the Event's and must not be used after. It is safe for
// concurrent use with distinct calendars.
func EventFromCalendar(cal *ical.Calendar, lim *Limits) (*Event, error) {
	if cal == nil || cal.Component == nil || cal.Name != ical.CompCalendar {
		return nil, &MissingError{Prop: "VCALENDAR"}
	}
	evs, err := eventsFromDoc(document{root: cal.Component}, lim.resolved())
	if err != nil {
		return nil, err
	}
	if len(evs) != 1 {
		return nil, errors.New("vcal: the calendar holds more than one UID")
	}
	return evs[0], nil
}

// EncodeFeed is Encode for a published feed, which may be empty: a
// calendar without components, which RFC 5545 does not allow and go-ical's
// encoder refuses, is written as its VERSION, PRODID, METHOD and
// X-WR-CALNAME values alone, in that order, so that a client sees an empty
// calendar rather than an error.
func EncodeFeed(w io.Writer, cal *ical.Calendar) error {
	if len(cal.Children) > 0 {
		return Encode(w, cal)
	}
	var b []byte
	b = AppendContentLine(b, "BEGIN", ical.CompCalendar)
	for _, name := range []string{ical.PropVersion, ical.PropProductID, ical.PropMethod, "X-WR-CALNAME"} {
		if p := cal.Props.Get(name); p != nil {
			b = AppendContentLine(b, name, p.Value)
		}
	}
	b = AppendContentLine(b, "END", ical.CompCalendar)
	_, err := w.Write(b)
	return err
}

package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// actionError is a panel action that could not be carried out; internal
// ones are the server's fault (500), the others the room's state (409).
type actionError struct {
	msg      string
	internal bool
}

func (e *actionError) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &actionError{msg: fmt.Sprintf(format, args...)} }

func failed(format string, args ...any) error {
	return &actionError{msg: fmt.Sprintf(format, args...), internal: true}
}

// The lengths the panel books and extends by.
var panelMinutes = map[int]bool{15: true, 30: true, 60: true}

// bookNow books the room from now for minutes (15, 30 or 60), cut short
// at its next booking, as an event the room organizes and attends,
// delivered by the scheduler acting as the room.
func (s *Server) bookNow(ctx context.Context, room string, minutes int) error {
	if !panelMinutes[minutes] {
		return refuse("Book for 15, 30 or 60 minutes")
	}
	s.panel.mu.Lock()
	defer s.panel.mu.Unlock()
	now := s.opts.Now().UTC().Truncate(time.Second)
	end := now.Add(time.Duration(minutes) * time.Minute)
	bs, err := s.sched.Bookings(room, now, end)
	if err != nil {
		return failed("Cannot read the calendar")
	}
	for _, b := range bs {
		if !b.Start.After(now) {
			return refuse("The room is busy")
		}
		if b.Start.Before(end) {
			end = b.Start
		}
	}
	if end.Sub(now) < minBooking {
		return refuse("The room is booked in a moment")
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	ev, err := vcal.NewEvent(vcal.EventFields{
		UID: "panel-" + hex.EncodeToString(rnd[:]) + "@" + s.opts.ServerID, DTStamp: now,
		Start: now, End: end, Summary: "Booked at the room panel",
		Organizer: vcal.Participant{Address: room},
		Attendees: []vcal.Participant{{Address: room, PartStat: sched.Accepted}},
	})
	if err != nil {
		return failed("Cannot build the booking: %v", err)
	}
	return s.deliver(ctx, room, ev)
}

// deliver stores an event as the room, through the scheduler: a room that
// declines it (booked meanwhile, under the scheduler's lock) refuses the
// action.
func (s *Server) deliver(ctx context.Context, room string, ev *vcal.Event) error {
	d, err := s.sched.Deliver(ctx, sched.As(room), ev, 0)
	if err != nil {
		return failed("Not stored: %s", errorText(err))
	}
	for _, o := range d.Outcomes {
		if o.Kind == sched.OutcomeDeclined {
			return refuse("The room was booked meanwhile")
		}
	}
	if !d.Stored() {
		return failed("Not stored: %s", d.Text())
	}
	return nil
}

// errorText is what a client is told of a scheduler's error.
func errorText(err error) string {
	var e *sched.Error
	if errors.As(err, &e) {
		return e.Text
	}
	return err.Error()
}

// current returns the room's booking going on now that uid names (its UID
// or its reference).
func (s *Server) current(room, uid string) (*sched.Booking, error) {
	now := s.opts.Now()
	bs, err := s.sched.Bookings(room, now, now.Add(time.Second))
	if err != nil {
		return nil, failed("Cannot read the calendar")
	}
	for i := range bs {
		if s.namesBooking(uid, bs[i].UID) && !bs[i].Start.After(now) {
			return &bs[i], nil
		}
	}
	return nil, refuse("No such booking going on now")
}

// endEarly frees the room from now on: a booking the room organizes gets
// DTEND now (a new SEQUENCE, delivered); one organized by someone else is
// declined by the room (an answer), which the organizer is told of. A
// series organized elsewhere cannot be ended here.
func (s *Server) endEarly(ctx context.Context, room, uid, why string) error {
	b, err := s.current(room, uid)
	if err != nil {
		return err
	}
	s.panel.mu.Lock()
	defer s.panel.mu.Unlock()
	now := s.opts.Now().UTC().Truncate(time.Second)
	if b.Organizer != room {
		if b.Recurring {
			return refuse("A recurring meeting booked by %s: ask them to change it", b.Organizer)
		}
		a, err := s.sched.Answer(ctx, sched.As(room), &vcal.Reply{
			UID: b.UID, Sequence: b.Sequence, HasSequence: true, Method: "REPLY", DTStamp: now,
			Organizer: vcal.Participant{Address: b.Organizer},
			Attendees: []vcal.Participant{{Address: room, PartStat: sched.Declined}},
			Comment:   why,
		})
		if err != nil {
			return failed("Not released: %s", errorText(err))
		}
		if !a.Stored {
			return failed("Not released: %s", a.Text())
		}
		return nil
	}
	if b.Recurring {
		return refuse("A recurring booking cannot be changed at the panel")
	}
	return s.change(ctx, room, b.UID, func(c *ical.Component, cal *ical.Calendar, start time.Time) error {
		if !now.After(start) {
			cal.Props.SetText(ical.PropMethod, "CANCEL")
			c.Props.SetText(ical.PropStatus, "CANCELLED")
			return nil
		}
		c.Props.Del(ical.PropDuration)
		c.Props.SetDateTime(ical.PropDateTimeEnd, now)
		return nil
	})
}

// extend moves the end of the room's own current booking by minutes (15,
// 30 or 60), cut short at the next booking.
func (s *Server) extend(ctx context.Context, room, uid string, minutes int) error {
	if !panelMinutes[minutes] {
		return refuse("Extend by 15, 30 or 60 minutes")
	}
	b, err := s.current(room, uid)
	if err != nil {
		return err
	}
	if b.Organizer != room || b.Recurring {
		return refuse("Only a booking made at the panel can be extended here")
	}
	s.panel.mu.Lock()
	defer s.panel.mu.Unlock()
	end := b.End.Add(time.Duration(minutes) * time.Minute)
	next, err := s.sched.Bookings(room, b.End, end)
	if err != nil {
		return failed("Cannot read the calendar")
	}
	for _, n := range next {
		if n.UID != b.UID && n.Start.Before(end) {
			end = n.Start
		}
	}
	if !end.After(b.End) {
		return refuse("The room is booked right after")
	}
	return s.change(ctx, room, b.UID, func(c *ical.Component, _ *ical.Calendar, _ time.Time) error {
		c.Props.Del(ical.PropDuration)
		c.Props.SetDateTime(ical.PropDateTimeEnd, end.UTC())
		return nil
	})
}

// change delivers a new version (SEQUENCE + 1, DTSTAMP now) of the stored
// event uid after edit changed its master component. The caller holds
// panel.mu.
func (s *Server) change(ctx context.Context, room, uid string, edit func(c *ical.Component, cal *ical.Calendar, start time.Time) error) error {
	ev, err := s.sched.StoredEvent(uid)
	if err != nil || ev == nil || ev.Cancelled {
		return refuse("No such booking")
	}
	var master *ical.Component
	for _, c := range ev.Calendar.Children {
		if c.Name == ical.CompEvent && c.Props.Get(ical.PropRecurrenceID) == nil {
			master = c
			break
		}
	}
	if master == nil || ev.Recurring || len(ev.Overrides) > 0 {
		return refuse("A recurring booking cannot be changed at the panel")
	}
	ev.Calendar.Props.SetText(ical.PropMethod, "REQUEST")
	if err := edit(master, ev.Calendar, ev.Start); err != nil {
		return err
	}
	master.Props.Set(&ical.Prop{Name: ical.PropSequence, Params: ical.Params{}, Value: fmt.Sprint(ev.Sequence + 1)})
	master.Props.SetDateTime(ical.PropDateTimeStamp, s.opts.Now().UTC().Truncate(time.Second))
	changed, err := vcal.EventFromCalendar(ev.Calendar, nil)
	if err != nil {
		return failed("Cannot build the booking: %v", err)
	}
	return s.deliver(ctx, room, changed)
}

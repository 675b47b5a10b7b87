package sched

import (
	"fmt"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// RewriteAttendee replaces the attendee from by to in an event's text, for
// a SENDEVENT that follows a REDIRECT USER.
func RewriteAttendee(data, from, to string) (string, error) {
	return rewrite(data, func(c *ical.Component) {
		for i, p := range c.Props[ical.PropAttendee] {
			if vcal.NormalizeAddress(p.Value) == from {
				c.Props[ical.PropAttendee][i].Value = "mailto:" + to
			}
		}
	})
}

// RewriteUID gives an answer the event's new UID, for an RSVP that follows
// a REDIRECT EVENT.
func RewriteUID(data, uid string) (string, error) {
	return rewrite(data, func(c *ical.Component) { c.Props.SetText(ical.PropUID, uid) })
}

// rewrite applies change to every event and to-do of a calendar text this
// server wrote, and encodes the result.
func rewrite(data string, change func(*ical.Component)) (string, error) {
	cal, err := vcal.Decode(strings.NewReader(data), storedLimits)
	if err != nil {
		return "", err
	}
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent || c.Name == ical.CompToDo {
			change(c)
		}
	}
	text, err := vcal.EncodeString(cal)
	if err != nil {
		return "", err
	}
	return text, nil
}

// replyText is an iTIP REPLY (RFC 5546 3.2.3) carrying one attendee's
// answer to an event, as the RSVP data this server sends, with one more
// component declining each occurrence in declined (RECURRENCE-IDs, Unix
// seconds) when the series itself is accepted.
func replyText(uid string, seq int, owner, attendee, partstat, comment string, declined []int64, now time.Time) (string, error) {
	cal := vcal.NewCalendar("REPLY")
	ev := ical.NewComponent(ical.CompEvent)
	ev.Props.SetText(ical.PropUID, uid)
	ev.Props.SetText(ical.PropSequence, fmt.Sprint(seq))
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC().Truncate(time.Second))
	org := ical.NewProp(ical.PropOrganizer)
	org.Value = "mailto:" + owner
	ev.Props.Add(org)
	att := ical.NewProp(ical.PropAttendee)
	att.Value = "mailto:" + attendee
	att.Params.Set(ical.ParamParticipationStatus, partstat)
	ev.Props.Add(att)
	if comment != "" {
		ev.Props.SetText(ical.PropComment, comment)
	}
	cal.Children = append(cal.Children, ev)
	for _, rid := range declined {
		occ := ical.NewComponent(ical.CompEvent)
		for _, name := range []string{ical.PropUID, ical.PropSequence, ical.PropDateTimeStamp, ical.PropOrganizer} {
			occ.Props[name] = ev.Props[name]
		}
		occ.Props.SetDateTime(ical.PropRecurrenceID, time.Unix(rid, 0).UTC())
		no := ical.NewProp(ical.PropAttendee)
		no.Value = att.Value
		no.Params.Set(ical.ParamParticipationStatus, Declined)
		occ.Props.Add(no)
		cal.Children = append(cal.Children, occ)
	}
	text, err := vcal.EncodeString(cal)
	if err != nil {
		return "", err
	}
	return text, nil
}

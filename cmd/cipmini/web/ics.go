package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// The ICS feed's window, around today (UTC).
const (
	FeedPastDays   = 30
	FeedFutureDays = 365
)

// calendar serves GET /calendar/<user>.ics: the user's bookings from 30 days
// ago to a year ahead, one VEVENT per busy period (instances of recurring
// events each on their own, with a UID made of the event's UID and the
// start). Titles, organizers and UIDs appear only for users with
// show_titles; the others' bookings have opaque UIDs (bookingref.go).
func (s *Server) calendar(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		http.Error(w, "web: want /calendar/<user>.ics", http.StatusNotFound)
		return
	}
	u := s.lookup(w, r, name)
	if u == nil {
		return
	}
	today := s.opts.Now().UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -FeedPastDays), today.AddDate(0, 0, FeedFutureDays)
	bs, err := s.sched.Bookings(u.ID, from, to)
	if err != nil {
		http.Error(w, "web: too many occurrences in the window", http.StatusRequestEntityTooLarge)
		return
	}
	modified := time.Unix(s.changed.Load(), 0).UTC()
	show := s.opts.ShowTitles[u.ID]
	cal := newCalendar("PUBLISH")
	cal.Props.SetText("X-WR-CALNAME", u.ID)
	for _, b := range bs {
		ev := ical.NewEvent()
		uid := s.shownUID(u.ID, b.UID)
		if b.Recurring {
			uid = fmt.Sprintf("%s/%s", uid, b.Start.UTC().Format("20060102T150405Z"))
		}
		ev.Props.SetText(ical.PropUID, uid)
		ev.Props.SetDateTime(ical.PropDateTimeStamp, modified)
		ev.Props.SetDateTime(ical.PropDateTimeStart, b.Start.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, b.End.UTC())
		ev.Props.Set(&ical.Prop{Name: ical.PropSequence, Params: ical.Params{}, Value: fmt.Sprint(b.Sequence)})
		summary := "Busy"
		if show {
			if b.Summary != "" {
				summary = b.Summary
			}
			if b.Organizer != "" {
				org := ical.NewProp(ical.PropOrganizer)
				org.Value = "mailto:" + b.Organizer
				ev.Props.Set(org)
			}
		}
		ev.Props.SetText(ical.PropSummary, summary)
		status := "CONFIRMED"
		if b.Tentative {
			status = "TENTATIVE"
		}
		ev.Props.SetText(ical.PropStatus, status)
		ev.Props.SetText(ical.PropTransparency, "OPAQUE")
		cal.Children = append(cal.Children, ev.Component)
	}
	s.writeCalendar(w, r, cal, modified, u.ID+".ics")
}

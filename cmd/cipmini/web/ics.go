package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// The ICS feed's window, around today (UTC), and the most busy periods it
// lists: the first by start. A series booked every few minutes fills it
// before the window's end; the feed then stops there rather than fail.
const (
	FeedPastDays   = 30
	FeedFutureDays = 365
	FeedMaxEvents  = 5000
)

// calendar serves GET /calendar/<user>.ics: the user's bookings from 30 days
// ago to a year ahead, one VEVENT per busy period (instances of recurring
// events each on their own, with a UID made of the event's UID and the
// start), at most FeedMaxEvents of them. Titles, organizers and UIDs appear
// only for users with show_titles; the others' bookings have opaque UIDs
// (bookingref.go). The text is written as the bookings are read, so that a
// feed costs its own size and no more.
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
	bs, more, err := s.sched.BookingsUpTo(u.ID, from, to, FeedMaxEvents)
	if err != nil {
		s.log.Error("web: reading bookings", "user", u.ID, "err", err)
		http.Error(w, "web: cannot read the calendar", http.StatusInternalServerError)
		return
	}
	if more {
		s.log.Debug("web: feed cut at its limit", "user", u.ID, "events", len(bs))
	}
	modified := time.Unix(s.changed.Load(), 0).UTC()
	body := appendFeed(make([]byte, 0, 256+len(bs)*256), u.ID, modified, s.opts.ShowTitles[u.ID], s.opts.RefKey, bs)
	s.writeCalendarBytes(w, r, body, modified, u.ID+".ics")
}

// appendFeed appends the VCALENDAR of a user's feed to dst: one VEVENT per
// booking, the same text go-ical's encoder wrote for it before (so that
// ETags stay the same), without building a tree per booking.
func appendFeed(dst []byte, user string, modified time.Time, show bool, refKey []byte, bs []sched.Booking) []byte {
	line := vcal.AppendContentLine
	stamp := modified.Format(caltime.UTCLayout)
	if len(bs) == 0 { // as encodeCalendar writes an empty calendar
		dst = vcal.AppendCalendarStart(dst, "PUBLISH")
		dst = line(dst, "X-WR-CALNAME", vcal.EscapeText(user))
		return line(dst, "END", "VCALENDAR")
	}
	dst = vcal.AppendEncodedCalendarStart(dst, "PUBLISH")
	dst = line(dst, "X-WR-CALNAME;VALUE=TEXT", vcal.EscapeText(user))
	var uid []byte
	for _, b := range bs {
		if show {
			uid = append(uid[:0], b.UID...)
		} else {
			uid = append(uid[:0], bookingRef(refKey, b.UID)...)
		}
		if b.Recurring {
			uid = b.Start.UTC().AppendFormat(append(uid, '/'), caltime.UTCLayout)
		}
		summary, status := "Busy", "CONFIRMED"
		if show && b.Summary != "" {
			summary = b.Summary
		}
		if b.Tentative {
			status = "TENTATIVE"
		}
		dst = line(dst, "BEGIN", "VEVENT")
		dst = line(dst, "DTEND", b.End.UTC().Format(caltime.UTCLayout))
		dst = line(dst, "DTSTAMP", stamp)
		dst = line(dst, "DTSTART", b.Start.UTC().Format(caltime.UTCLayout))
		if show && b.Organizer != "" {
			dst = line(dst, "ORGANIZER", "mailto:"+b.Organizer)
		}
		dst = line(dst, "SEQUENCE", strconv.Itoa(b.Sequence))
		dst = line(dst, "STATUS", status)
		dst = line(dst, "SUMMARY", vcal.EscapeText(summary))
		dst = line(dst, "TRANSP", "OPAQUE")
		dst = line(dst, "UID", vcal.EscapeText(string(uid)))
		dst = line(dst, "END", "VEVENT")
	}
	return line(dst, "END", "VCALENDAR")
}

package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// DefaultFreeBusyDays is the length of the free/busy window when the request
// gives no end: from the start of today (UTC) this many days on.
const DefaultFreeBusyDays = 60

// freeBusy serves GET /freebusy/<user>.ifb?start=...&end=...: the user's
// VFREEBUSY in iCalendar 2.0, the same periods as CIP FREEBUSY.
func (s *Server) freeBusy(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".ifb")
	if !ok {
		http.Error(w, "web: want /freebusy/<user>.ifb", http.StatusNotFound)
		return
	}
	u := s.lookup(w, r, name)
	if u == nil {
		return
	}
	from, to, err := ParseWindow(r.URL.Query().Get("start"), r.URL.Query().Get("end"), s.opts.Now(), DefaultFreeBusyDays)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	modified := time.Unix(s.changed.Load(), 0).UTC()
	c, err := s.sched.FreeBusyComponent(u.ID, from, to, modified)
	if err != nil {
		http.Error(w, "web: too many occurrences in the window", http.StatusRequestEntityTooLarge)
		return
	}
	cal := newCalendar("PUBLISH")
	cal.Children = append(cal.Children, c)
	s.writeCalendar(w, r, cal, modified, u.ID+".ifb")
}

// newCalendar returns an empty VCALENDAR 2.0 with this server's PRODID.
func newCalendar(method string) *ical.Calendar { return vcal.NewCalendar(method) }

// writeCalendar encodes cal and answers it as text/calendar with a strong
// ETag (a hash of the body) and Last-Modified, or 304 when the client's copy
// is current.
func (s *Server) writeCalendar(w http.ResponseWriter, r *http.Request, cal *ical.Calendar, modified time.Time, filename string) {
	var buf bytes.Buffer
	if err := encodeCalendar(&buf, cal); err != nil {
		s.log.Error("web: encoding a calendar", "err", err)
		http.Error(w, "web: encoding failed", http.StatusInternalServerError)
		return
	}
	s.writeCalendarBytes(w, r, buf.Bytes(), modified, filename)
}

// writeCalendarBytes is writeCalendar for a calendar already encoded.
func (s *Server) writeCalendarBytes(w http.ResponseWriter, r *http.Request, body []byte, modified time.Time, filename string) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", modified.Format(http.TimeFormat))
	h.Set("Cache-Control", "no-cache")
	if notModified(r, etag, modified) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", filename))
	w.Write(body)
}

// notModified applies If-None-Match, then (only without it) If-Modified-Since
// (RFC 9110 13.2.2).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !modified.After(t) {
			return true
		}
	}
	return false
}

// ParseWindow reads a start and end in the forms of caltime.ParseWhen: RFC
// 3339 ("2027-03-01T09:00:00Z"), iCalendar UTC ("20270301T090000Z") or a
// date ("2027-03-01", "20270301", midnight UTC). An empty start is the
// start of now's day in UTC; an empty end is days after the start. The
// window must be positive and at most vcal.MaxFreeBusyWindow long.
func ParseWindow(start, end string, now time.Time, days int) (from, to time.Time, err error) {
	if start == "" {
		from = now.UTC().Truncate(24 * time.Hour)
	} else if from, err = parseTime(start); err != nil {
		return from, to, fmt.Errorf("web: start: %w", err)
	}
	if end == "" {
		to = from.AddDate(0, 0, days)
	} else if to, err = parseTime(end); err != nil {
		return from, to, fmt.Errorf("web: end: %w", err)
	}
	if !to.After(from) {
		return from, to, errors.New("web: end must be after start")
	}
	if to.Sub(from) > vcal.MaxFreeBusyWindow {
		return from, to, errors.New("web: window over 366 days")
	}
	return from, to, nil
}

// parseTime is caltime.ParseWhen for a query: at most 40 octets, a year
// from 1900 to 9999.
func parseTime(s string) (time.Time, error) {
	if len(s) > 40 {
		return time.Time{}, errors.New("too long")
	}
	t, err := caltime.ParseWhen(s)
	if err != nil {
		return time.Time{}, err
	}
	if t.Year() < 1900 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q: year out of range", s)
	}
	return t, nil
}

// encodeCalendar encodes cal; a calendar without components (an empty
// feed) is written as its properties alone (vcal.EncodeFeed).
func encodeCalendar(buf *bytes.Buffer, cal *ical.Calendar) error { return vcal.EncodeFeed(buf, cal) }

package web

import (
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
)

//go:embed panel.html
var panelHTML string

// panelTemplate parses the panel page on first use: a daemon whose panel
// is never opened does not keep the template parser resident.
var panelTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("panel").Parse(panelHTML))
})

// panelState is what the panel remembers between requests: check-ins
// (wrong PINs are counted by the Server's guard). It lives in memory only.
type panelState struct {
	mu        sync.Mutex           // serializes panel actions and guards the fields
	checkedIn map[string]time.Time // checkKey -> the booking's end (checkins.go)
}

func newPanelState() *panelState { return &panelState{checkedIn: map[string]time.Time{}} }

// Limits of panel actions.
const (
	minBooking = time.Minute // shorter free time is not booked
)

// panelBooking is one booking as the panel shows it.
type panelBooking struct {
	UID       string    `json:"uid"` // the UID with show_titles, else an opaque reference (bookingref.go)
	Title     string    `json:"title"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Tentative bool      `json:"tentative,omitempty"`
	Own       bool      `json:"own,omitempty"` // booked by the room itself: may be extended
	CheckedIn bool      `json:"checkedIn,omitempty"`
}

// panelView is the JSON state the panel page polls.
type panelView struct {
	Room      string         `json:"room"`
	Now       time.Time      `json:"now"`
	Free      bool           `json:"free"`
	FreeUntil *time.Time     `json:"freeUntil,omitempty"` // start of the next booking today
	Current   *panelBooking  `json:"current,omitempty"`
	Next      []panelBooking `json:"next"`     // the rest of today
	Timeline  []panelBooking `json:"timeline"` // all of today
	DayStart  time.Time      `json:"dayStart"`
	DayEnd    time.Time      `json:"dayEnd"`
	Actions   bool           `json:"actions"`  // a PIN is configured
	GraceSec  int64          `json:"graceSec"` // check-in grace, 0: off
	CheckIn   bool           `json:"checkIn"`  // the current booking may be checked in to
	Message   string         `json:"message,omitempty"`
}

// panelUser finds the resource a panel URL names; people have no panel.
func (s *Server) panelUser(w http.ResponseWriter, r *http.Request) *directory.User {
	u := s.lookup(w, r, r.PathValue("user"))
	if u == nil {
		return nil
	}
	if !u.Kind.Resource() {
		http.Error(w, "web: only rooms and equipment have a panel", http.StatusNotFound)
		return nil
	}
	return u
}

// panelPage serves GET /room/<user>: the page, which then polls its state.
func (s *Server) panelPage(w http.ResponseWriter, r *http.Request) {
	u := s.panelUser(w, r)
	if u == nil {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	if err := panelTemplate().Execute(w, struct{ Room string }{u.ID}); err != nil {
		s.log.Error("web: panel page", "err", err)
	}
}

// panelStateJSON serves GET /room/<user>/state.
func (s *Server) panelStateJSON(w http.ResponseWriter, r *http.Request) {
	u := s.panelUser(w, r)
	if u == nil {
		return
	}
	v, err := s.view(u.ID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// PanelMaxBookings is how many of a day's bookings the panel shows at most.
const PanelMaxBookings = 200

// view builds the panel state of a room for today (the server's zone).
func (s *Server) view(room string) (*panelView, error) {
	now := s.opts.Now().Truncate(time.Second)
	y, m, d := now.Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	dayEnd := dayStart.AddDate(0, 0, 1)
	bs, more, err := s.sched.BookingsUpTo(room, dayStart, dayEnd, PanelMaxBookings)
	if err == nil && more {
		// A day of more bookings than a panel shows (a series every few
		// minutes) is shown from now on, so that the booking going on
		// and the next ones are never left out.
		bs, _, err = s.sched.BookingsUpTo(room, now, dayEnd, PanelMaxBookings)
	}
	if err != nil {
		return nil, err
	}
	v := &panelView{Room: room, Now: now.UTC(), Free: true, DayStart: dayStart.UTC(), DayEnd: dayEnd.UTC(),
		Actions: s.opts.PanelPIN != "", GraceSec: int64(s.opts.CheckInGrace / time.Second),
		Next: []panelBooking{}, Timeline: []panelBooking{}}
	show := s.opts.ShowTitles[room]
	s.panel.mu.Lock()
	defer s.panel.mu.Unlock()
	for _, b := range bs {
		pb := panelBooking{UID: s.shownUID(room, b.UID), Title: "Busy", Start: b.Start, End: b.End, Tentative: b.Tentative,
			Own: b.Organizer == room && !b.Recurring, CheckedIn: s.panel.isCheckedIn(b)}
		if show && b.Summary != "" {
			pb.Title = b.Summary
		}
		v.Timeline = append(v.Timeline, pb)
		switch {
		case !b.Start.After(now) && b.End.After(now):
			if v.Current == nil {
				c := pb
				v.Current = &c
				v.Free = false
			}
		case b.Start.After(now):
			v.Next = append(v.Next, pb)
		}
	}
	if v.Current != nil {
		v.CheckIn = !v.Current.CheckedIn
	}
	if v.Free && len(v.Next) > 0 {
		t := v.Next[0].Start
		v.FreeUntil = &t
	}
	return v, nil
}

func checkKey(b sched.Booking) string { return b.UID + "|" + strconv.FormatInt(b.Start.Unix(), 10) }

// panelAction serves POST /room/<user>/{book,end,extend,checkin}. The PIN
// comes in the X-Panel-Pin header (a custom header, so that no other site's
// form can post it); minutes and uid as form values.
func (s *Server) panelAction(w http.ResponseWriter, r *http.Request) {
	u := s.panelUser(w, r)
	if u == nil {
		return
	}
	if s.opts.PanelPIN == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "Panel actions are off (no panel_pin configured)"})
		return
	}
	if code, text := s.checkPIN(r); code != 0 {
		writeJSON(w, code, map[string]string{"error": text})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request"})
		return
	}
	minutes, _ := strconv.Atoi(r.FormValue("minutes"))
	uid := r.FormValue("uid")
	var err error
	switch r.PathValue("action") {
	case "book":
		err = s.bookNow(r.Context(), u.ID, minutes)
	case "end":
		err = s.endEarly(r.Context(), u.ID, uid, "Ended early at the room panel")
	case "extend":
		err = s.extend(r.Context(), u.ID, uid, minutes)
	case "checkin":
		err = s.checkIn(u.ID, uid)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "No such action"})
		return
	}
	if err != nil {
		code := http.StatusConflict
		if ae, ok := err.(*actionError); ok && ae.internal {
			code = http.StatusInternalServerError
		}
		writeJSON(w, code, map[string]string{"error": err.Error()})
		return
	}
	if r.PathValue("action") == "checkin" {
		// Bookings, ends and extensions reach markChanged through the
		// scheduler (OnChange); a check-in stores nothing there.
		s.markChanged()
	}
	v, verr := s.view(u.ID)
	if verr != nil {
		http.Error(w, verr.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// checkIn marks the room's current booking uid as checked in.
func (s *Server) checkIn(room, uid string) error {
	b, err := s.current(room, uid)
	if err != nil {
		return err
	}
	s.panel.mu.Lock()
	s.panel.markCheckedIn(*b, s.opts.Now())
	s.panel.mu.Unlock()
	return nil
}

// releaseLoop releases bookings nobody checked in to, until stop closes.
func (s *Server) releaseLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	every := s.opts.CheckInGrace / 4
	every = min(max(every, time.Second), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.releaseUnchecked()
		}
	}
}

// releaseUnchecked ends, for every room and equipment, the current booking
// when it started more than CheckInGrace ago, after the server started (a
// restart forgets check-ins), and nobody checked in.
func (s *Server) releaseUnchecked() {
	now := s.opts.Now()
	for _, u := range s.dir.Users() {
		if !u.Kind.Resource() {
			continue
		}
		bs, err := s.sched.Bookings(u.ID, now, now.Add(time.Second))
		if err != nil {
			s.log.Warn("web: check-in release", "user", u.ID, "err", err)
			continue
		}
		for _, b := range bs {
			if b.Start.After(now) || now.Sub(b.Start) < s.opts.CheckInGrace || b.Start.Before(s.started) {
				continue
			}
			s.panel.mu.Lock()
			checked := s.panel.isCheckedIn(b)
			s.panel.mu.Unlock()
			if checked {
				continue
			}
			if err := s.endEarly(context.Background(), u.ID, b.UID, "Released: nobody checked in"); err != nil {
				s.log.Warn("web: check-in release", "user", u.ID, "uid", b.UID, "err", err)
				// Not tried again: the booking stays (a series owned elsewhere).
				s.panel.mu.Lock()
				s.panel.markCheckedIn(b, now)
				s.panel.mu.Unlock()
				continue
			}
			s.log.Info("web: booking released, nobody checked in", "user", u.ID, "uid", b.UID)
		}
	}
}

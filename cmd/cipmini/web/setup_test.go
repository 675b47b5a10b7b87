package web

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/cipmini/cipmini/cipmini/backend"
	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
	"github.com/emersion/go-ical"
)

// The server of the HTTP tests, its PIN and the passwords of its users.
const (
	testServerID = "rooms.test"
	testPIN      = "4321"
	alicePW      = "alice-pw"
	carolPW      = "carol-pw"
	peerPW       = "b-pw"
)

// t0 is when the test clock starts: a Tuesday morning, UTC.
var t0 = time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)

// quietLog discards what the server logs: the tests look at answers only.
var quietLog = slog.New(slog.DiscardHandler)

// testClock is a clock the test moves; the scheduler and the web server
// read the same one. Safe for concurrent use.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newCalendarBackend opens the store in the directory data and builds over
// it the directory and the scheduler the web server reads, on the clock
// now. It is the one place that knows how they are constructed.
//
// The directory is rooms.test with: room-1 to room-4 (rooms anyone may
// invite, accept-if-free), projector (equipment, manual), vault (a room
// whose free/busy is private, with a login), moved (a room that moved to
// room-1), alice (a person, free/busy for logged-in users), carol (a
// person, free/busy private) and the peer b.test.
func newCalendarBackend(t testing.TB, data string, now func() time.Time) (*store.DB, *directory.Directory, *sched.Scheduler) {
	t.Helper()
	d := directory.NewDirectory(testServerID)
	for _, u := range []*directory.User{
		{ID: "room-1@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "room-2@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "room-3@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "room-4@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "projector@rooms.test", Kind: directory.Equipment, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic, Policy: directory.PolicyManual},
		{ID: "vault@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPrivate, Password: directory.PlainSecret("vault-pw")},
		{ID: "moved@rooms.test", Kind: directory.Room, FreeBusy: directory.FreeBusyPublic},
		{ID: "alice@rooms.test", Kind: directory.Person, Password: directory.PlainSecret(alicePW), FreeBusy: directory.FreeBusyAuthenticated},
		{ID: "carol@rooms.test", Kind: directory.Person, Password: directory.PlainSecret(carolPW), FreeBusy: directory.FreeBusyPrivate},
	} {
		if err := d.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddRedirect("moved@rooms.test", "room-1@rooms.test"); err != nil {
		t.Fatal(err)
	}
	if err := d.AddPeer(&directory.Peer{ServerID: "b.test", Password: directory.PlainSecret(peerPW)}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(data, &store.Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sched, err := sched.NewScheduler(db, d, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	sched.Now = now
	return db, d, sched
}

// testEnv is a web Server over a real store, directory and scheduler, with
// the scheduler as the CIP server reaches it (through Server.Backend).
type testEnv struct {
	t       *testing.T
	clock   *testClock
	db      *store.DB
	dir     *directory.Directory
	sched   *sched.Scheduler
	web     *Server
	backend cipmini.Backend
	h       http.Handler
}

// newEnv builds a testEnv at t0 over a new store: PIN testPIN, titles shown
// for room-2, a login guard that answers failures at once, the key
// testRefKey (ics_test.go). edit, if given, changes the options first.
func newEnv(t *testing.T, edit ...func(*Options)) *testEnv {
	t.Helper()
	return newEnvIn(t, t.TempDir(), edit...)
}

// newEnvIn is newEnv over the store in the directory data.
func newEnvIn(t *testing.T, data string, edit ...func(*Options)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, clock: &testClock{now: t0}}
	e.db, e.dir, e.sched = newCalendarBackend(t, data, e.clock.Now)
	e.web = e.newServer(edit...)
	e.backend = cipmini.Chain(backend.New(e.sched, quietLog), e.web.Metrics())
	e.h = e.web.Handler()
	return e
}

// newServer returns another Server over e's store with e's default options,
// changed by edit.
func (e *testEnv) newServer(edit ...func(*Options)) *Server {
	opts := Options{ServerID: testServerID, PanelPIN: testPIN, ShowTitles: map[string]bool{"room-2@rooms.test": true},
		Logger: quietLog, Now: e.clock.Now, Guard: &cipmini.LoginGuard{BaseDelay: -1}, RefKey: testRefKey}
	for _, f := range edit {
		f(&opts)
	}
	return New(e.sched, e.dir, e.db, opts)
}

// serve sends one request to h and returns the answer.
func serve(h http.Handler, r *http.Request) *http.Response {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// requestFrom is httptest.NewRequest from the address remote ("host:port")
// instead of httptest's 192.0.2.1:1234.
func requestFrom(method, target, remote string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = remote
	return r
}

// do sends a request to e's handler; hdr are header names and values.
func (e *testEnv) do(method, target string, body io.Reader, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	resp := serve(e.h, r)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// get is do for a GET.
func (e *testEnv) get(target string, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	return e.do(http.MethodGet, target, nil, hdr...)
}

// getAs is get with HTTP Basic credentials.
func (e *testEnv) getAs(target, login, password string) *http.Response {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.SetBasicAuth(login, password)
	return serve(e.h, r)
}

// panelPost posts a panel action with the PIN (none when empty) and the
// form, and returns the status and the JSON answer decoded into v.
func (e *testEnv) panelPost(room, action, pin string, values url.Values, v any) int {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/room/"+room+"/"+action, strings.NewReader(values.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if pin != "" {
		r.Header.Set("X-Panel-Pin", pin)
	}
	resp := serve(e.h, r)
	if v != nil {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Fatalf("POST %s %s: %s, Content-Type %q", room, action, resp.Status, ct)
		}
		reflect.ValueOf(v).Elem().SetZero() // nothing kept from an earlier answer
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			e.t.Fatalf("POST %s %s: %s: %v", room, action, resp.Status, err)
		}
	}
	return resp.StatusCode
}

// form returns the form of the names and values kv.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// actionErrorJSON is the JSON of a refused panel action.
type actionErrorJSON struct {
	Error string `json:"error"`
}

// stateJSON is the panel state as the page reads it: the field names are
// the page's.
type stateJSON struct {
	Room      string        `json:"room"`
	Now       time.Time     `json:"now"`
	Free      bool          `json:"free"`
	FreeUntil *time.Time    `json:"freeUntil"`
	Current   *bookingJSON  `json:"current"`
	Next      []bookingJSON `json:"next"`
	Timeline  []bookingJSON `json:"timeline"`
	DayStart  time.Time     `json:"dayStart"`
	DayEnd    time.Time     `json:"dayEnd"`
	Actions   bool          `json:"actions"`
	GraceSec  int64         `json:"graceSec"`
	CheckIn   bool          `json:"checkIn"`
}

type bookingJSON struct {
	UID       string    `json:"uid"`
	Title     string    `json:"title"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Tentative bool      `json:"tentative"`
	Own       bool      `json:"own"`
	CheckedIn bool      `json:"checkedIn"`
}

// state returns GET /room/<room>/state.
func (e *testEnv) state(room string) stateJSON {
	e.t.Helper()
	resp, body := e.get("/room/" + room + "/state")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		e.t.Fatalf("GET /room/%s/state: %s %s\n%s", room, resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var v stateJSON
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		e.t.Fatalf("GET /room/%s/state: %v\n%s", room, err, body)
	}
	return v
}

// book books room at the panel for minutes and returns the state after.
func (e *testEnv) book(room string, minutes int) stateJSON {
	e.t.Helper()
	var v stateJSON
	if code := e.panelPost(room, "book", testPIN, url.Values{"minutes": {fmt.Sprint(minutes)}}, &v); code != http.StatusOK {
		e.t.Fatalf("book %s for %d minutes: %d", room, minutes, code)
	}
	return v
}

// invitation is alice's invitation of the attendees (bare local parts) to
// an event from start to end; extra lines go into the VEVENT.
func invitation(uid, summary string, start, end time.Time, attendees []string, extra ...string) []byte {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "METHOD:REQUEST", "BEGIN:VEVENT",
		"UID:" + uid, "SEQUENCE:0", "DTSTAMP:" + t0.Format(caltime.UTCLayout),
		"DTSTART:" + start.UTC().Format(caltime.UTCLayout), "DTEND:" + end.UTC().Format(caltime.UTCLayout),
		"SUMMARY:" + summary, "ORGANIZER:mailto:alice@rooms.test"}
	for _, a := range attendees {
		lines = append(lines, "ATTENDEE;RSVP=TRUE:mailto:"+a+"@rooms.test")
	}
	lines = append(lines, extra...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR", "")
	return []byte(strings.Join(lines, "\r\n"))
}

// invite sends an invitation as alice through the CIP backend and fails
// the test unless it was stored.
func (e *testEnv) invite(data []byte) *cipmini.Reply {
	e.t.Helper()
	rep := e.backend.SendEvent(context.Background(), &cipmini.Request{
		Identity: cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}, Data: data})
	if !rep.Completion.OK {
		e.t.Fatalf("SENDEVENT: %v %v", rep.Info, rep.Completion)
	}
	return rep
}

// feed returns the VEVENTs of GET /calendar/<user>.ics, read back with
// vcal's decoder.
func (e *testEnv) feed(user string) (*http.Response, []ical.Event) {
	e.t.Helper()
	resp, body := e.get("/calendar/" + user + ".ics")
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s.ics: %s\n%s", user, resp.Status, body)
	}
	cal, err := vcal.Decode(strings.NewReader(body), nil)
	if err != nil {
		e.t.Fatalf("GET %s.ics: %v\n%s", user, err, body)
	}
	return resp, cal.Events()
}

// busy returns the busy periods of GET /freebusy/<user>.ifb with the query
// q, read back with vcal's free/busy parser.
func (e *testEnv) busy(user, q string) []vcal.BusyPeriod {
	e.t.Helper()
	return e.busyAs(user, q, "", "")
}

// busyAs is busy with HTTP Basic credentials, none when login is empty.
func (e *testEnv) busyAs(user, q, login, password string) []vcal.BusyPeriod {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/freebusy/"+user+".ifb"+q, nil)
	if login != "" {
		r.SetBasicAuth(login, password)
	}
	resp := serve(e.h, r)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s.ifb%s: %s\n%s", user, q, resp.Status, body)
	}
	fbs, err := vcal.ParseFreeBusy(body, nil)
	if err != nil || len(fbs) != 1 {
		e.t.Fatalf("GET %s.ifb%s: %d components, %v\n%s", user, q, len(fbs), err, body)
	}
	return fbs[0].Periods
}

// prop returns the value of a component's property, "" when absent.
func prop(c *ical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

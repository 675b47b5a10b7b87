package courier

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/backend"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/store"
)

// The scheduler's test environment, as the courier's tests need it: a
// Scheduler over a fresh DB served on a loopback port.

// quietLog is a logger that discards everything.
var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// utcLayout formats a UTC time as iCalendar does.
const utcLayout = "20060102T150405Z"

const stamp1 = "20261120T100000Z"

// schedEnv is a Scheduler over a fresh DB, served by a cipmini.Server on a
// loopback port, as a peer or a user reaches it.
type schedEnv struct {
	t     *testing.T
	dir   *directory.Directory
	data  string
	db    *store.DB
	sched *sched.Scheduler
	addr  string
	srv   *cipmini.Server
}

// testDirectory is the server rooms.test with a room, a projector that
// needs a person's answer, alice (password "alice-pw"), carol, a moved
// user, a group and a looping pair of groups; peer b.test.
func testDirectory(t *testing.T) *directory.Directory {
	d := directory.NewDirectory("rooms.test", "alias.test")
	for _, u := range []*directory.User{
		{ID: "room-1@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "projector@rooms.test", Kind: directory.Equipment, Policy: directory.PolicyManual, FreeBusy: directory.FreeBusyPublic},
		{ID: "alice@rooms.test", Kind: directory.Person, Password: directory.PlainSecret("alice-pw"), FreeBusy: directory.FreeBusyAuthenticated},
		{ID: "carol@rooms.test", Kind: directory.Person, Password: directory.PlainSecret("carol-pw"), FreeBusy: directory.FreeBusyPublic, Invite: directory.InviteAnyone},
	} {
		if err := d.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	d.AddPeer(&directory.Peer{ServerID: "b.test", Password: directory.PlainSecret("b-pw")})
	d.AddPeer(&directory.Peer{ServerID: "x.test", Password: directory.PlainSecret("x-pw")})
	d.AddRedirect("old-room@rooms.test", "room-1@rooms.test")
	d.AddEventRedirect("old-uid@b.test", "new-uid@b.test")
	d.AddGroup("team@rooms.test", []string{"carol", "room-1", "bob@b.test"})
	d.AddGroup("loop-a@rooms.test", []string{"loop-b", "carol"})
	d.AddGroup("loop-b@rooms.test", []string{"loop-a", "room-1"})
	return d
}

func newSchedEnv(t *testing.T) *schedEnv {
	e := &schedEnv{t: t, dir: testDirectory(t), data: t.TempDir()}
	e.start()
	return e
}

// start opens the DB and serves the Scheduler; restart closes and reopens.
func (e *schedEnv) start() {
	t := e.t
	db, err := store.Open(e.data, &store.Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := sched.NewScheduler(db, e.dir, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	sched.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	srv := &cipmini.Server{ServerID: "rooms.test", Backend: backend.New(sched, quietLog), Auth: backend.NewAuth(e.dir), Logger: quietLog, AuthFailureDelay: -1,
		MaxConns: 128, MaxConnsPerAddr: 128}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	e.db, e.sched, e.srv, e.addr = db, sched, srv, l.Addr().String()
	t.Cleanup(e.stop)
}

func (e *schedEnv) stop() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	e.db.Close()
	e.srv = nil
}

func (e *schedEnv) restart() {
	e.stop()
	e.start()
}

// client dials and, with a login, authenticates.
func (e *schedEnv) client(login, password string) *cipmini.Client {
	t := e.t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cipmini.Dial(ctx, e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if login != "" {
		r, err := c.Authenticate(ctx, login, password)
		if err != nil || r.Err() != nil {
			t.Fatalf("login %s: %v %v", login, err, r.Err())
		}
	}
	return c
}

// answer renders a reply as its lines, for comparison.
func answer(r *cipmini.Reply, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var lines []string
	for _, in := range r.Info {
		lines = append(lines, in.String())
	}
	lines = append(lines, r.Completion.String())
	return strings.Join(lines, "\n")
}

func (e *schedEnv) send(c *cipmini.Client, data string) string {
	return answer(c.SendEvent(context.Background(), []byte(data)))
}

// event builds an iCalendar invitation.
func event(uid string, seq int, stamp, start, end, organizer string, attendees ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n")
	fmt.Fprintf(&b, "UID:%s\r\nSEQUENCE:%d\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n", uid, seq, stamp, start, end)
	fmt.Fprintf(&b, "ORGANIZER:mailto:%s\r\n", organizer)
	for _, a := range attendees {
		fmt.Fprintf(&b, "ATTENDEE:mailto:%s\r\n", a)
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String()
}

func expect(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", what, got, want)
	}
}

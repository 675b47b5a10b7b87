package backend

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

var quietLog = slog.New(slog.DiscardHandler)

// newScheduler is a Scheduler over a fresh DB for the server rooms.test
// with room-1, alice (password "alice-pw") and the peer b.test (password
// "b-pw"); the event old-uid@b.test moved to new-uid@b.test.
func newScheduler(t *testing.T) (*sched.Scheduler, *directory.Directory) {
	t.Helper()
	d := directory.NewDirectory("rooms.test")
	for _, u := range []*directory.User{
		{ID: "room-1@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "alice@rooms.test", Kind: directory.Person, Password: directory.PlainSecret("alice-pw"), FreeBusy: directory.FreeBusyAuthenticated},
	} {
		if err := d.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	d.AddPeer(&directory.Peer{ServerID: "b.test", Password: directory.PlainSecret("b-pw")})
	d.AddEventRedirect("old-uid@b.test", "new-uid@b.test")
	db, err := store.Open(t.TempDir(), &store.Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := sched.NewScheduler(db, d, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	return s, d
}

// A refusal of the store's cap is a temporary failure with the
// Scheduler's words.
func TestErrorReplyStoreFull(t *testing.T) {
	s, _ := newScheduler(t)
	s.MaxStoreBytes = 1
	ev, err := vcal.NewEvent(vcal.EventFields{UID: "f1@rooms.test", DTStamp: time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC),
		Start: time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC), End: time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC),
		Organizer: vcal.Participant{Address: "alice@rooms.test"}, Attendees: []vcal.Participant{{Address: "room-1@rooms.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Deliver(context.Background(), sched.As("alice@rooms.test"), ev, 0)
	var se *sched.Error
	if !errors.As(err, &se) || se.Kind != sched.ErrStoreFull {
		t.Fatalf("full store: %v, want ErrStoreFull", err)
	}
	if r := errorReply(err); r.Completion.String() != "NO 007 Calendar storage full: new invitations are refused until space is freed" {
		t.Errorf("on the wire: %s", r.Completion)
	}
}

// An answer about a moved event names its new UID.
func TestErrorReplyMovedEvent(t *testing.T) {
	s, _ := newScheduler(t)
	moved := &vcal.Reply{UID: "old-uid@b.test", Attendees: []vcal.Participant{{Address: "alice@rooms.test", PartStat: sched.Accepted}}}
	_, err := s.Answer(context.Background(), sched.As("alice@rooms.test"), moved)
	var se *sched.Error
	if !errors.As(err, &se) || se.Kind != sched.ErrUnknownEvent || se.Redirect != "new-uid@b.test" {
		t.Fatalf("moved event: %v, want ErrUnknownEvent to new-uid@b.test", err)
	}
	if r := errorReply(err); len(r.Info) != 1 || r.Info[0].String() != "* REDIRECT EVENT old-uid@b.test IS NOW new-uid@b.test" ||
		r.Completion.String() != "NO 004 "+se.Text {
		t.Errorf("moved event on the wire: %+v", r)
	}
	if r := errorReply(errors.New("disk on fire")); r.Completion.String() != "NO 007 Storage error, try again later" || r.Info != nil {
		t.Errorf("another error on the wire: %+v", r)
	}
}

// Every ErrorKind has its code.
func TestErrorCodes(t *testing.T) {
	for k := sched.ErrInvalid; k <= sched.ErrTemporary; k++ {
		if _, ok := errorCodes[k]; !ok {
			t.Errorf("no code for ErrorKind %d", k)
		}
	}
}

// A login is a user's or a peer's identity, or ErrAuthFailed.
func TestAuth(t *testing.T) {
	_, d := newScheduler(t)
	a := NewAuth(d)
	ctx := context.Background()
	for _, tc := range []struct {
		login, pw string
		want      cipmini.Identity
		err       error
	}{
		{"alice", "alice-pw", cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}, nil},
		{"b.test", "b-pw", cipmini.Identity{Kind: cipmini.Peer, Name: "b.test"}, nil},
		{"alice", "b-pw", cipmini.Identity{}, cipmini.ErrAuthFailed},
		{"nobody", "x", cipmini.Identity{}, cipmini.ErrAuthFailed},
	} {
		if id, err := a.Login(ctx, nil, tc.login, tc.pw); id != tc.want || err != tc.err {
			t.Errorf("%s/%s: %+v, %v; want %+v, %v", tc.login, tc.pw, id, err, tc.want, tc.err)
		}
	}
}

// The identity of a request reaches the Scheduler's rules: an anonymous
// client may not read alice's free/busy time, alice may.
func TestFreeBusyIdentity(t *testing.T) {
	s, _ := newScheduler(t)
	b := New(s, quietLog)
	data := []byte("ATTENDEE: alice@rooms.test\r\nDTSTART: 20270301T000000Z\r\nDTEND: 20270302T000000Z\r\n")
	r := b.FreeBusy(context.Background(), &cipmini.Request{Data: data})
	if r.Completion.String() != "NO 000 No free/busy information for these users" || len(r.Info) != 1 || r.Info[0].String() != "* PERMDENIED alice@rooms.test" {
		t.Errorf("anonymous: %+v", r)
	}
	r = b.FreeBusy(context.Background(), &cipmini.Request{Identity: cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}, Data: data})
	if r.Completion.String() != "OK 000 Free/busy follows" || len(r.Info) != 0 || len(r.Data) == 0 {
		t.Errorf("alice: %+v", r)
	}
}

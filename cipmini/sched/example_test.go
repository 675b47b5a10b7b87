package sched_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// Alice books a room and invites Carol: the room, free, accepts at once;
// Carol has yet to answer; a user the server does not know is not found.
// The outcomes are typed values; SendEvent turns the same into "* CONFIRMED"
// and the other lines of the wire.
func ExampleScheduler_Deliver() {
	dir, _ := os.MkdirTemp("", "sched-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(dir, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	users := directory.NewDirectory("rooms.test")
	users.AddUser(&directory.User{ID: "room-1@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone})
	users.AddUser(&directory.User{ID: "alice@rooms.test", Kind: directory.Person})
	users.AddUser(&directory.User{ID: "carol@rooms.test", Kind: directory.Person})
	s, err := sched.NewScheduler(db, users, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	s.OnChange(func() { fmt.Println("changed") })

	start := time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)
	ev, err := vcal.NewEvent(vcal.EventFields{
		UID: "review@rooms.test", DTStamp: start.Add(-time.Hour), Start: start, End: start.Add(time.Hour),
		Summary:   "Design review",
		Organizer: vcal.Participant{Address: "alice@rooms.test"},
		Attendees: []vcal.Participant{{Address: "room-1@rooms.test"}, {Address: "carol@rooms.test"}, {Address: "nobody@rooms.test"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := s.Deliver(context.Background(), sched.As("alice@rooms.test"), ev, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range d.Outcomes {
		fmt.Println(o.Kind, o.User)
	}
	fmt.Println(d.Text())
	bs, _ := s.Bookings("room-1@rooms.test", start, start.Add(time.Hour))
	fmt.Println(bs[0].Summary, bs[0].Start.Format(time.Kitchen))
	// Output:
	// changed
	// CONFIRMED room-1@rooms.test
	// TENTATIVE carol@rooms.test
	// NOTFOUND nobody@rooms.test
	// Not all participants here received it
	// Design review 10:00AM
}

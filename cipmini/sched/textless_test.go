package sched

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
)

// sendAs has id send the event text and returns the whole answer.
func (e *roomsEnv) sendAs(id cipmini.Identity, ev string) string {
	return answer(cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Identity: id, Data: []byte(ev)}), nil)
}

// A declined invitation and a tombstone are one kind of record: no text,
// the versioning fields, the answers and the end of the event. The
// declined one keeps its end; a cancellation from anyone but the
// organizer's server is refused; the organizer's cancellation makes it a
// tombstone that refuses older versions; Maintain retires both once their
// time is past, and a newer version is judged anew.
func TestDeclinedAndTombstoneAreOneRecord(t *testing.T) {
	e := newRoomsEnv(t)
	// A record without text goes once its time is past and KeepHistory
	// after its last change.
	e.sched.KeepHistory = 35 * 24 * time.Hour
	e.sched.dir.AddPeer(&directory.Peer{ServerID: "x.test", Password: directory.PlainSecret("x-pw")})
	e.sched.dir.AddPeer(&directory.Peer{ServerID: "y.test", Password: directory.PlainSecret("y-pw")})
	x := cipmini.Identity{Kind: cipmini.Peer, Name: "x.test"}
	y := cipmini.Identity{Kind: cipmini.Peer, Name: "y.test"}
	mar := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	apr := time.Date(2027, 4, 10, 9, 0, 0, 0, time.UTC)
	f := func(t time.Time) string { return t.Format(utcLayout) }
	expect(t, "alice's booking", e.book("mine@rooms.test", 0, "room-1@rooms.test", mar, false), "OK 000 Stored")
	expect(t, "alice's April booking", e.book("april@rooms.test", 0, "room-1@rooms.test", apr, false), "OK 000 Stored")
	clash := event("d1@x.test", 1, stamp1, f(mar), f(mar.Add(time.Hour)), "tom@x.test", "room-1@rooms.test")
	expect(t, "invitation at a booked time", e.sendAs(x, clash), "* DECLINED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	rec, err := e.sched.load("d1@x.test")
	if err != nil || rec == nil || !rec.textless() || rec.tombstone() || rec.Ends != mar.Add(time.Hour).Unix() {
		t.Fatalf("declined invitation: %+v %v", rec, err)
	}
	// A stale version is refused; a stranger may not cancel it.
	stale := event("d1@x.test", 0, stamp1, f(mar), f(mar.Add(time.Hour)), "tom@x.test", "room-1@rooms.test")
	expect(t, "stale", e.sendAs(x, stale), "NO 005 Stale version: a newer one is stored")
	cancel := strings.Replace(event("d1@x.test", 2, stamp1, f(mar), f(mar.Add(time.Hour)), "tom@x.test", "room-1@rooms.test"),
		"END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT", 1)
	cancel = strings.Replace(cancel, "METHOD:REQUEST", "METHOD:CANCEL", 1)
	expect(t, "y.test cancels x.test's", e.sendAs(y, cancel),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND tom@x.test\nNO 000 Not stored: only the organizer may change this event")
	expect(t, "x.test cancels", e.sendAs(x, cancel), "* NOTFOUND tom@x.test\nOK 000 Cancelled")
	rec, _ = e.sched.load("d1@x.test")
	if rec == nil || !rec.tombstone() || rec.Ends != mar.Add(time.Hour).Unix() || rec.Sequence != 2 || len(rec.entries()) != 2 {
		t.Fatalf("the cancelled declined invitation is no tombstone with its end and history: %+v", rec)
	}
	expect(t, "stale after the cancellation", e.sendAs(x, clash), "NO 005 Stale version: a newer one is stored")

	// A tombstone made by Maintain refuses a stranger too, and a newer
	// version from the organizer is judged anew: the April time is taken.
	expect(t, "x.test's April invitation", e.sendAs(x, event("t1@x.test", 0, stamp1, f(apr.Add(2*time.Hour)), f(apr.Add(3*time.Hour)), "tom@x.test", "room-1@rooms.test")),
		"* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	tCancel := strings.Replace(strings.Replace(event("t1@x.test", 1, stamp1, f(apr.Add(2*time.Hour)), f(apr.Add(3*time.Hour)), "tom@x.test", "room-1@rooms.test"),
		"END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT", 1), "METHOD:REQUEST", "METHOD:CANCEL", 1)
	expect(t, "x.test cancels t1", e.sendAs(x, tCancel), "* NOTFOUND tom@x.test\nOK 000 Cancelled")
	e.now = time.Date(2027, 2, 1, 3, 30, 0, 0, time.UTC)
	rep, err := e.sched.Maintain(e.now)
	if err != nil || rep.Tombstones != 1 || rep.Archived != 1 || rep.Retired != 0 || rep.Live != 4 {
		t.Fatalf("first night: %+v %v", rep, err)
	}
	if rec, _ := e.sched.load("t1@x.test"); rec == nil || !rec.tombstone() || rec.Ends != apr.Add(3*time.Hour).Unix() || len(rec.Holders) != 1 {
		t.Fatalf("t1's tombstone: %+v", rec)
	}
	expect(t, "y.test revives t1", e.sendAs(y, event("t1@x.test", 5, stamp1, f(apr), f(apr.Add(time.Hour)), "tom@x.test", "room-1@rooms.test")),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND tom@x.test\nNO 000 Not stored: only the organizer may change this event")
	expect(t, "x.test revives t1 onto alice's April booking", e.sendAs(x, event("t1@x.test", 5, stamp1, f(apr), f(apr.Add(time.Hour)), "tom@x.test", "room-1@rooms.test")),
		"* DECLINED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")

	// March 11th: d1's time is past; its record leaves the live store
	// (no text: nothing to archive), alice's booking stays.
	e.now = time.Date(2027, 3, 11, 3, 30, 0, 0, time.UTC)
	rep, err = e.sched.Maintain(e.now)
	if err != nil || rep.Retired != 1 || rep.Archived != 0 {
		t.Fatalf("March: %+v %v", rep, err)
	}
	if rec, _ := e.sched.load("d1@x.test"); rec != nil {
		t.Fatalf("d1 still live: %+v", rec)
	}
	// t1, revived and declined, is a declined invitation again: it goes
	// once April 10th is past.
	if rec, _ := e.sched.load("t1@x.test"); rec == nil || !rec.textless() || rec.Cancelled || rec.Ends != apr.Add(time.Hour).Unix() {
		t.Fatalf("t1 revived: %+v", rec)
	}
	e.now = time.Date(2027, 4, 11, 3, 30, 0, 0, time.UTC)
	if rep, err = e.sched.Maintain(e.now); err != nil || rep.Retired != 1 {
		t.Fatalf("April: %+v %v", rep, err)
	}
	if rec, _ := e.sched.load("t1@x.test"); rec != nil {
		t.Fatalf("t1 still live: %+v", rec)
	}
}

// An archived event carries its history, the store's own: a history the
// event came with is not.
func TestArchiveKeepsHistory(t *testing.T) {
	e := newRoomsEnv(t)
	e.sched.KeepHistory = 24 * time.Hour
	jan := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	ev := event("h1@rooms.test", 0, stamp1, jan.Format(utcLayout), jan.Add(time.Hour).Format(utcLayout), "alice@rooms.test", "room-1@rooms.test")
	forged := strings.Replace(ev, "END:VEVENT", `X-CIPMINI-HISTORY:{"t":1\,"by":"user mallory"\,"what":"new"\,"seq":0}`+"\r\nEND:VEVENT", 1)
	expect(t, "booking", e.sendAs(e.alice, forged), "* CONFIRMED room-1@rooms.test\nOK 000 Stored")
	e.now = e.now.Add(time.Hour)
	moved := event("h1@rooms.test", 1, stamp1, jan.Add(time.Hour).Format(utcLayout), jan.Add(2*time.Hour).Format(utcLayout), "alice@rooms.test", "room-1@rooms.test")
	expect(t, "move", e.sendAs(e.alice, moved), "* CONFIRMED room-1@rooms.test\nOK 000 Stored")
	e.now = time.Date(2027, 1, 20, 3, 30, 0, 0, time.UTC)
	if rep, err := e.sched.Maintain(e.now); err != nil || rep.Archived != 1 || rep.Retired != 1 {
		t.Fatalf("maintenance: %+v %v", rep, err)
	}
	got, err := FindArchived(e.data, "h1@rooms.test")
	if err != nil || len(got) != 1 || len(got[0].History) != 2 || strings.Contains(got[0].Text, "mallory") {
		t.Fatalf("archived: %+v %v", got, err)
	}
	h := got[0].History
	if h[0].Change != "new" || h[0].By != "user alice@rooms.test" || h[1].Change != "move" || h[1].Sequence != 1 ||
		h[1].Answers["room-1@rooms.test"] != Accepted {
		t.Fatalf("archived history: %+v", h)
	}
}

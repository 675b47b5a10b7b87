package sched

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pastEvents books n one-hour events on January 2nd, p0@rooms.test ...
func pastEvents(t *testing.T, e *roomsEnv, n int) []string {
	var uids []string
	for i := 0; i < n; i++ {
		uid := fmt.Sprintf("p%d@rooms.test", i)
		at := time.Date(2027, 1, 2, 8+i, 0, 0, 0, time.UTC)
		expect(t, uid, e.book(uid, 0, "room-1@rooms.test", at, false), "OK 000 Stored")
		uids = append(uids, uid)
	}
	return uids
}

// A crash after a batch's archive append is fsynced and before its live
// records are deleted loses no event: the events are still live after
// the restart, the next night archives them again, and the archive
// holds them twice but FindArchived reads them once.
func TestMaintainCutBetweenArchiveAndDelete(t *testing.T) {
	e := newRoomsEnv(t)
	e.sched.KeepHistory = 24 * time.Hour
	uids := pastEvents(t, e, 5)
	e.now = time.Date(2027, 1, 10, 3, 30, 0, 0, time.UTC)
	cut := errors.New("cut")
	batches := 0
	e.sched.retireHooks = retireHooks{batch: 2, synced: func() error {
		if batches++; batches == 2 {
			return cut
		}
		return nil
	}}
	if _, err := e.sched.Maintain(e.now); !errors.Is(err, cut) {
		t.Fatalf("the cut run: %v", err)
	}
	// The process dies here: the store is opened again.
	e.reopen()
	s := e.sched
	for i, uid := range uids {
		rec, _ := s.load(uid)
		got, _ := FindArchived(e.data, uid)
		if rec == nil && len(got) == 0 {
			t.Fatalf("%s lost by the cut", uid)
		}
		if (i < 2) != (rec == nil) || (i < 4) != (len(got) == 1) {
			t.Fatalf("%s after the cut: live %v, archived %d", uid, rec != nil, len(got))
		}
	}
	rep, err := s.Maintain(e.now.Add(24 * time.Hour))
	if err != nil || rep.Archived != 3 || rep.Retired != 3 || rep.Live != 0 {
		t.Fatalf("the next night: %+v %v", rep, err)
	}
	f, _ := os.Open(filepath.Join(e.data, ArchiveDirName, "2027.ics.gz"))
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(zr)
	for i, uid := range uids {
		want := 1
		if i == 2 || i == 3 {
			want = 2 // archived twice
		}
		if n := bytes.Count(all, []byte("UID:"+uid+"\r\n")); n != want {
			t.Fatalf("%s is %d times in the archive, want %d", uid, n, want)
		}
		if got, err := FindArchived(e.data, uid); err != nil || len(got) != 1 {
			t.Fatalf("%s read %d times, %v", uid, len(got), err)
		}
	}
}

// Maintain releases the Scheduler between batches: a booking goes through
// meanwhile, and an event moved to the future meanwhile, though listed as
// due, is judged again in its batch and stays live.
func TestMaintainLetsBookingsThroughBetweenBatches(t *testing.T) {
	e := newRoomsEnv(t)
	e.sched.KeepHistory = 24 * time.Hour
	pastEvents(t, e, 6)
	e.now = time.Date(2027, 1, 10, 3, 30, 0, 0, time.UTC)
	future := time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
	var answers []string
	e.sched.retireHooks = retireHooks{batch: 2, between: func() {
		if len(answers) > 0 {
			return
		}
		done := make(chan []string, 1)
		go func() {
			done <- []string{
				e.book("new@rooms.test", 0, "room-2@rooms.test", future, false),
				e.book("p5@rooms.test", 1, "room-1@rooms.test", future, false),
			}
		}()
		select {
		case answers = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a booking waited for the whole nightly step")
		}
	}}
	rep, err := e.sched.Maintain(e.now)
	if err != nil || rep.Archived != 5 || rep.Retired != 5 || rep.Live != 2 {
		t.Fatalf("%+v %v", rep, err)
	}
	if answers[0] != "OK 000 Stored" || answers[1] != "OK 000 Stored" {
		t.Fatalf("bookings between batches: %q", answers)
	}
	if rec, _ := e.sched.load("p5@rooms.test"); rec == nil || rec.Sequence != 1 {
		t.Fatalf("p5, moved to the future meanwhile, was retired: %+v", rec)
	}
	if got, _ := FindArchived(e.data, "p5@rooms.test"); len(got) != 0 {
		t.Fatalf("p5 archived: %+v", got)
	}
}

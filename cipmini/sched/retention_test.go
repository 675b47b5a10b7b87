package sched

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/store"
)

// yearsFlag runs the simulation of TestFiveYears for longer or shorter.
var yearsFlag = flag.Int("years", 0, "years TestFiveYears simulates (default 5; 1 on 32-bit ARM, which CI emulates)")

// roomsEnv is a Scheduler in-process over four rooms booked by alice.
type roomsEnv struct {
	t     *testing.T
	data  string
	db    *store.DB
	sched *Scheduler
	now   time.Time
	alice cipmini.Identity
}

func newRoomsEnv(t *testing.T) *roomsEnv {
	d := directory.NewDirectory("rooms.test")
	for i := 1; i <= 4; i++ {
		if err := d.AddUser(&directory.User{ID: fmt.Sprintf("room-%d@rooms.test", i), Kind: directory.Room, FreeBusy: directory.FreeBusyPublic}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddUser(&directory.User{ID: "alice@rooms.test", Kind: directory.Person, Password: directory.PlainSecret("a")}); err != nil {
		t.Fatal(err)
	}
	e := &roomsEnv{t: t, data: t.TempDir(), now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		alice: cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}}
	db, err := store.Open(e.data, &store.Options{Sync: store.SyncNever, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := NewScheduler(db, d, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return e.now }
	e.db, e.sched = db, s
	return e
}

// reopen closes the store and opens it again, as a restarted process
// would, with a new Scheduler on the same clock and retention.
func (e *roomsEnv) reopen() {
	t := e.t
	e.db.Close()
	db, err := store.Open(e.data, &store.Options{Sync: store.SyncNever, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := NewScheduler(db, e.sched.dir, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	s.Now, s.KeepHistory = e.sched.Now, e.sched.KeepHistory
	e.db, e.sched = db, s
}

// book sends alice's version seq of uid for room at start (an hour), or
// its cancellation, and returns the answer's completion.
func (e *roomsEnv) book(uid string, seq int, room string, start time.Time, cancel bool) string {
	ev := event(uid, seq, e.now.UTC().Format(utcLayout), start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout),
		"alice@rooms.test", room)
	if cancel {
		ev = strings.Replace(ev, "METHOD:REQUEST", "METHOD:CANCEL", 1)
	}
	r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Identity: e.alice, Data: []byte(ev)})
	return r.Completion.String()
}

// A past event leaves the live store for the archive after KeepHistory; a
// cancelled future one becomes a tombstone that still refuses an older
// version, then retires once its time is past; the archive finds both.
func TestMaintainRetiresAndTombstones(t *testing.T) {
	e := newRoomsEnv(t)
	e.sched.KeepHistory = 30 * 24 * time.Hour
	jan := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	mar := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	expect(t, "past booking", e.book("past@rooms.test", 0, "room-1@rooms.test", jan, false), "OK 000 Stored")
	expect(t, "future booking", e.book("future@rooms.test", 3, "room-2@rooms.test", mar, false), "OK 000 Stored")
	e.now = e.now.Add(time.Hour)
	expect(t, "cancellation", e.book("future@rooms.test", 4, "room-2@rooms.test", mar, true), "OK 000 Cancelled")

	e.now = time.Date(2027, 1, 20, 3, 30, 0, 0, time.UTC)
	rep, err := e.sched.Maintain(e.now)
	if err != nil || rep.Archived != 1 || rep.Tombstones != 1 || rep.Retired != 0 || rep.Live != 2 {
		t.Fatalf("first night: %+v %v", rep, err)
	}
	// The tombstone refuses the older version, with or without the text.
	expect(t, "stale version", e.book("future@rooms.test", 3, "room-2@rooms.test", mar, false), "NO 005 Stale version: a newer one is stored")
	if got := e.sched.FreeBusyComponent; got == nil {
		t.Fatal("no free/busy")
	}
	ps, _ := e.sched.Bookings("room-2@rooms.test", mar.Add(-time.Hour), mar.Add(2*time.Hour))
	if len(ps) != 0 {
		t.Fatalf("cancelled event busy: %+v", ps)
	}
	// It survives a restart as a tombstone.
	e.reopen()
	expect(t, "stale version after a restart", e.book("future@rooms.test", 2, "room-2@rooms.test", mar, false), "NO 005 Stale version: a newer one is stored")

	// February 20th: the January event is over by more than 30 days.
	e.now = time.Date(2027, 2, 20, 3, 30, 0, 0, time.UTC)
	rep, err = e.sched.Maintain(e.now)
	if err != nil || rep.Archived != 1 || rep.Retired != 1 || rep.Live != 1 {
		t.Fatalf("February: %+v %v", rep, err)
	}
	// March 11th: the cancelled event's time is past; its tombstone goes.
	e.now = time.Date(2027, 3, 11, 3, 30, 0, 0, time.UTC)
	rep, err = e.sched.Maintain(e.now)
	if err != nil || rep.Retired != 1 || rep.Archived != 0 || rep.Live != 0 {
		t.Fatalf("March: %+v %v", rep, err)
	}

	got, err := FindArchived(e.data, "past@rooms.test")
	if err != nil || len(got) != 1 || got[0].File != "2027.ics.gz" || got[0].Event.Cancelled ||
		!strings.Contains(got[0].Text, "ATTENDEE;PARTSTAT=ACCEPTED") {
		t.Fatalf("archived past event: %+v %v", got, err)
	}
	got, err = FindArchived(e.data, "future@rooms.test")
	if err != nil || len(got) != 1 || !got[0].Event.Cancelled || got[0].Event.Sequence != 3 {
		t.Fatalf("archived cancelled event: %+v %v", got, err)
	}
	if got, err := FindArchived(e.data, "nothing@rooms.test"); err != nil || len(got) != 0 {
		t.Fatalf("unknown UID: %+v %v", got, err)
	}
}

// KeepHistory 0 keeps everything.
func TestMaintainKeepsAllWithZero(t *testing.T) {
	e := newRoomsEnv(t)
	e.sched.KeepHistory = 0
	expect(t, "booking", e.book("k@rooms.test", 0, "room-1@rooms.test", e.now.Add(24*time.Hour), false), "OK 000 Stored")
	e.now = e.now.AddDate(5, 0, 0)
	if rep, err := e.sched.Maintain(e.now); err != nil || rep.Archived+rep.Retired != 0 || rep.Live != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
}

// A batch torn by a crash is cut off by the next append; a copy written
// twice (a crash between archive and delete) is found once.
func TestArchiveTornTailAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	obj := func(uid string) string {
		return event(uid, 1, stamp1, "20270101T100000Z", "20270101T110000Z", "alice@rooms.test", "room-1@rooms.test")
	}
	if err := appendArchive(dir, 2027, []string{obj("a@x"), obj("b@x")}, nil, quietLog); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ArchiveDirName, "2027.ics.gz")
	whole, _ := os.ReadFile(path)
	if err := appendArchive(dir, 2027, []string{obj("c@x")}, nil, quietLog); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)
	// A crash in the middle of the second batch.
	os.WriteFile(path, full[:len(whole)+(len(full)-len(whole))/2], 0o600)
	if got, err := FindArchived(dir, "a@x"); err != nil || len(got) != 1 {
		t.Fatalf("before the torn batch: %+v %v", got, err)
	}
	if err := appendArchive(dir, 2027, []string{obj("c@x"), obj("a@x")}, nil, quietLog); err != nil {
		t.Fatal(err)
	}
	for _, uid := range []string{"a@x", "b@x", "c@x"} {
		if got, err := FindArchived(dir, uid); err != nil || len(got) != 1 {
			t.Fatalf("%s: %d copies, %v", uid, len(got), err)
		}
	}
}

// Five simulated years of 20 bookings a day on each of four rooms, booked
// a week ahead, a quarter of them moved, a tenth cancelled, with the
// nightly step at 03:30: the live store stays within KeepHistory's worth
// of events, the heap and data file level off, the first year's events
// are in the archive, and an old SEQUENCE of a cancelled future event is
// still refused. go test ./store -run FiveYears -v prints the numbers.
func TestFiveYears(t *testing.T) {
	years := *yearsFlag
	perDay := 20
	if years == 0 {
		years = 5
		if runtime.GOARCH == "arm" {
			years, perDay = 2, 5
		}
	}
	e := newRoomsEnv(t)
	keepDays := 400
	e.sched.KeepHistory = time.Duration(keepDays) * 24 * time.Hour
	start := e.now
	days := years * 365
	// The bound: keep_history_days of history plus the week ahead, and
	// tombstones for cancellations in that week.
	bound := (keepDays + 8) * perDay * 4
	var firstUID, cancelledUID string
	var cancelledAt time.Time
	var heapAt []uint64
	for day := 0; day < days; day++ {
		e.now = start.AddDate(0, 0, day).Add(3*time.Hour + 30*time.Minute)
		if _, err := e.sched.Maintain(e.now); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(6 * time.Hour)
		when := start.AddDate(0, 0, day+7)
		for room := 1; room <= 4; room++ {
			roomID := fmt.Sprintf("room-%d@rooms.test", room)
			for i := 0; i < perDay; i++ {
				uid := fmt.Sprintf("d%d-r%d-%d@rooms.test", day, room, i)
				at := when.Add(7*time.Hour + time.Duration(i)*30*time.Minute)
				if got := e.book(uid, 0, roomID, at, false); got != "OK 000 Stored" {
					t.Fatalf("day %d: booking %s: %s", day, uid, got)
				}
				if firstUID == "" {
					firstUID = uid
				}
				switch {
				case i%10 == 3:
					if got := e.book(uid, 1, roomID, at, true); got != "OK 000 Cancelled" {
						t.Fatalf("cancelling %s: %s", uid, got)
					}
					cancelledUID, cancelledAt = uid, at
				case i%4 == 1:
					if got := e.book(uid, 1, roomID, at.Add(15*time.Minute), false); got != "OK 000 Stored" {
						t.Fatalf("moving %s: %s", uid, got)
					}
				}
			}
		}
		if live := e.sched.LiveEvents(); live > bound {
			t.Fatalf("day %d: %d live events, bound %d", day, live, bound)
		}
		if (day+1)%365 == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapAt = append(heapAt, ms.HeapAlloc)
			st := e.db.Stats()
			t.Logf("year %d: %d live events, heap %.1f MiB, process RSS %s, data file %.1f MiB (live %.1f MiB)", (day+1)/365,
				e.sched.LiveEvents(), float64(ms.HeapAlloc)/(1<<20), selfRSS(), float64(st.FileSize)/(1<<20), float64(st.LiveBytes)/(1<<20))
		}
	}
	// Past the first year and a month the store holds the same number of
	// days: the heap levels off.
	if n := len(heapAt); n >= 3 && float64(heapAt[n-1]) > 1.3*float64(heapAt[1]) {
		t.Fatalf("heap grows: %v", heapAt)
	}
	if ents, err := os.ReadDir(filepath.Join(e.data, ArchiveDirName)); err == nil {
		var sizes []string
		for _, en := range ents {
			if fi, err := en.Info(); err == nil {
				sizes = append(sizes, fmt.Sprintf("%s %.1f MiB", en.Name(), float64(fi.Size())/(1<<20)))
			}
		}
		t.Logf("archive: %s", strings.Join(sizes, ", "))
	}
	if days > keepDays+7 {
		got, err := FindArchived(e.data, firstUID)
		if err != nil || len(got) != 1 || got[0].File != fmt.Sprintf("%d.ics.gz", start.Year()) {
			t.Fatalf("the first event in the archive: %+v %v", got, err)
		}
	}
	// The last cancellation is a week ahead; after the night's step it is a
	// tombstone that still refuses its first version.
	e.now = e.now.Add(24 * time.Hour).Truncate(24 * time.Hour).Add(3*time.Hour + 30*time.Minute)
	if _, err := e.sched.Maintain(e.now); err != nil {
		t.Fatal(err)
	}
	if rec, _ := e.sched.load(cancelledUID); rec == nil || !rec.tombstone() {
		t.Fatalf("%s is not a tombstone: %+v", cancelledUID, rec)
	}
	if got := e.book(cancelledUID, 0, "room-1@rooms.test", cancelledAt, false); got != "NO 005 Stale version: a newer one is stored" {
		t.Fatalf("stale version of a cancelled event: %s", got)
	}
	if got, _ := FindArchived(e.data, cancelledUID); len(got) != 1 || !got[0].Event.Cancelled {
		t.Fatalf("the cancelled event's archive copy: %+v", got)
	}
}

// selfRSS returns this process's VmRSS line value, or "?" off Linux.
func selfRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

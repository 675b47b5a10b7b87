package sched

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// benchEnv is a schedEnv for benchmarks.
func benchEnv(b *testing.B, sync store.SyncPolicy) *schedEnv {
	e := &schedEnv{dir: testDirectoryB(b), data: b.TempDir()}
	db, err := store.Open(e.data, &store.Options{Logger: quietLog, Sync: sync})
	if err != nil {
		b.Fatal(err)
	}
	sched, err := NewScheduler(db, e.dir, quietLog)
	if err != nil {
		b.Fatal(err)
	}
	sched.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	e.db, e.sched = db, sched
	b.Cleanup(func() { db.Close() })
	return e
}

func testDirectoryB(b *testing.B) *directory.Directory {
	d := directory.NewDirectory("rooms.test")
	for _, u := range []*directory.User{
		{ID: "room-1@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "carol@rooms.test", Kind: directory.Person, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "hall@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic, Policy: directory.PolicyAcceptAlways},
		{ID: "booker@rooms.test", Kind: directory.Person, Password: directory.PlainSecret("pw")},
	} {
		if err := d.AddUser(u); err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// slot returns the i-th one-hour booking slot from 2027-01-01, 12 a day.
func slot(i int) (string, string) {
	start := time.Date(2027, 1, 1, 7, 0, 0, 0, time.UTC).AddDate(0, 0, i/12).Add(time.Duration(i%12) * time.Hour)
	return start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout)
}

// fill books n slots of room-1 directly through the Scheduler.
func (e *schedEnv) fill(b *testing.B, n int) {
	for i := 0; i < n; i++ {
		s, en := slot(i)
		ev := event(fmt.Sprintf("fill-%d@x.test", i), 0, stamp1, s, en, "tom@x.test", "room-1@rooms.test")
		r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)})
		if !r.Completion.OK || r.Info[0].Code != cipmini.InfoConfirmed {
			b.Fatalf("fill %d: %+v", i, r)
		}
	}
}

// serve puts the Scheduler behind a Server on loopback.
func (e *schedEnv) serve(b *testing.B) string {
	srv := &cipmini.Server{ServerID: "rooms.test", Backend: cip(e.sched), Auth: CIPAuth(e.dir), Logger: quietLog, MaxConns: 100}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// BenchmarkSendEvent16Clients measures SENDEVENT throughput over loopback
// with 16 clients booking room-1 at distinct times, each answer sent after
// the booking is on disk (sync always) or after it is written (sync every
// second).
func BenchmarkSendEvent16Clients(b *testing.B) {
	for _, sp := range []store.SyncPolicy{store.SyncAlways, store.SyncEverySecond} {
		b.Run("sync="+sp.String(), func(b *testing.B) {
			e := benchEnv(b, sp)
			addr := e.serve(b)
			var n atomic.Int64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c, err := cipmini.Dial(context.Background(), addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				for pb.Next() {
					i := int(n.Add(1))
					s, en := slot(i)
					ev := event(fmt.Sprintf("p-%d@x.test", i), 0, stamp1, s, en, "tom@x.test", "room-1@rooms.test")
					r, err := c.SendEvent(context.Background(), []byte(ev))
					if err != nil || !r.Completion.OK {
						b.Error(err, r)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSendEvent16ClientsLocal is BenchmarkSendEvent16Clients with an
// organizer of this server, logged in: a booking queues no message for
// another server, so each one is a decision and a commit of one record,
// and the sync policy is what the rate is made of. It reports the rate and
// the fsyncs per booking.
func BenchmarkSendEvent16ClientsLocal(b *testing.B) {
	for _, sp := range []store.SyncPolicy{store.SyncAlways, store.SyncEverySecond} {
		b.Run("sync="+sp.String(), func(b *testing.B) {
			e := benchEnv(b, sp)
			addr := e.serve(b)
			var n atomic.Int64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			syncs := e.db.Stats().Syncs
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				c, err := cipmini.Dial(ctx, addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				if r, err := c.Authenticate(ctx, "booker", "pw"); err != nil || r.Err() != nil {
					b.Error("login:", err, r)
					return
				}
				for pb.Next() {
					i := int(n.Add(1))
					s, en := slot(i)
					ev := event(fmt.Sprintf("l-%d@x.test", i), 0, stamp1, s, en, "booker@rooms.test", "room-1@rooms.test")
					r, err := c.SendEvent(ctx, []byte(ev))
					if err != nil || !r.Completion.OK || len(r.Info) != 1 || r.Info[0].Code != cipmini.InfoConfirmed {
						b.Error(err, r)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
			b.ReportMetric(float64(e.db.Stats().Syncs-syncs)/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkFreeBusyWeek10k measures a FREEBUSY for one week of room-1 over
// loopback with 10,000 bookings stored.
func BenchmarkFreeBusyWeek10k(b *testing.B) {
	e := benchEnv(b, store.SyncNever)
	e.fill(b, 10000)
	e.benchFreeBusy(b, "ATTENDEE: room-1@rooms.test\r\nDTSTART: 20270301T000000Z\r\nDTEND: 20270308T000000Z\r\n")
}

// benchFreeBusy measures one FREEBUSY request over loopback.
func (e *schedEnv) benchFreeBusy(b *testing.B, request string) {
	c, err := cipmini.Dial(context.Background(), e.serve(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte(request)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := c.FreeBusy(context.Background(), req)
		if err != nil || !r.Completion.OK || len(r.Data) == 0 {
			b.Fatal(err, r)
		}
	}
}

// BenchmarkColdStart10k measures opening a data directory with 10,000
// bookings and building the free/busy index.
func BenchmarkColdStart10k(b *testing.B) {
	e := benchEnv(b, store.SyncNever)
	e.fill(b, 10000)
	e.db.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		db, err := store.Open(e.data, &store.Options{Logger: quietLog, DisableAutoCompact: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewScheduler(db, e.dir, quietLog); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// fillMixed books the hall (accept-always) with 9,500 one-hour meetings and
// 500 endless weekly series, all from 2027.
func (e *schedEnv) fillMixed(b *testing.B) {
	for i := 0; i < 10000; i++ {
		start, end := slot(i)
		extra := ""
		if i%20 == 0 {
			extra = "RRULE:FREQ=WEEKLY\r\n"
		}
		ev := event(fmt.Sprintf("mix-%d@x.test", i), 0, stamp1, start, end, "tom@x.test", "hall@rooms.test")
		ev = strings.Replace(ev, "END:VEVENT", extra+"END:VEVENT", 1)
		r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)})
		if !r.Completion.OK {
			b.Fatalf("fill %d: %+v", i, r)
		}
	}
}

// BenchmarkFreeBusyWeekMixed measures FREEBUSY for one week of a resource
// holding 10,000 events of which 500 are endless weekly series.
func BenchmarkFreeBusyWeekMixed(b *testing.B) {
	e := benchEnv(b, store.SyncNever)
	e.fillMixed(b)
	e.benchFreeBusy(b, "ATTENDEE: hall@rooms.test\r\nDTSTART: 20270607T000000Z\r\nDTEND: 20270614T000000Z\r\n")
}

// BenchmarkConflictCheckMixed measures the accept-if-free decision for a
// new one-hour invitation against the same store.
func BenchmarkConflictCheckMixed(b *testing.B) {
	e := benchEnv(b, store.SyncNever)
	e.fillMixed(b)
	u := *e.dir.User("hall@rooms.test")
	u.Policy = directory.PolicyAcceptIfFree
	evs, err := vcal.ParseEvents([]byte(event("new@y.test", 0, stamp1, "20270609T183000Z", "20270609T193000Z", "mary@y.test", "hall@rooms.test")), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d := e.sched.decide(&u, evs[0]); d.status == "" {
			b.Fatal("no decision")
		}
	}
}

// BenchmarkFreeBusySecondly measures FREEBUSY for one hour in 2026 of a
// FREQ=SECONDLY series that started in 2020 (3,600 occurrences merged).
func BenchmarkFreeBusySecondly(b *testing.B) {
	e := benchEnv(b, store.SyncNever)
	ev := event("sec@x.test", 0, stamp1, "20200101T000000Z", "20200101T000001Z", "tom@x.test", "carol@rooms.test")
	ev = strings.Replace(ev, "END:VEVENT", "RRULE:FREQ=SECONDLY\r\nEND:VEVENT", 1)
	if r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)}); !r.Completion.OK {
		b.Fatal(r)
	}
	req := &cipmini.Request{Data: []byte("ATTENDEE: carol@rooms.test\r\nDTSTART: 20260301T100000Z\r\nDTEND: 20260301T110000Z\r\n")}
	door := cip(e.sched)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := door.FreeBusy(context.Background(), req); !r.Completion.OK {
			b.Fatal(r)
		}
	}
}

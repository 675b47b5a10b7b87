package sched

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/store"
)

// carol is the identity of the benchmarks' organizer, a local user.
var carol = cipmini.Identity{Kind: cipmini.User, Name: "carol@rooms.test"}

// titled is carol's event for room-1 with a SUMMARY.
func titled(uid string, seq int, start, end, summary string) string {
	ev := event(uid, seq, stamp1, start, end, "carol@rooms.test", "room-1@rooms.test")
	return strings.Replace(ev, "END:VEVENT", "SUMMARY:"+summary+"\r\nEND:VEVENT", 1)
}

// reportParses reports how many times each SENDEVENT parsed event text: the
// incoming data once, plus the stored text parsed again (parseStored).
func reportParses(b *testing.B, before int64) {
	b.ReportMetric(1+float64(storedParses.Load()-before)/float64(b.N), "parses/op")
}

// BenchmarkBooking measures one SENDEVENT through the Scheduler, without
// the network and without fsync, so that what the scheduling costs stands
// out: "new" books room-1 at a new time, "move" sends a new SEQUENCE of one
// booking at another time, "cancel" books and cancels (two SENDEVENTs).
//
// Each sub-benchmark refills one request: through the Backend interface a
// request built per call escapes to the heap, an allocation of the
// session's (which builds one per command), not of the scheduling.
func BenchmarkBooking(b *testing.B) {
	ctx := context.Background()
	b.Run("new", func(b *testing.B) {
		e := benchEnv(b, store.SyncNever)
		door, req := cip(e.sched), &cipmini.Request{Identity: carol}
		before := storedParses.Load()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s, en := slot(i)
			r := door.SendEvent(ctx, withData(req, []byte(titled(fmt.Sprintf("n-%d@x.test", i), 0, s, en, "Planning"))))
			if !r.Completion.OK || r.Info[0].Code != cipmini.InfoConfirmed {
				b.Fatal(r)
			}
			i++
		}
		reportParses(b, before)
	})
	b.Run("move", func(b *testing.B) {
		e := benchEnv(b, store.SyncNever)
		door, req := cip(e.sched), &cipmini.Request{Identity: carol}
		before := storedParses.Load()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s, en := slot(i % 1000)
			r := door.SendEvent(ctx, withData(req, []byte(titled("m@x.test", i, s, en, "Planning"))))
			if !r.Completion.OK || r.Info[0].Code != cipmini.InfoConfirmed {
				b.Fatal(r)
			}
			i++
		}
		reportParses(b, before)
	})
	b.Run("cancel", func(b *testing.B) {
		e := benchEnv(b, store.SyncNever)
		door, req := cip(e.sched), &cipmini.Request{Identity: carol}
		before := storedParses.Load()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			uid := fmt.Sprintf("c-%d@x.test", i)
			s, en := slot(i)
			if r := door.SendEvent(ctx, withData(req, []byte(titled(uid, 0, s, en, "Planning")))); !r.Completion.OK {
				b.Fatal(r)
			}
			if r := door.SendEvent(ctx, withData(req, []byte(cancelEvent(uid, 1, stamp1, "carol@rooms.test", "room-1@rooms.test")))); !r.Completion.OK {
				b.Fatal(r)
			}
			i++
		}
		b.ReportMetric(1+float64(storedParses.Load()-before)/float64(2*b.N), "parses/op")
	})
}

// BenchmarkBookingsDay measures the read behind a room panel's refresh:
// the bookings of one day of room-1, which holds 12 a day for 100 days.
func BenchmarkBookingsDay(b *testing.B) {
	e := benchEnv(b, store.SyncNever)
	for i := 0; i < 1200; i++ {
		s, en := slot(i)
		r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Identity: carol, Data: []byte(titled(fmt.Sprintf("d-%d@x.test", i), 0, s, en, "Planning"))})
		if !r.Completion.OK {
			b.Fatal(r)
		}
	}
	day := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	before := storedParses.Load()
	b.ReportAllocs()
	for b.Loop() {
		bs, err := e.sched.Bookings("room-1@rooms.test", day, day.AddDate(0, 0, 1))
		if err != nil || len(bs) != 12 || bs[0].Summary != "Planning" {
			b.Fatal(err, bs)
		}
	}
	b.ReportMetric(float64(storedParses.Load()-before)/float64(b.N), "parses/op")
}

// withData sets req's data block and returns req.
func withData(req *cipmini.Request, data []byte) *cipmini.Request {
	req.Data = data
	return req
}

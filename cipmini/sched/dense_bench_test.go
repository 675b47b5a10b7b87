package sched

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// A year of FREEBUSY over a stored FREQ=SECONDLY series (31 million
// occurrences: the walk's work budget ends it, the rest answered busy) and
// over one every 30 minutes (17,520, joined to fit an answer), and the
// decision on a half-hourly series for a room with a booking a day.
// Goal on a Raspberry Pi 3: each answer under 2 s.
func BenchmarkDenseSeries(b *testing.B) {
	for _, tc := range []struct{ name, rule, end string }{
		{"freebusy-year-secondly", "FREQ=SECONDLY", "DURATION:PT1S"},
		{"freebusy-year-every30min", "FREQ=MINUTELY;INTERVAL=30", "DURATION:PT15M"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := benchEnv(b, store.SyncNever)
			ev := strings.Replace(event("dense@x.test", 0, stamp1, "20270101T000000Z", "20270101T000001Z", "tom@x.test", "hall@rooms.test"),
				"DTEND:20270101T000001Z\r\n", "RRULE:"+tc.rule+"\r\n"+tc.end+"\r\n", 1)
			if r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)}); !r.Completion.OK {
				b.Fatal(r.Completion)
			}
			req := &cipmini.Request{Data: []byte("ATTENDEE: hall@rooms.test\r\nDTSTART: 20270101T000000Z\r\nDTEND: 20280101T000000Z\r\n")}
			door := cip(e.sched)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if r := door.FreeBusy(context.Background(), req); !r.Completion.OK {
					b.Fatal(r.Completion)
				}
			}
		})
	}
	b.Run("decide-every30min-over-365-bookings", func(b *testing.B) {
		e := benchEnv(b, store.SyncNever)
		for i := 0; i < 365; i++ {
			s, _ := slot(i * 12)
			ev := event("day-"+s+"@x.test", 0, stamp1, s, s[:9]+"071000Z", "tom@x.test", "room-1@rooms.test")
			if r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)}); !r.Completion.OK {
				b.Fatal(r.Completion)
			}
		}
		ev := strings.Replace(event("dense@x.test", 0, stamp1, "20270101T001500Z", "20270101T003000Z", "tom@x.test", "room-1@rooms.test"),
			"END:VEVENT", "RRULE:FREQ=MINUTELY;INTERVAL=30\r\nEND:VEVENT", 1)
		evs, err := vcal.ParseEvents([]byte(ev), nil)
		if err != nil {
			b.Fatal(err)
		}
		parsed := evs[0]
		u := e.dir.User("room-1@rooms.test")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if d := e.sched.decide(u, parsed); d.status != Accepted {
				b.Fatal(d)
			}
		}
	})
	// The calendar holds a series every other minute; an hourly series
	// between its instances is checked against 262,144 of them.
	b.Run("decide-hourly-between-stored-every2min", func(b *testing.B) {
		e := benchEnv(b, store.SyncNever)
		ev := strings.Replace(event("even@x.test", 0, stamp1, "20270101T000000Z", "20270101T000100Z", "tom@x.test", "room-1@rooms.test"),
			"END:VEVENT", "RRULE:FREQ=MINUTELY;INTERVAL=2\r\nEND:VEVENT", 1)
		if r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)}); !r.Completion.OK {
			b.Fatal(r.Completion)
		}
		odd := strings.Replace(event("odd@x.test", 0, stamp1, "20270101T000100Z", "20270101T000200Z", "tom@x.test", "room-1@rooms.test"),
			"END:VEVENT", "RRULE:FREQ=HOURLY;COUNT=8000\r\nEND:VEVENT", 1)
		evs, err := vcal.ParseEvents([]byte(odd), nil)
		if err != nil {
			b.Fatal(err)
		}
		u := e.dir.User("room-1@rooms.test")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if d := e.sched.decide(u, evs[0]); d.status != Accepted {
				b.Fatal(d)
			}
		}
	})
	// The ICS feed's read: the first 5,000 bookings of a year of
	// FREQ=SECONDLY (Bookings once failed above 10,000 instances).
	b.Run("bookings-5000-of-secondly", func(b *testing.B) {
		e := benchEnv(b, store.SyncNever)
		ev := strings.Replace(event("dense@x.test", 0, stamp1, "20270101T000000Z", "20270101T000001Z", "tom@x.test", "hall@rooms.test"),
			"DTEND:20270101T000001Z\r\n", "RRULE:FREQ=SECONDLY\r\nDURATION:PT1S\r\n", 1)
		if r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)}); !r.Completion.OK {
			b.Fatal(r.Completion)
		}
		from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if bs, more, err := e.sched.BookingsUpTo("hall@rooms.test", from, from.AddDate(1, 0, 0), 5000); err != nil || !more || len(bs) != 5000 {
				b.Fatal(len(bs), more, err)
			}
		}
	})
}

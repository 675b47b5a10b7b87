package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
)

// floorClients is the number of logged-in clients booking at once.
const floorClients = 16

// floorFreeBusyQueries is the number of one-week FREEBUSY queries whose
// median is reported for each server.
const floorFreeBusyQueries = 200

// floorFirstHour is the first booked hour; booking i takes the hour i
// hours later, so every booking of a run is at a distinct time.
var floorFirstHour = time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)

// floorWeek asks for room-1's free/busy in the first week booked.
const floorWeek = "ATTENDEE: room-1@cipmini.local\r\nDTSTART: 20270104T000000Z\r\nDTEND: 20270111T000000Z\r\n"

// floorBusy is the floor's FREEBUSY answer: one busy hour.
var floorBusy = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cipmini//floor//EN\r\nBEGIN:VFREEBUSY\r\n" +
	"ATTENDEE:mailto:room-1@cipmini.local\r\nDTSTART:20270104T000000Z\r\nDTEND:20270111T000000Z\r\n" +
	"FREEBUSY;FBTYPE=BUSY:20270104T000000Z/20270104T010000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n")

// floorAuth lets every LOGIN in as a user of the floor.
type floorAuth struct{}

func (floorAuth) Login(_ context.Context, _ net.Addr, identity, _ string) (cipmini.Identity, error) {
	return cipmini.Identity{Kind: cipmini.User, Name: identity + "@cipmini.local"}, nil
}

// startFloor serves the floor on loopback: cipmini's framing (greeting,
// LOGIN, data blocks) with a Backend that looks at nothing and answers OK,
// confirming room-1 for a SENDEVENT and one busy hour for a FREEBUSY.
func startFloor(b *testing.B) (addr string, stop func()) {
	backend := cipmini.BackendFunc(func(_ context.Context, verb cipmini.Verb, _ *cipmini.Request) *cipmini.Reply {
		switch verb {
		case cipmini.VerbFreeBusy:
			return &cipmini.Reply{Data: floorBusy, Completion: cipmini.OK(cipmini.CodeNone, "Free/busy")}
		default:
			return &cipmini.Reply{Info: []cipmini.Info{cipmini.UserInfo(cipmini.InfoConfirmed, "room-1@cipmini.local")},
				Completion: cipmini.OK(cipmini.CodeNone, "Stored")}
		}
	})
	srv := &cipmini.Server{ServerID: "cipmini.local", Backend: backend, Auth: floorAuth{},
		Logger: slog.New(slog.DiscardHandler)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(l)
	}()
	return l.Addr().String(), func() {
		srv.Shutdown(context.Background())
		<-served
	}
}

// startInProcess runs the daemon of the demo configuration in this process
// with the given sync setting, on loopback, with its data in a directory
// of its own, no HTTP face, no snapshots and no per-client hourly limits
// (the benchmark's clients all come from 127.0.0.1).
func startInProcess(b *testing.B, sync string) (addr string, stop func(), syncs func() int64) {
	text := strings.Replace(demoConfig, `sync = "always"`, fmt.Sprintf("sync = %q\nmax_events_per_hour = 0\nmax_bytes_per_hour = 0\nbackup_at = \"off\"", sync), 1)
	cfg, err := parseConfig(text, "floor benchmark")
	if err != nil {
		b.Fatal(err)
	}
	cfg.DataDir, cfg.Listen, cfg.HTTPListen = b.TempDir(), "127.0.0.1:0", ""
	d, err := newDaemon(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, runHooks{ready: func(a net.Addr) { ready <- a }}) }()
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-done:
		cancel()
		b.Fatal("daemon:", err)
	}
	return addr, func() {
			cancel()
			if err := <-done; err != nil {
				b.Error("daemon:", err)
			}
		}, func() int64 {
			return d.db.Stats().Syncs
		}
}

// floorBooking is booking i: alice, a user of the server, books room-1 for
// hour i.
func floorBooking(i int) []byte {
	start := floorFirstHour.Add(time.Duration(i) * time.Hour)
	return fmt.Appendf(nil, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"+
		"UID:floor-%d@cipmini.local\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Meeting %d\r\n"+
		"ORGANIZER:mailto:alice@cipmini.local\r\nATTENDEE:mailto:room-1@cipmini.local\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		i, start.Format(icalUTC), start.Add(time.Hour).Format(icalUTC), i)
}

// floorRun is what one server did in a run.
type floorRun struct {
	rate   float64       // bookings a second
	fbWeek time.Duration // median of the week's FREEBUSY
}

// measureServer logs floorClients clients in as alice (timer stopped),
// has them make n bookings between them (timed) and then asks one week's
// free/busy floorFreeBusyQueries times (timer stopped).
func measureServer(b *testing.B, addr string, n int) floorRun {
	b.StopTimer()
	ctx := context.Background()
	clients := make([]*cipmini.Client, floorClients)
	for i := range clients {
		c, err := cipmini.Dial(ctx, addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		c.Timeout = 30 * time.Second
		if r, err := c.Authenticate(ctx, "alice", "wonderland"); err != nil || r.Err() != nil {
			b.Fatal("login:", err, r)
		}
		clients[i] = c
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.StartTimer()
	began := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				r, err := c.SendEvent(ctx, floorBooking(i))
				if err != nil || !r.Completion.OK || len(r.Info) != 1 || r.Info[0].Code != cipmini.InfoConfirmed {
					b.Error("booking:", err, r)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	b.StopTimer()
	times := make([]time.Duration, floorFreeBusyQueries)
	for i := range times {
		t0 := time.Now()
		r, err := clients[0].FreeBusy(ctx, []byte(floorWeek))
		times[i] = time.Since(t0)
		if err != nil || !r.Completion.OK || len(r.Data) == 0 {
			b.Fatal("FREEBUSY:", err, r)
		}
	}
	slices.Sort(times)
	b.StartTimer()
	return floorRun{rate: float64(n) / took.Seconds(), fbWeek: times[len(times)/2]}
}

// BenchmarkFloor measures, in one run, the booking rate of the floor (a
// server with cipmini's framing that answers OK without looking), of the
// daemon with sync always and of the daemon with sync every second: 16
// logged-in clients over loopback book distinct hours of room-1 for
// alice, a user of the server, so nothing is queued for another server.
// Each server makes b.N bookings on data of its own; ns/op and allocs/op
// cover one booking on each of the three (clients included). It reports
// each rate, the ratios between them in percent, and the median of a
// one-week FREEBUSY of room-1 over the bookings made.
func BenchmarkFloor(b *testing.B) {
	b.ReportAllocs()
	addr, stop := startFloor(b)
	floor := measureServer(b, addr, b.N)
	stop()
	addr, stop, syncs := startInProcess(b, "always")
	before := syncs()
	always := measureServer(b, addr, b.N)
	fsyncs := syncs() - before
	stop()
	addr, stop, _ = startInProcess(b, "second")
	second := measureServer(b, addr, b.N)
	stop()

	b.ReportMetric(floor.rate, "floor-bookings/s")
	b.ReportMetric(always.rate, "always-bookings/s")
	b.ReportMetric(second.rate, "second-bookings/s")
	b.ReportMetric(100*always.rate/second.rate, "always/second-%")
	b.ReportMetric(100*always.rate/floor.rate, "always/floor-%")
	b.ReportMetric(100*second.rate/floor.rate, "second/floor-%")
	b.ReportMetric(float64(b.N)/float64(max(fsyncs, 1)), "always-bookings/fsync")
	b.ReportMetric(float64(floor.fbWeek.Microseconds()), "floor-fb-week-p50-µs")
	b.ReportMetric(float64(always.fbWeek.Microseconds()), "always-fb-week-p50-µs")
	b.ReportMetric(float64(second.fbWeek.Microseconds()), "second-fb-week-p50-µs")
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/store"
)

// The campus's sizes, as flags of the test binary (go test ... -args
// -campus.rooms 100), so that a smaller campus can be tried quickly. The
// defaults are the issue's: 1,000 rooms and 100,000 bookings, booked by
// 16 clients at once.
var (
	campusRooms    = flag.Int("campus.rooms", 1000, "rooms of BenchmarkCampus")
	campusBookings = flag.Int("campus.bookings", 100000, "bookings of BenchmarkCampus, spread evenly over the rooms")
	campusClients  = flag.Int("campus.clients", 16, "clients booking at once in BenchmarkCampus")
)

// campusPeople is the number of people of the campus; client k logs in as
// person-(k mod campusPeople) and organizes the bookings it makes.
const campusPeople = 16

// campusQueries is the number of one-week FREEBUSY queries whose median is
// reported for each server.
const campusQueries = 200

// campusYear is the first hour of the booked year.
var campusYear = time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)

// campusWeek asks for room-0's free/busy in the sixth week of the year,
// which holds two of its bookings when a room has 100 in the year.
const campusWeek = "ATTENDEE: room-0@cipmini.local\r\nDTSTART: 20270208T000000Z\r\nDTEND: 20270215T000000Z\r\n"

// campusConfig is a server of rooms room-0 ... room-(rooms-1), each
// booked if free by anyone and with public free/busy, and campusPeople
// people with passwords, synced every second, with no per-client hourly
// limits (every client comes from 127.0.0.1), no cap on the data file and
// no daily snapshot.
func campusConfig(rooms int) string {
	var s strings.Builder
	s.WriteString("server_id = \"cipmini.local\"\nsync = \"second\"\nmax_events_per_hour = 0\nmax_bytes_per_hour = 0\n" +
		"max_store_bytes = 0\nbackup_at = \"off\"\n")
	for r := range rooms {
		fmt.Fprintf(&s, "\n[[user]]\nname = \"room-%d\"\nkind = \"room\"\npolicy = \"accept-if-free\"\ninvite = \"anyone\"\nfreebusy = \"public\"\n", r)
	}
	for p := range campusPeople {
		fmt.Fprintf(&s, "\n[[user]]\nname = \"person-%d\"\npassword = \"pw-%d\"\n", p, p)
	}
	return s.String()
}

// campusBooking is booking i of a campus of the given size: one hour of
// room i mod rooms, organized by person; each room's bookings are spread
// evenly over the year, the jth of a room at hour j x (8,760 / per room).
func campusBooking(i, rooms, perRoom, person int) []byte {
	room, j := i%rooms, i/rooms
	start := campusYear.Add(time.Duration(j*(365*24/perRoom)) * time.Hour)
	return fmt.Appendf(nil, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"+
		"UID:campus-%d@cipmini.local\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Meeting %d\r\n"+
		"ORGANIZER:mailto:person-%d@cipmini.local\r\nATTENDEE:mailto:room-%d@cipmini.local\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		i, start.Format(icalUTC), start.Add(time.Hour).Format(icalUTC), i, person, room)
}

// campusFill has clients logged in as the campus's people make n
// bookings between them and returns how long it took.
func campusFill(b *testing.B, d *daemonProc, rooms, n, clients int) time.Duration {
	perRoom := (n + rooms - 1) / rooms
	if perRoom > 365*24 {
		b.Fatalf("%d bookings a room do not fit in a year of hours", perRoom)
	}
	ctx := context.Background()
	cs := make([]*cipmini.Client, clients)
	for k := range cs {
		c, err := dialBench(d)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		p := k % campusPeople
		if r, err := c.Authenticate(ctx, fmt.Sprintf("person-%d", p), fmt.Sprintf("pw-%d", p)); err != nil || r.Err() != nil {
			b.Fatal("login:", err, r)
		}
		cs[k] = c
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for k, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				r, err := c.SendEvent(ctx, campusBooking(i, rooms, perRoom, k%campusPeople))
				if err != nil || !r.Completion.OK || len(r.Info) != 1 || r.Info[0].Code != cipmini.InfoConfirmed {
					b.Error("booking:", err, r)
					next.Store(int64(n)) // the others stop too
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return time.Since(began)
}

// campusFreeBusy asks room-0's week 2 x campusQueries times and returns
// the median of the second half, and how many busy periods the answer
// holds.
func campusFreeBusy(b *testing.B, d *daemonProc) (p50 time.Duration, busy int) {
	c, err := dialBench(d)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	times := make([]time.Duration, campusQueries)
	for i := -campusQueries; i < campusQueries; i++ { // the first half warms up
		t0 := time.Now()
		r, err := c.FreeBusy(context.Background(), []byte(campusWeek))
		if i >= 0 {
			times[i] = time.Since(t0)
		}
		if err != nil || !r.Completion.OK {
			b.Fatal("FREEBUSY:", err, r)
		}
		busy = strings.Count(string(r.Data), "FBTYPE=BUSY")
	}
	slices.Sort(times)
	return times[len(times)/2], busy
}

// startCampus writes the configuration of a campus of the given rooms and
// starts `cipmini serve` on it with a data directory of its own.
func startCampus(b *testing.B, rooms int) (d *daemonProc, cfg, data string) {
	data = b.TempDir()
	cfg = filepath.Join(b.TempDir(), "campus.toml")
	if err := os.WriteFile(cfg, []byte(campusConfig(rooms)), 0o600); err != nil {
		b.Fatal(err)
	}
	d, err := launchDaemon(cfg, data)
	if err != nil {
		b.Fatal(err)
	}
	return d, cfg, data
}

// BenchmarkCampus runs `cipmini serve` (the binary, so that resident
// memory is the daemon's own) as a campus: -campus.rooms rooms (default
// 1,000) and -campus.bookings one-hour bookings (default 100,000) spread
// evenly over a year across them, made by -campus.clients logged-in
// clients at once (default 16) with sync = "second". It reports the
// booking rate, VmRSS and VmHWM (peak) after the fill, the data file's
// size after a clean stop, the cold start
// (SIGTERM, then the time from starting the process until it logs
// "cipmini: serving", and until its first answered NOOP), VmRSS after
// the cold start, and the median of a one-week FREEBUSY of room-0 over
// the campus and over a server of one room holding the same number of
// bookings in that room, each after a restart (the per-room work is the
// same, the store is not). The timed loop is that FREEBUSY on the campus. The daemon runs
// with this process's environment (GOGC, GOMEMLIMIT). The fill takes
// about half a minute on a 2-core machine.
func BenchmarkCampus(b *testing.B) {
	rooms, n := *campusRooms, *campusBookings
	perRoom := (n + rooms - 1) / rooms

	// The single room first: a small server holding what one room of
	// the campus holds.
	small, smallCfg, smallData := startCampus(b, 1)
	campusFill(b, small, 1, perRoom, 1)
	small.stop(b)
	// Both servers answer after a restart, as the campus does below.
	small, err := launchDaemon(smallCfg, smallData)
	if err != nil {
		b.Fatal(err)
	}
	smallP50, smallBusy := campusFreeBusy(b, small)
	small.stop(b)

	d, cfg, data := startCampus(b, rooms)
	fill := campusFill(b, d, rooms, n, *campusClients)
	filledRSS := rssKiB(b, d.cmd.Process.Pid)
	filledHWM := statusKiB(b, d.cmd.Process.Pid, "VmHWM:")
	d.stop(b)
	st, err := os.Stat(filepath.Join(data, store.DefaultFileName))
	if err != nil {
		b.Fatal(err)
	}

	began := time.Now()
	d, err = launchDaemon(cfg, data)
	if err != nil {
		b.Fatal(err)
	}
	serving := time.Since(began)
	defer d.stop(b)
	c, err := dialBench(d)
	if err != nil {
		b.Fatal(err)
	}
	if r, err := c.Noop(context.Background()); err != nil || !r.Completion.OK {
		b.Fatal("NOOP:", err, r)
	}
	firstNoop := time.Since(began)
	c.Close()
	coldRSS := rssKiB(b, d.cmd.Process.Pid)
	campusP50, campusBusy := campusFreeBusy(b, d)
	if campusBusy != smallBusy || campusBusy == 0 {
		b.Fatalf("room-0's week: %d busy periods on the campus, %d on the single room", campusBusy, smallBusy)
	}

	c, err = dialBench(d)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		if r, err := c.FreeBusy(context.Background(), []byte(campusWeek)); err != nil || !r.Completion.OK {
			b.Fatal("FREEBUSY:", err, r)
		}
	}
	b.ReportMetric(float64(n)/fill.Seconds(), "fill-bookings/s")
	b.ReportMetric(filledRSS/1024, "filled-RSS-MiB")
	b.ReportMetric(filledHWM/1024, "filled-peak-RSS-MiB")
	b.ReportMetric(float64(st.Size())/(1<<20), "data-file-MiB")
	b.ReportMetric(serving.Seconds(), "cold-start-serving-s")
	b.ReportMetric(firstNoop.Seconds(), "cold-start-NOOP-s")
	b.ReportMetric(coldRSS/1024, "cold-RSS-MiB")
	b.ReportMetric(float64(campusP50.Microseconds()), "campus-fb-week-p50-µs")
	b.ReportMetric(float64(smallP50.Microseconds()), "one-room-fb-week-p50-µs")
}

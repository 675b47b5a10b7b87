package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// booking is an invitation for the demo's room-1, one hour on day i of 2027.
func booking(i int) string {
	day := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, i)
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"+
		"UID:crash-%d@x.test\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n"+
		"ORGANIZER:mailto:tom@x.test\r\nATTENDEE:mailto:room-1@cipmini.local\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		i, day.Format(icalUTC), day.Add(time.Hour).Format(icalUTC))
}

// roomBusy asks the daemon for room-1's busy periods in 2027 and returns
// the set of period starts.
func roomBusy(t *testing.T, d *daemonProc) map[string]bool {
	t.Helper()
	c := d.client(t)
	r, err := c.FreeBusy(context.Background(), []byte("ATTENDEE: room-1@cipmini.local\r\nDTSTART: 20270101T000000Z\r\nDTEND: 20271231T000000Z\r\n"))
	if err != nil || !r.Completion.OK {
		t.Fatalf("FREEBUSY: %v %+v", err, r)
	}
	got := map[string]bool{}
	for _, l := range strings.Split(string(r.Data), "\r\n") {
		if v, ok := strings.CutPrefix(l, "FREEBUSY;FBTYPE=BUSY:"); ok {
			start, _, _ := strings.Cut(v, "/")
			got[start] = true
		}
	}
	return got
}

// Kill -9 right after an OK, at every point of a stream of SENDEVENTs:
// every acknowledged booking is there after a restart.
func TestCrashKeepsAcknowledgedBookings(t *testing.T) {
	data := t.TempDir()
	acked := map[int]bool{}
	next := 0
	for round := 0; round < 8; round++ {
		d, err := launchDaemon("", data)
		if err != nil {
			t.Fatal(err)
		}
		c := d.client(t)
		// A burst of bookings; the process is killed right after the OK of
		// the first, the second, ... the eighth, one round each.
		stopAfter := 1 + round
		for k := 0; k < stopAfter; k++ {
			r, err := c.SendEvent(context.Background(), []byte(booking(next)))
			if err != nil || !r.Completion.OK {
				d.kill()
				t.Fatalf("booking %d: %v %+v\n%s", next, err, r, d.log)
			}
			acked[next] = true
			next++
		}
		// Another booking is on its way, unacknowledged, when the process
		// dies: it may or may not be kept.
		raw, err := net.Dial("tcp", d.addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(raw, "SENDEVENT +\r\n%s.\r\n", booking(next))
		d.kill()
		raw.Close()
		next++

		d, err = launchDaemon("", data)
		if err != nil {
			t.Fatal(err)
		}
		got := roomBusy(t, d)
		for i := range acked {
			start := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(icalUTC)
			if !got[start] {
				t.Fatalf("round %d: acknowledged booking %d lost after kill -9", round, i)
			}
		}
		d.kill()
	}
}

// slotStart is when the i-th booking of TestCrashKeepsConcurrentBookings
// starts: six two-hour-apart hours a day from 2027-01-01, so that no two
// bookings make one busy period.
func slotStart(i int) time.Time {
	return time.Date(2027, 1, 1, 7, 0, 0, 0, time.UTC).AddDate(0, 0, i/6).Add(time.Duration(2*(i%6)) * time.Hour)
}

// slotBooking is an invitation for room-1 at slotStart(i).
func slotBooking(i int) string {
	start := slotStart(i)
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"+
		"UID:conc-%d@x.test\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n"+
		"ORGANIZER:mailto:tom@x.test\r\nATTENDEE:mailto:room-1@cipmini.local\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		i, start.Format(icalUTC), start.Add(time.Hour).Format(icalUTC))
}

// Kill -9 while 16 clients book at once with sync = "always" (bookings
// answered together share an fsync): every booking answered OK is there
// after a restart. A kill leaves the kernel's page cache, so this shows
// that no OK comes before its commit, not what a power cut would keep;
// the store's tests show that no OK comes before its fsync.
func TestCrashKeepsConcurrentBookings(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	data := t.TempDir()
	// All 16 clients come from 127.0.0.1, one client to the hourly caps,
	// which would refuse the 601st booking of an hour; this test is about
	// kill -9, so the caps are off.
	cfg := filepath.Join(t.TempDir(), "cipmini.toml")
	text := strings.Replace(demoConfig, `sync = "always"`, "sync = \"always\"\nmax_events_per_hour = 0\nmax_bytes_per_hour = 0", 1)
	if text == demoConfig {
		t.Fatal("the demo configuration has no sync = \"always\" line")
	}
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	const clients, maxBookings = 16, 2100 // 350 days of 2027
	var next atomic.Int64
	var mu sync.Mutex
	acked := map[int]bool{}
	for round := 0; round < 4 && next.Load() < maxBookings; round++ {
		d, err := launchDaemon(cfg, data)
		if err != nil {
			t.Fatal(err)
		}
		var roundAcks atomic.Int64
		var wg sync.WaitGroup
		for k := 0; k < clients; k++ {
			c := d.client(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= maxBookings {
						return
					}
					r, err := c.SendEvent(context.Background(), []byte(slotBooking(i)))
					if err != nil {
						return // killed
					}
					if !r.Completion.OK {
						t.Errorf("booking %d: %+v", i, r)
						return
					}
					mu.Lock()
					acked[i] = true
					mu.Unlock()
					roundAcks.Add(1)
				}
			}()
		}
		// Kill at a random moment once bookings flow.
		deadline := time.Now().Add(30 * time.Second)
		for roundAcks.Load() < 2*clients && next.Load() < maxBookings && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		d.kill()
		wg.Wait()
		if roundAcks.Load() == 0 {
			t.Fatalf("round %d: no booking answered before the kill:\n%s", round, d.log)
		}

		d, err = launchDaemon(cfg, data)
		if err != nil {
			t.Fatal(err)
		}
		got := roomBusy(t, d)
		mu.Lock()
		for i := range acked {
			if !got[slotStart(i).Format(icalUTC)] {
				t.Errorf("round %d: booking %d answered OK, lost after kill -9", round, i)
			}
		}
		t.Logf("round %d: %d bookings answered in the round, %d in all, all kept", round, roundAcks.Load(), len(acked))
		mu.Unlock()
		d.kill()
		if t.Failed() {
			return
		}
	}
}

// A second server on the same data directory refuses to start.
func TestSecondServeRefused(t *testing.T) {
	data := t.TempDir()
	startDaemon(t, "", data)
	out, err := runCmd(t, "", "serve", "--listen", "127.0.0.1:0", "--data", data)
	if err == nil || !strings.Contains(out, "is in use by another process") {
		t.Fatalf("second serve: %v\n%s", err, out)
	}
}

// The outcomes of damaged data files at start: a torn tail is cut back with
// a log line; damaged framing in the middle is taken out into quarantine and
// the rest served (a record whose checksum proves it is recovered whole); a
// file with no readable commit marker stops the start with the command that
// restores the newest good snapshot.
func TestDamagedDataFile(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, "", data)
	c := d.client(t)
	for i := 0; i < 3; i++ {
		if r, err := c.SendEvent(context.Background(), []byte(booking(i))); err != nil || !r.Completion.OK {
			t.Fatal(err, r)
		}
	}
	d.stop(t)
	good, err := os.ReadFile(filepath.Join(data, "cipmini.db"))
	if err != nil {
		t.Fatal(err)
	}

	run := func(name string, content []byte) (string, error) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "cipmini.db"), content, 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := launchDaemon("", dir)
		if err != nil {
			return err.Error(), err
		}
		got := roomBusy(t, d)
		d.stop(t)
		return fmt.Sprintf("%d bookings\n%s", len(got), d.log), nil
	}

	// The last commit (the third booking, or the outgoing queue's record of
	// a try) loses its end: it is cut off, the others are kept.
	out, err := run("torn", good[:len(good)-7])
	if err != nil || !(strings.HasPrefix(out, "2 bookings") || strings.HasPrefix(out, "3 bookings")) ||
		!strings.Contains(out, "cut an incomplete commit off the end of the data file") {
		t.Fatalf("torn tail: %v\n%s", err, out)
	}
	quarantined := "store: damaged record taken out of the data file into quarantine"
	// A length header of a record in the middle loses its '$'.
	flipped := append([]byte(nil), good...)
	mid := len(good)/3 + bytes.Index(good[len(good)/3:], []byte("\r\n$")) + 2
	flipped[mid] = '#'
	if out, err := run("flipped", flipped); err != nil || !strings.HasPrefix(out, "3 bookings") ||
		!strings.Contains(out, quarantined) || !strings.Contains(out, "recovered=true") {
		t.Fatalf("damaged framing: %v\n%s", err, out)
	}
	huge := append(append([]byte(nil), good...), "*3\r\n$3\r\nset\r\n$99999999999999\r\nkey\r\n"...)
	huge = append(huge, good...)
	if out, err := run("huge", huge); err != nil || !strings.HasPrefix(out, "3 bookings") || !strings.Contains(out, quarantined) {
		t.Fatalf("impossible length: %v\n%s", err, out)
	}
	if out, err := run("zeros", make([]byte, 4096)); err == nil || !strings.Contains(out, "cipmini.db: corrupt record at offset 0") ||
		!strings.Contains(out, "cipmini restore --data ") {
		t.Fatalf("all-zero file: %v\n%s", err, out)
	}
}

// A daemon killed with -9 leaves the zeros its store reserves ahead of the
// data: `cipmini check --data` reports them as such, not as damage, the
// next start cuts them with an informational line, and a clean stop leaves
// a file that ends with its last commit.
func TestCrashLeavesReserveThatStartCuts(t *testing.T) {
	data := t.TempDir()
	d, err := launchDaemon("", data)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := d.client(t).SendEvent(context.Background(), []byte(booking(0))); err != nil || !r.Completion.OK {
		d.kill()
		t.Fatalf("booking: %v %+v", err, r)
	}
	d.kill()
	out, err := runCmd(t, "", "check", "--data", data)
	if err != nil || !strings.Contains(out, "zero bytes after the data: space a running server reserves") || !strings.Contains(out, "data OK") {
		t.Fatalf("check --data after kill -9: %v\n%s", err, out)
	}
	d, err = launchDaemon("", data)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC).Format(icalUTC)
	if !roomBusy(t, d)[start] {
		d.kill()
		t.Fatal("the booking was lost")
	}
	d.stop(t)
	if log := d.log.String(); !strings.Contains(log, "store: cut the space reserved ahead of the data") || strings.Contains(log, "incomplete commit") {
		t.Fatalf("the start after kill -9 logged:\n%s", log)
	}
	b, err := os.ReadFile(filepath.Join(data, "cipmini.db"))
	if err != nil || !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("after a clean stop the data file ends %q (%v)", b[max(len(b)-8, 0):], err)
	}
}

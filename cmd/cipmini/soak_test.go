package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/store"
)

// soakFlag sets how long TestSoak runs: 60 s by default, 15 s on 32-bit
// ARM (CI emulates it); -soak=10m for the long run.
var soakFlag = flag.Duration("soak", 0, "how long TestSoak runs (default 60s; 15s on GOARCH=arm)")

const soakUIDs = 200

// soakSample is one look at the daemon.
type soakSample struct {
	rss, file, live int64
	fds             int
}

// sampleDaemon reads the daemon's resident memory (VmRSS), data file size,
// live data (its metrics at base) and open files.
func sampleDaemon(pid int, dataFile, base string) (soakSample, error) {
	var s soakSample
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return s, err
	}
	m, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(m), "\n") {
		if v, ok := strings.CutPrefix(l, "cipmini_store_live_bytes "); ok {
			s.live, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			s.rss = kb << 10
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	fi, err := os.Stat(dataFile)
	if err != nil {
		return s, err
	}
	s.file = fi.Size()
	return s, nil
}

// soakSlot is where UID i may be: two hours of its own in its room, the
// first or the second by version.
func soakSlot(i, seq int) (room string, start time.Time) {
	base := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i/4) * 2 * time.Hour)
	return fmt.Sprintf("room-%d@rooms.test", i%4+1), base.Add(time.Duration(seq%2) * time.Hour)
}

// aliceEvent is alice's version seq of uid, local organizer.
func aliceEvent(uid string, seq int, room string, start time.Time, cancel bool) string {
	return strings.Replace(orgEvent(uid, seq, room, start, cancel), "ORGANIZER:mailto:tom@org.test", "ORGANIZER:mailto:alice@rooms.test", 1)
}

// The soak: mixed load over 200 UIDs, each re-sent with a higher SEQUENCE,
// half of them cancelled now and then, half organized by another server
// that cannot be reached (its answers queue up and coalesce), with
// free/busy over CIP and HTTP and the ICS feed polled. Timed from when
// every UID was sent once, the daemon's resident memory, data file and
// open files level off after the first third: the last third's maximum is
// within 15% of the middle third's (the data file: or below the compaction
// threshold; open files: equal, give or take 2). Nothing errs, and at the end every
// booking held is in FREEBUSY and no cancelled one is.
func TestSoak(t *testing.T) {
	dur := *soakFlag
	if dur == 0 {
		dur = 60 * time.Second
		if runtime.GOARCH == "arm" {
			dur = 15 * time.Second
		}
	}
	if deadline, ok := t.Deadline(); ok && time.Until(deadline) < dur+2*time.Minute {
		// go test's -timeout (10m by default) would cut the run short.
		t.Fatalf("-soak=%s needs a -timeout of at least %s", dur, (dur + 2*time.Minute).Round(time.Minute))
	}
	data := t.TempDir()
	d := startDaemon(t, writeRoomsConfig(t, "", freePort(t)), data)
	base := httpBase(t, d)
	pid := d.cmd.Process.Pid
	dataFile := filepath.Join(data, store.DefaultFileName)

	// The clock starts once every UID was sent once (warmed, below).
	ctx, cancel := context.WithTimeout(context.Background(), dur+5*time.Minute)
	defer cancel()
	var warm sync.WaitGroup
	warm.Add(4)
	errs := make(chan error, 16)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
		cancel()
	}
	// final[i] is UID i's last version and whether it was a cancellation.
	type state struct {
		seq       int
		cancelled bool
	}
	final := make([]state, soakUIDs)
	var ops atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			alice, err := dialBench(d)
			if err != nil {
				fail(err)
				return
			}
			defer alice.Close()
			org, err := dialBench(d)
			if err != nil {
				fail(err)
				return
			}
			defer org.Close()
			for _, l := range []struct {
				c       *cipmini.Client
				id, pwd string
			}{{alice, "alice", "alice-pw"}, {org, "org.test", "org-pw"}} {
				if r, err := l.c.Authenticate(context.Background(), l.id, l.pwd); err != nil || r.Err() != nil {
					fail(fmt.Errorf("login %s: %v %v", l.id, err, r.Err()))
					return
				}
			}
			warmed := false
			defer func() {
				if !warmed {
					warm.Done()
				}
			}()
			for round := 1; ctx.Err() == nil; round++ {
				if round == 2 {
					warmed = true
					warm.Done()
				}
				for i := w; i < soakUIDs && ctx.Err() == nil; i += 4 {
					uid := fmt.Sprintf("soak-%03d@test", i)
					seq := round
					cancelNow := i%2 == 1 && round%3 == 0
					room, start := soakSlot(i, seq)
					c, text := alice, aliceEvent(uid, seq, room, start, cancelNow)
					if i%4 >= 2 {
						c, text = org, orgEvent(uid, seq, room, start, cancelNow)
					}
					r, err := c.SendEvent(context.Background(), []byte(text))
					want := "OK 000 Stored"
					if cancelNow {
						want = "OK 000 Cancelled"
					}
					if err != nil || r.Completion.String() != want {
						fail(fmt.Errorf("%s version %d: %v %+v", uid, seq, err, r))
						return
					}
					final[i] = state{seq: seq, cancelled: cancelNow}
					ops.Add(1)
					time.Sleep(2 * time.Millisecond)
				}
			}
		}(w)
	}
	// Polling: CIP FREEBUSY, the HTTP free/busy and ICS feed of each room.
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := dialBench(d)
		if err != nil {
			fail(err)
			return
		}
		defer c.Close()
		hc := &http.Client{Timeout: 30 * time.Second}
		for n := 0; ctx.Err() == nil; n++ {
			room := fmt.Sprintf("room-%d", n%4+1)
			r, err := c.FreeBusy(context.Background(), []byte("ATTENDEE: "+room+"@rooms.test\r\nDTSTART: 20270601T000000Z\r\nDTEND: 20270610T000000Z\r\n"))
			if err != nil || !r.Completion.OK {
				fail(fmt.Errorf("FREEBUSY: %v %+v", err, r))
				return
			}
			for _, p := range []string{"/freebusy/" + room + ".ifb?start=20270601T000000Z&end=20270610T000000Z", "/calendar/" + room + ".ics"} {
				resp, err := hc.Get(base + p)
				if err != nil {
					fail(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					fail(fmt.Errorf("GET %s: %s", p, resp.Status))
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	warm.Wait()
	timer := time.AfterFunc(dur, cancel)
	defer timer.Stop()
	var samples []soakSample
	every := dur / 60
	for tick := time.NewTicker(every); ctx.Err() == nil; {
		select {
		case <-ctx.Done():
		case <-tick.C:
			s, err := sampleDaemon(pid, dataFile, base)
			if err != nil {
				fail(err)
			}
			samples = append(samples, s)
		}
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}

	third := len(samples) / 3
	if third < 3 {
		t.Fatalf("only %d samples", len(samples))
	}
	peak := func(from, to int) (s soakSample) {
		for _, x := range samples[from:to] {
			s.rss, s.file, s.fds, s.live = max(s.rss, x.rss), max(s.file, x.file), max(s.fds, x.fds), max(s.live, x.live)
		}
		return s
	}
	first, mid, last := peak(0, third), peak(third, 2*third), peak(2*third, len(samples))
	t.Logf("%s, %d SENDEVENTs, %d samples: RSS max %.1f / %.1f / %.1f MiB, data file max %.2f / %.2f / %.2f MiB, live data max %.2f / %.2f / %.2f MiB, open files max %d / %d / %d (by thirds)",
		dur, ops.Load(), len(samples), mib(first.rss), mib(mid.rss), mib(last.rss), mib(first.file), mib(mid.file), mib(last.file),
		mib(first.live), mib(mid.live), mib(last.live), first.fds, mid.fds, last.fds)
	if float64(last.rss) > 1.15*float64(mid.rss) {
		t.Errorf("resident memory still rising: %.1f MiB in the last third, %.1f MiB in the middle one", mib(last.rss), mib(mid.rss))
	}
	// The file is bounded by compaction: it runs once the file is past
	// DefaultCompactMinSize and DefaultCompactRatio times the live data.
	// The live data itself grows while the events' histories fill up to
	// sched.MaxHistory entries, which a short run may not reach.
	// The file holds the store's reserve after the data too.
	bound := max(store.DefaultCompactMinSize, store.DefaultCompactRatio*last.live) + 64<<10 + store.ReserveBytes
	if float64(last.file) > 1.15*float64(mid.file) && last.file > bound {
		t.Errorf("data file still growing: %.2f MiB in the last third, %.2f MiB in the middle one, past compaction's bound of %.2f MiB (live data %.2f MiB)",
			mib(last.file), mib(mid.file), mib(bound), mib(last.live))
	}
	if last.fds > mid.fds+2 {
		t.Errorf("open files rising: %d in the last third, %d in the middle one", last.fds, mid.fds)
	}

	// Every booking held is in FREEBUSY, no cancelled one is.
	c := d.client(t)
	busy := map[string][][2]time.Time{}
	for r := 1; r <= 4; r++ {
		room := fmt.Sprintf("room-%d@rooms.test", r)
		rep, err := c.FreeBusy(context.Background(), []byte("ATTENDEE: "+room+"\r\nDTSTART: 20270601T000000Z\r\nDTEND: 20270610T000000Z\r\n"))
		if err != nil || !rep.Completion.OK {
			t.Fatalf("FREEBUSY %s: %v %+v", room, err, rep)
		}
		for _, l := range strings.Split(string(rep.Data), "\r\n") {
			_, v, ok := strings.Cut(l, "FREEBUSY;FBTYPE=BUSY:")
			if !ok {
				continue
			}
			for _, p := range strings.Split(v, ",") {
				a, b, _ := strings.Cut(p, "/")
				s, err1 := time.Parse("20060102T150405Z", a)
				e, err2 := time.Parse("20060102T150405Z", b)
				if err1 != nil || err2 != nil {
					t.Fatalf("period %q", p)
				}
				busy[room] = append(busy[room], [2]time.Time{s, e})
			}
		}
	}
	covered := func(room string, s, e time.Time) bool {
		for _, p := range busy[room] {
			if !p[0].After(s) && !p[1].Before(e) {
				return true
			}
		}
		return false
	}
	overlaps := func(room string, s, e time.Time) bool {
		for _, p := range busy[room] {
			if p[0].Before(e) && p[1].After(s) {
				return true
			}
		}
		return false
	}
	held := 0
	for i, st := range final {
		room, start := soakSlot(i, st.seq)
		switch {
		case st.seq == 0:
		case st.cancelled:
			blockStart := start.Add(-time.Duration(st.seq%2) * time.Hour)
			if overlaps(room, blockStart, blockStart.Add(2*time.Hour)) {
				t.Errorf("cancelled soak-%03d still busy in %s", i, room)
			}
		default:
			held++
			if !covered(room, start, start.Add(time.Hour)) {
				t.Errorf("soak-%03d (version %d) held but not in FREEBUSY of %s", i, st.seq, room)
			}
		}
	}
	if held < soakUIDs/2 {
		t.Errorf("only %d bookings held at the end", held)
	}
	out, _ := runCmd(t, "", "queue", "--data", data)
	if strings.Count(out, "queued  org.test") > soakUIDs/2 {
		t.Errorf("queue holds more than one answer per event:\n%s", out)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

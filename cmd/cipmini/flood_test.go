package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// vmRSS returns the resident memory of a process in octets, from
// /proc/PID/status; 0 when it cannot be read.
func vmRSS(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kib << 10
		}
	}
	return 0
}

// emulated reports whether the process runs under an emulator (qemu-user
// through binfmt_misc, as CI runs GOARCH=arm): its resident memory is then
// the emulator's, not the daemon's.
func emulated(pid int) bool {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return err == nil && strings.Contains(filepath.Base(exe), "qemu")
}

// peaks samples a daemon's resident memory and data file size until stop
// is called, which returns the largest of each.
func peaks(d *daemonProc, dir string) (stop func() (rss, file int64)) {
	var mu sync.Mutex
	var rss, file int64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		r, f := vmRSS(d.cmd.Process.Pid), dataFileSize(dir)
		mu.Lock()
		rss, file = max(rss, r), max(file, f)
		mu.Unlock()
	}
	go func() {
		defer close(finished)
		for {
			sample()
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() (int64, int64) {
		close(done)
		<-finished
		sample()
		mu.Lock()
		defer mu.Unlock()
		return rss, file
	}
}

// booker books room-1 as alice, logged in from its own address, one small
// invitation at a time, and fails the test when a booking is not answered
// OK within a second.
type booker struct {
	t    *testing.T
	c    *cipConn
	day  time.Time
	n    int
	slow time.Duration
}

func newBooker(t *testing.T, d *daemonProc, ip string, day time.Time) *booker {
	c, greeting := cipFrom(t, d, ip)
	if !strings.HasPrefix(greeting, "OK CIP") || c.cmd("AUTHENTICATE LOGIN alice wonderland") != "OK 000 Login complete" {
		t.Fatalf("alice's login: %q", greeting)
	}
	return &booker{t: t, c: c, day: day}
}

// bookingStall is how long a booking may take before the test takes the
// server for stalled behind the flood.
const bookingStall = 30 * time.Second

func (b *booker) book() error {
	b.n++
	start := time.Now()
	got := b.c.send(bigInvitation(fmt.Sprintf("legit-%d-%d@bounds.test", b.day.Unix(), b.n), "alice@bounds.test", 0,
		b.day.Add(time.Duration(b.n)*time.Hour), 2<<10, ""))
	took := time.Since(start)
	b.slow = max(b.slow, took)
	if !strings.HasPrefix(got, "OK 000") || !strings.Contains(got, "Stored") {
		return fmt.Errorf("booking %d: %q", b.n, got)
	}
	// How fast is measured and logged (BENCHMARKS.md), not asserted: a
	// loaded or emulated machine may be slow. Only a booking that waits as
	// long as a stalled server would fails.
	if took >= bookingStall {
		return fmt.Errorf("booking %d took %v", b.n, took)
	}
	return nil
}

// The flood of the issue: 600 anonymous invitations of 230 KiB for a room,
// half of them clashing (so declined), from two addresses, against
// --board pi-zero. The daemon's resident memory stays under 64 MiB and the
// data file under the board's cap (32 MiB), during the flood and after a
// restart, while alice, logged in, still books: every booking she sends is
// stored, and its time is logged (about a second at most on this
// machine: BENCHMARKS.md). Under
// GOARCH=arm (qemu in CI) the flood is 120 invitations, and under an
// emulator the memory bound is not checked (the emulator's own memory
// would be measured).
func TestAnonymousFloodOnPiZero(t *testing.T) {
	total := 600
	if runtime.GOARCH == "arm" {
		total = 120
	}
	const (
		size     = 230 << 10
		rssLimit = 64 << 20
		fileCap  = 32 << 20 // boards/pi-zero.toml's max_store_bytes
	)
	dir := t.TempDir()
	cfg := boundsConfig(t, "")
	d := startDaemon(t, cfg, dir, "--board", "pi-zero")
	stop := peaks(d, dir)
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	alice := newBooker(t, d, "127.0.0.20", day.AddDate(0, 0, 1))

	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	const workers = 6 // three connections from each of two addresses
	for w := 0; w < workers; w++ {
		ip := []string{"127.0.0.1", "127.0.0.2"}[w%2]
		c, greeting := cipFrom(t, d, ip)
		if !strings.HasPrefix(greeting, "OK CIP") {
			t.Fatalf("flood connection %d: %q", w, greeting)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				at := day.Add(time.Duration(i) * time.Hour) // its own hour
				if i%2 == 0 {
					at = day // all at one hour: all but the first are declined
				}
				got := c.send(bigInvitation(fmt.Sprintf("flood-%d@attacker.test", i), "mallory@attacker.test", 0, at, size, ""))
				code, _, _ := strings.Cut(got, " ")
				if code == "OK" || code == "NO" {
					code, _, _ = strings.Cut(got[3:], " ")
					code = got[:2] + " " + code
				}
				mu.Lock()
				answers[code]++
				mu.Unlock()
			}
		}()
	}
	flooded := make(chan struct{})
	go func() { wg.Wait(); close(flooded) }()
	var bookErr error
	for done := false; !done; {
		select {
		case <-flooded:
			done = true
		case <-time.After(100 * time.Millisecond):
		}
		if err := alice.book(); err != nil && bookErr == nil {
			bookErr = err
		}
	}
	rss, file := stop()
	t.Logf("%d invitations of %d KiB from two addresses: answers %v; peak VmRSS %.1f MiB, data file %.1f MiB; alice booked %d, slowest %v",
		total, size>>10, answers, float64(rss)/(1<<20), float64(file)/(1<<20), alice.n, alice.slow)
	if bookErr != nil {
		t.Fatalf("alice during the flood: %v", bookErr)
	}
	emu := emulated(d.cmd.Process.Pid)
	if emu {
		t.Logf("the daemon runs under an emulator: its VmRSS is not checked")
	}
	if (!emu && (rss == 0 || rss >= rssLimit)) || file >= fileCap {
		t.Fatalf("during the flood: VmRSS %d, data file %d; want under %d and %d", rss, file, rssLimit, fileCap)
	}
	if answers["NO 007"] == 0 {
		t.Fatal("no invitation of the flood was refused")
	}

	d.stop(t)
	d2 := startDaemon(t, cfg, dir, "--board", "pi-zero")
	stop = peaks(d2, dir)
	alice = newBooker(t, d2, "127.0.0.20", day.AddDate(0, 0, 2))
	for i := 0; i < 3; i++ {
		if err := alice.book(); err != nil {
			t.Fatalf("alice after the restart: %v", err)
		}
	}
	rss, file = stop()
	t.Logf("after a restart: VmRSS %.1f MiB, data file %.1f MiB", float64(rss)/(1<<20), float64(file)/(1<<20))
	if (!emu && (rss == 0 || rss >= rssLimit)) || file >= fileCap {
		t.Fatalf("after a restart: VmRSS %d, data file %d; want under %d and %d", rss, file, rssLimit, fileCap)
	}
}

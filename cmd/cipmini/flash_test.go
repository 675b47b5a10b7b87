package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/ciptest"
	"github.com/cipmini/cipmini/store"
)

// roomBooking is an invitation of the demo's room-1 by organizer, one hour
// on the i-th day from a week ahead.
func roomBooking(organizer string, i int) string {
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7+i).Add(14 * time.Hour)
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"+
		"UID:flash-%06d@%s\r\nDTSTAMP:20261201T000000Z\r\nSEQUENCE:0\r\nDTSTART:%s\r\nDTEND:%s\r\n"+
		"SUMMARY:Weekly team meeting\r\nORGANIZER;CN=Organizer:mailto:%s\r\n"+
		"ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room-1@cipmini.local\r\n"+
		"END:VEVENT\r\nEND:VCALENDAR\r\n",
		i, organizer[strings.IndexByte(organizer, '@')+1:], start.Format(icalUTC), start.Add(time.Hour).Format(icalUTC), organizer)
}

// send delivers an event on c and wants room-1 confirmed.
func send(t testing.TB, c *cipmini.Client, event string) {
	t.Helper()
	r, err := c.SendEvent(context.Background(), []byte(event))
	if err != nil || !r.Completion.OK || !strings.Contains(fmt.Sprint(r.Info), "CONFIRMED room-1@cipmini.local") {
		t.Fatalf("SENDEVENT: %v %+v", err, r)
	}
}

// bookAsAlice logs in as the demo's alice and books room-1 for her.
func bookAsAlice(t *testing.T, d *daemonProc) string {
	t.Helper()
	c := d.client(t)
	if r, err := c.Authenticate(context.Background(), "alice", "wonderland"); err != nil || !r.Completion.OK {
		t.Fatalf("login: %v %+v", err, r)
	}
	ev := roomBooking("alice@cipmini.local", 0)
	send(t, c, ev)
	return ev
}

// readOnly is traffic that changes nothing: a retransmission of the booking,
// free/busy, NOOP, a failed login.
func readOnly(t *testing.T, d *daemonProc, booking string) {
	t.Helper()
	c := d.client(t)
	if r, err := c.Authenticate(context.Background(), "alice", "wonderland"); err != nil || !r.Completion.OK {
		t.Fatalf("login: %v %+v", err, r)
	}
	send(t, c, booking)
	r, err := c.FreeBusy(context.Background(), []byte("ATTENDEE: room-1@cipmini.local\r\nDTSTART: 20260101T000000Z\r\nDTEND: 20261231T000000Z\r\n"))
	if err != nil || !r.Completion.OK {
		t.Fatalf("FREEBUSY: %v %+v", err, r)
	}
	if r, err := c.Noop(context.Background()); err != nil || !r.Completion.OK {
		t.Fatalf("NOOP: %v %+v", err, r)
	}
	if r, err := d.client(t).Authenticate(context.Background(), "alice", "wrong"); err != nil || r.Completion.OK {
		t.Fatalf("failed login: %v %+v", err, r)
	}
}

// dirtiedBytes is a process's write_bytes from /proc: the bytes of page
// cache it dirtied, that the kernel writes to the storage device.
func dirtiedBytes(t testing.TB, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no write_bytes in /proc/%d/io", pid)
	return 0
}

var stoppedRE = regexp.MustCompile(`msg="cipmini: stopped" bytes_written=(\d+) fsyncs=(\d+) compactions=(\d+)`)

// stopCounters stops the daemon and returns the store's counters from its
// last log line: bytes written, fsyncs, compactions.
func stopCounters(t testing.TB, d *daemonProc) [3]int64 {
	t.Helper()
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.kill()
		t.Fatal("cipmini serve did not stop within 30 s")
	}
	m := stoppedRE.FindStringSubmatch(d.log.String())
	if m == nil {
		t.Fatalf("no counters in the last log line:\n%s", d.log)
	}
	var c [3]int64
	for i := range c {
		c[i], _ = strconv.ParseInt(m[i+1], 10, 64)
	}
	return c
}

// Flash care: after a booking, a minute of idleness, with read-only
// traffic at its start and systemd's watchdog probing the port every
// second, leaves the data directory as it was (names, sizes, modification
// times), dirties no page of any file, and adds no fsync: the store's
// counters at exit equal those of a server that saw the same traffic and
// no idle minute. Both run on a clock at noon, so that the minute never
// crosses backup_at (03:00) whatever the hour the test runs at; an idle
// daemon crossing it is TestIdleDaemonSnapshotsOnlyChanges.
func TestIdleDaemonDoesNotWrite(t *testing.T) {
	t.Parallel()
	clock := filepath.Join(t.TempDir(), "clock")
	noon := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	if err := os.WriteFile(clock, []byte(noon.Format(time.RFC3339)), 0o644); err != nil {
		t.Fatal(err)
	}
	atNoon := []string{clockEnv + "=" + clock, "TZ=UTC"}
	base, err := launchDaemonEnv(atNoon, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.stop(t) })
	readOnly(t, base, bookAsAlice(t, base))
	want := stopCounters(t, base)

	sock := filepath.Join(t.TempDir(), "notify")
	notes := notifySocket(t, sock)
	data := t.TempDir()
	d, err := launchDaemonEnv(append(atNoon, "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=2000000"), "", data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	booking := bookAsAlice(t, d)
	files := ciptest.DirState(t, data)
	dirtied := dirtiedBytes(t, d.cmd.Process.Pid)

	readOnly(t, d, booking)
	idleEnd := time.Now().Add(time.Minute)
	for time.Now().Before(idleEnd) {
		time.Sleep(min(5*time.Second, time.Until(idleEnd)))
		if got := ciptest.DirState(t, data); got != files {
			t.Fatalf("the data directory changed while idle:\nbefore\n%safter\n%s", files, got)
		}
		if got := dirtiedBytes(t, d.cmd.Process.Pid); got != dirtied {
			t.Fatalf("the server dirtied %d bytes of files while idle", got-dirtied)
		}
	}
	watchdogs := 0
	for len(notes) > 0 {
		if <-notes == "WATCHDOG=1" {
			watchdogs++
		}
	}
	if watchdogs < 10 {
		t.Errorf("only %d watchdog pings in a minute at a 1 s interval", watchdogs)
	}
	if got := stopCounters(t, d); got != want {
		t.Fatalf("store counters (bytes written, fsyncs, compactions) %v after the idle minute, want %v as without it", got, want)
	}
}

// deviceWrittenKiB returns, after a sync(2), the KiB written to the ext4
// file system that holds dir since it was mounted (lifetime_write_kbytes:
// data, metadata and journal), and whether it could be read. The figure
// is the benchmark's own only on a file system no one else writes to:
// CIPMINI_FLASH_DIR names a directory on one.
func deviceWrittenKiB(b *testing.B, dir string) (int64, bool) {
	if os.Getenv("CIPMINI_FLASH_DIR") == "" {
		return 0, false
	}
	syscall.Sync()
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		b.Fatal(err)
	}
	d := uint64(st.Dev)
	major, minor := (d>>8)&0xfff|(d>>32)&^0xfff, d&0xff|(d>>12)&^0xff
	dev, err := os.Readlink(fmt.Sprintf("/sys/dev/block/%d:%d", major, minor))
	if err != nil {
		b.Fatalf("CIPMINI_FLASH_DIR: %v", err)
	}
	text, err := os.ReadFile(filepath.Join("/sys/fs/ext4", filepath.Base(dev), "lifetime_write_kbytes"))
	if err != nil {
		b.Fatalf("CIPMINI_FLASH_DIR must be on ext4: %v", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(text)), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return n, true
}

// okPeer is a CIP server for x.test that accepts every message, logged in
// as cipmini.local; it counts the RSVPs.
type okPeer struct{ rsvps atomic.Int64 }

func (p *okPeer) SendEvent(context.Context, *cipmini.Request) *cipmini.Reply {
	return &cipmini.Reply{Completion: cipmini.OK(cipmini.CodeNone, "")}
}
func (p *okPeer) RSVP(context.Context, *cipmini.Request) *cipmini.Reply {
	p.rsvps.Add(1)
	return &cipmini.Reply{Completion: cipmini.OK(cipmini.CodeNone, "")}
}
func (p *okPeer) FreeBusy(context.Context, *cipmini.Request) *cipmini.Reply {
	return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeNone, "")}
}
func (p *okPeer) Login(_ context.Context, _ net.Addr, id, pw string) (cipmini.Identity, error) {
	if id == "cipmini.local" && pw == "to-x" {
		return cipmini.Identity{Kind: cipmini.Peer, Name: id}, nil
	}
	return cipmini.Identity{}, cipmini.ErrAuthFailed
}

// BenchmarkFlashPerBooking measures what one booking of the demo's room
// writes with sync = "always": the data file's growth, the bytes the store
// wrote (compactions included) and its fsyncs, and the page-cache bytes the
// process dirtied (/proc/PID/io write_bytes), per booking. "local": alice
// books. "remote": tom@x.test books, anonymously, and the room's answer
// goes to x.test's server through the outgoing queue (queued, delivered,
// deleted). Run with a fixed count: -benchtime 500x.
func BenchmarkFlashPerBooking(b *testing.B) {
	for _, kind := range []string{"local", "remote"} {
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			cfg := demoConfig
			peer := &okPeer{}
			if kind == "remote" {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				srv := &cipmini.Server{ServerID: "x.test", Backend: peer, Auth: peer}
				go srv.Serve(l)
				b.Cleanup(func() { srv.Close() })
				cfg += fmt.Sprintf("\n[[peer]]\nserver_id = \"x.test\"\npassword = \"from-x\"\nlogin_password = \"to-x\"\naddress = %q\n", l.Addr().String())
			}
			path := filepath.Join(b.TempDir(), "cipmini.toml")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				b.Fatal(err)
			}
			data := b.TempDir()
			if parent := os.Getenv("CIPMINI_FLASH_DIR"); parent != "" {
				dir, err := os.MkdirTemp(parent, "flash-")
				if err != nil {
					b.Fatal(err)
				}
				data = dir
				b.Cleanup(func() { os.RemoveAll(data) })
			}
			device0, onDevice := deviceWrittenKiB(b, data)
			d, err := launchDaemon(path, data)
			if err != nil {
				b.Fatal(err)
			}
			defer d.kill()
			c, err := dialBench(d)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			organizer := "tom@x.test"
			if kind == "local" {
				organizer = "alice@cipmini.local"
				if r, err := c.Authenticate(context.Background(), "alice", "wonderland"); err != nil || !r.Completion.OK {
					b.Fatal(err, r)
				}
			}
			file := filepath.Join(data, "cipmini.db")
			fi, err := os.Stat(file)
			if err != nil {
				b.Fatal(err)
			}
			size0, dirtied0 := fi.Size(), dirtiedBytes(b, d.cmd.Process.Pid)
			n := 0
			for b.Loop() {
				send(b, c, roomBooking(organizer, n))
				n++
			}
			if kind == "remote" {
				// Wait for the deliveries; the last one's deletion from the
				// queue follows its log line at once.
				deadline := time.Now().Add(2 * time.Minute)
				for strings.Count(d.log.String(), `msg="store: delivered"`) < n && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(200 * time.Millisecond)
				if got := peer.rsvps.Load(); got != int64(n) {
					b.Fatalf("x.test received %d RSVPs for %d bookings", got, n)
				}
			}
			dirtied := dirtiedBytes(b, d.cmd.Process.Pid) - dirtied0
			// Stopping waits for a delivery in progress.
			counters := stopCounters(b, d)
			fi, err = os.Stat(file)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(fi.Size()-size0)/float64(n), "file-B/booking")
			b.ReportMetric(float64(counters[0])/float64(n), "written-B/booking")
			b.ReportMetric(float64(counters[1])/float64(n), "fsyncs/booking")
			b.ReportMetric(float64(dirtied)/float64(n), "dirtied-B/booking")
			b.ReportMetric(float64(counters[2]), "compactions")
			// The daily snapshot of the data these bookings left: what
			// backup_at writes once a day into each backup directory.
			db, err := store.Open(data, &store.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			snap, err := db.WriteSnapshot(time.Now(), 1, b.TempDir())
			db.Close()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(snap.Bytes), "snapshot-B/day")
			if onDevice {
				device, _ := deviceWrittenKiB(b, data)
				b.ReportMetric(float64(device-device0)*1024/float64(n), "device-B/booking")
			}
		})
	}
}

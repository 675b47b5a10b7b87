package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
)

// fakePeer is another CIP server on 127.0.0.1 that keeps what it receives
// and answers OK.
type fakePeer struct {
	mu   sync.Mutex
	got  []string
	srv  *cipmini.Server
	addr string
}

func (p *fakePeer) keep(verb string, req *cipmini.Request) *cipmini.Reply {
	p.mu.Lock()
	p.got = append(p.got, verb+"\n"+string(req.Data))
	p.mu.Unlock()
	return &cipmini.Reply{Completion: cipmini.OK(cipmini.CodeNone, "Stored")}
}
func (p *fakePeer) SendEvent(_ context.Context, r *cipmini.Request) *cipmini.Reply {
	return p.keep("SENDEVENT", r)
}
func (p *fakePeer) RSVP(_ context.Context, r *cipmini.Request) *cipmini.Reply {
	return p.keep("RSVP", r)
}
func (p *fakePeer) FreeBusy(_ context.Context, r *cipmini.Request) *cipmini.Reply {
	return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeNone, "No one here")}
}

func (p *fakePeer) received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

// startFakePeer serves a fakePeer on addr ("127.0.0.1:0" for any port).
func startFakePeer(t *testing.T, id, addr string) *fakePeer {
	t.Helper()
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port was freed just now; it may linger
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePeer{addr: l.Addr().String()}
	p.srv = &cipmini.Server{ServerID: id, Backend: p}
	go p.srv.Serve(l)
	t.Cleanup(func() { p.srv.Close() })
	return p
}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

const roomsConfig = `server_id = "rooms.test"
max_events_per_hour = 0
max_bytes_per_hour = 0
queue_retry_first = "1s"
queue_retry_max = "1s"
%s
[[user]]
name = "room-1"
kind = "room"
[[user]]
name = "room-2"
kind = "room"
[[user]]
name = "room-3"
kind = "room"
[[user]]
name = "room-4"
kind = "room"
[[user]]
name = "alice"
password = "alice-pw"
[[peer]]
server_id = "org.test"
password = "org-pw"
address = "%s"
`

func writeRoomsConfig(t *testing.T, extra, peerAddr string) string {
	path := filepath.Join(t.TempDir(), "rooms.toml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(roomsConfig, extra, peerAddr)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// orgEvent is version seq of tom@org.test's event uid with a local room.
func orgEvent(uid string, seq int, room string, start time.Time, cancel bool) string {
	method := "REQUEST"
	if cancel {
		method = "CANCEL"
	}
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:%s\r\nBEGIN:VEVENT\r\n"+
		"UID:%s\r\nSEQUENCE:%d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:v%d\r\n"+
		"ORGANIZER:mailto:tom@org.test\r\nATTENDEE:mailto:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		method, uid, seq, start.UTC().Format("20060102T150405Z"), start.Add(time.Hour).UTC().Format("20060102T150405Z"), seq, room)
}

// login dials the daemon and logs in.
func login(t *testing.T, d *daemonProc, id, password string) *cipmini.Client {
	t.Helper()
	c := d.client(t)
	if r, err := c.Authenticate(context.Background(), id, password); err != nil || r.Err() != nil {
		t.Fatalf("login %s: %v %v", id, err, r.Err())
	}
	return c
}

// 2,000 versions of one event, sent by its organizer's server while that
// server cannot be reached, leave one answer in the queue; when the server
// comes back it receives exactly the latest answer, once.
func TestQueueCoalescesWhileOrganizerDown(t *testing.T) {
	n := 2000
	if runtime.GOARCH == "arm" {
		n = 300 // emulated in CI
	}
	peerAddr := freePort(t)
	data := t.TempDir()
	cfg := writeRoomsConfig(t, `sync = "second"`, peerAddr)
	d := startDaemon(t, cfg, data)
	c := login(t, d, "org.test", "org-pw")
	start := time.Date(2027, 5, 3, 10, 0, 0, 0, time.UTC)
	for seq := 1; seq <= n; seq++ {
		r, err := c.SendEvent(context.Background(), []byte(orgEvent("weekly@org.test", seq, "room-1@rooms.test", start, false)))
		if err != nil || r.Completion.String() != "OK 000 Stored" {
			t.Fatalf("version %d: %v %+v", seq, err, r)
		}
	}
	out, err := runCmd(t, "", "queue", "--config", cfg, "--data", data)
	if err != nil || strings.Count(out, "queued  org.test  RSVP") != 1 || strings.Count(out, "\n") != 3 || !strings.Contains(out, fmt.Sprintf("%d coalesced", n-1)) {
		t.Fatalf("queue after %d versions: %v\n%s", n, err, out)
	}
	_, metrics := httpGet(t, httpBase(t, d)+"/metrics")
	for _, want := range []string{"cipmini_queue_length 1\n", fmt.Sprintf("cipmini_queue_coalesced_total %d\n", n-1),
		"cipmini_queue_dropped_total 0\n", "cipmini_events_live 1\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	peer := startFakePeer(t, "org.test", peerAddr)
	eventually(t, "the answer at org.test", func() (bool, string) {
		got := peer.received()
		return len(got) > 0, strings.Join(got, "\n")
	})
	time.Sleep(3 * time.Second) // anything else would come within this
	got := peer.received()
	if len(got) != 1 || !strings.HasPrefix(got[0], "RSVP\n") || !strings.Contains(got[0], fmt.Sprintf("SEQUENCE;VALUE=TEXT:%d\r\n", n)) &&
		!strings.Contains(got[0], fmt.Sprintf("SEQUENCE:%d\r\n", n)) {
		t.Fatalf("org.test received %d messages:\n%s", len(got), strings.Join(got, "\n"))
	}
	eventually(t, "an empty queue", func() (bool, string) {
		out, _ := runCmd(t, "", "queue", "--config", cfg, "--data", data)
		return strings.Contains(out, "the outgoing queue is empty"), out
	})
}

// The nightly step runs at maintenance_at by the daemon's clock: moved past
// it, the daemon retires an event over for longer than keep_history_days
// into the archive, where archivedHistory finds it with the room's answer,
// and keeps a cancelled future event as a tombstone that refuses its older
// version.
func TestNightlyMaintenanceByTheClock(t *testing.T) {
	clock := filepath.Join(t.TempDir(), "clock")
	os.WriteFile(clock, []byte("2027-01-05T12:00:00Z"), 0o600)
	data := t.TempDir()
	cfg := writeRoomsConfig(t, "keep_history_days = 1\nmaintenance_at = \"03:30\"", freePort(t))
	d, err := launchDaemonEnv([]string{clockEnv + "=" + clock, "TZ=UTC"}, cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	c := login(t, d, "org.test", "org-pw")
	send := func(ev string) string {
		r, err := c.SendEvent(context.Background(), []byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		return r.Completion.String()
	}
	past := time.Date(2027, 1, 6, 10, 0, 0, 0, time.UTC)
	later := time.Date(2027, 2, 1, 10, 0, 0, 0, time.UTC)
	expect(t, "booking", send(orgEvent("jan6@org.test", 1, "room-2@rooms.test", past, false)), "OK 000 Stored")
	expect(t, "booking", send(orgEvent("feb1@org.test", 1, "room-3@rooms.test", later, false)), "OK 000 Stored")
	expect(t, "cancelling", send(orgEvent("feb1@org.test", 2, "room-3@rooms.test", later, true)), "OK 000 Cancelled")
	if strings.Contains(d.log.String(), "nightly maintenance done") {
		t.Fatal("maintenance ran before its hour")
	}

	os.WriteFile(clock, []byte("2027-01-08T03:31:00Z"), 0o600)
	eventually(t, "the nightly step", func() (bool, string) {
		return strings.Contains(d.log.String(), `msg="cipmini: nightly maintenance done" archived=2 retired=1 tombstones=1`), d.log.String()
	})
	lines, err := archivedHistory(data, "jan6@org.test")
	lines0 := ""
	if len(lines) > 0 {
		lines0 = lines[0]
	}
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "archived in 2027.ics.gz: SEQUENCE 1, 2027-01-06T10:00:00Z") ||
		!strings.Contains(lines[0], "room-2@rooms.test ACCEPTED") {
		t.Fatalf("archivedHistory: %v %q", err, lines)
	}
	// cipmini log: nothing live any more, so the archived copy's line,
	// then the history it carried into the archive.
	if out, err := runCmd(t, "", "log", "--data", data, "jan6@org.test"); err != nil || !strings.HasPrefix(out, lines[0]+"\n") ||
		!strings.Contains(out, "peer org.test  new ") || !strings.Contains(out, "room-2@rooms.test=ACCEPTED") || strings.Contains(out, "event jan6@org.test\n") {
		t.Fatalf("cipmini log: %v\n%s", err, out)
	}
	lines, err = archivedHistory(data, "feb1@org.test")
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "cancelled") {
		t.Fatalf("archivedHistory of the cancelled event: %v %q", err, lines)
	}
	// A backup carries the archive; a restore brings it back.
	backup := filepath.Join(t.TempDir(), "backup.db")
	if out, err := runCmd(t, "", "backup", "--data", data, backup); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	restored := t.TempDir()
	if out, err := runCmd(t, "", "restore", "--data", restored, backup); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if lines, err := archivedHistory(restored, "jan6@org.test"); err != nil || len(lines) != 1 {
		t.Fatalf("archivedHistory after backup and restore: %v %q", err, lines)
	}
	expect(t, "an older version of the cancelled event", send(orgEvent("feb1@org.test", 1, "room-3@rooms.test", later, false)),
		"NO 005 Stale version: a newer one is stored")
	// Only the organizer's server may bring the tombstone's event back.
	anon := d.client(t)
	if r, err := anon.SendEvent(context.Background(), []byte(orgEvent("feb1@org.test", 3, "room-3@rooms.test", later, false))); err != nil ||
		r.Completion.String() != "NO 000 Not stored: only the organizer may change this event" {
		t.Fatalf("a stranger's newer version of the tombstone's event: %v %+v", err, r)
	}
	// The live store no longer has the retired event; its time is free.
	expect(t, "the retired UID is new again to the store", send(orgEvent("jan6@org.test", 0, "room-2@rooms.test", past, false)), "OK 000 Stored")
	// cipmini log shows the live history, then the archived copy and its.
	out, err := runCmd(t, "", "log", "--data", data, "jan6@org.test")
	live, archived, ok := strings.Cut(out, lines0+"\n")
	if err != nil || !ok || !strings.HasPrefix(live, "event jan6@org.test\norganizer tom@org.test, sequence 0, stored\n") ||
		strings.Count(live, "peer org.test  new ") != 1 || strings.Count(archived, "peer org.test  new ") != 1 {
		t.Fatalf("cipmini log of a booking both live and archived: %v\n%s", err, out)
	}
	t.Logf("cipmini log jan6@org.test:\n%s", out)
}

// expect fails the test unless got is want.
func expect(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

// The retention keys: defaults, the board's byte cap where the file is
// silent, and clear errors.
func TestRetentionConfig(t *testing.T) {
	c, err := parseConfig(`server_id = "x.test"`, "t")
	if err != nil {
		t.Fatal(err)
	}
	if c.keepHistory() != 400*24*time.Hour {
		t.Fatalf("keep_history_days default: %v", c.keepHistory())
	}
	if l, _ := c.queueLimits(); l.MaxPerPeer != 0 || l.MaxBytesPerPeer != 0 {
		t.Fatalf("queue limits default (the store's): %+v", l)
	}
	if _, err := applyBoard("pi-zero", c); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.queueLimits(); l.MaxBytesPerPeer != 2<<20 {
		t.Fatalf("pi-zero's byte cap: %+v", l)
	}
	c, err = parseConfig("server_id = \"x.test\"\nkeep_history_days = 0\nqueue_max_per_peer = 0\nqueue_max_bytes_per_peer = \"64KiB\"", "t")
	if err != nil {
		t.Fatal(err)
	}
	applyBoard("pi-zero", c) // the file wins
	if l, _ := c.queueLimits(); c.keepHistory() != 0 || l.MaxPerPeer != -1 || l.MaxBytesPerPeer != 64<<10 {
		t.Fatalf("set: %v %+v", c.keepHistory(), l)
	}
	for _, bad := range []string{`maintenance_at = "3:30pm"`, `maintenance_at = "25:00"`, `keep_history_days = -1`,
		`queue_max_per_peer = -5`, `queue_max_bytes_per_peer = "lots"`} {
		if _, err := parseConfig("server_id = \"x.test\"\n"+bad, "t"); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	loc := time.FixedZone("X", 2*3600)
	at := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, loc); return t }
	for now, want := range map[string]string{"2027-01-05 03:29": "2027-01-05 03:30", "2027-01-05 03:30": "2027-01-06 03:30",
		"2027-12-31 23:00": "2028-01-01 03:30"} {
		if got := nextMaintenance(at(now), 3, 30); !got.Equal(at(want)) {
			t.Errorf("after %s: %s, want %s", now, got, want)
		}
	}
}

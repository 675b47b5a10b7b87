package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/store"
)

// /healthz answers "ok" while the store can be read, and is not cached.
func TestHealthz(t *testing.T) {
	e := newEnv(t)
	resp, body := e.get("/healthz")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Fatalf("healthz: %s %q", resp.Status, body)
	}
	if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "text/plain; charset=utf-8" || cc != "no-store" {
		t.Errorf("healthz: Content-Type %q, Cache-Control %q", ct, cc)
	}
	// A closed store cannot be read: 503, and /metrics says so too.
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.get("/healthz"); resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(body, "store: ") {
		t.Fatalf("healthz over a closed store: %s %q", resp.Status, body)
	}
	if _, body := e.get("/metrics"); !strings.Contains(body, "\ncipmini_queue_length -1\n") {
		t.Errorf("metrics over a closed store lack a queue length of -1:\n%s", body)
	}
}

// Damaged records in quarantine make /healthz "degraded", still 200: the
// server serves the rest.
func TestHealthzDegraded(t *testing.T) {
	data := t.TempDir()
	q := filepath.Join(data, store.QuarantineDir)
	if err := os.Mkdir(q, 0o700); err != nil {
		t.Fatal(err)
	}
	rec, err := json.Marshal(store.QuarantinedRecord{File: "cipmini.db", Offset: 100, End: 120, Key: "event:x", Reason: "checksum", Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(q, "1-100.json"), rec, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnvIn(t, data)
	resp, body := e.get("/healthz")
	if resp.StatusCode != http.StatusOK || body != "degraded: 1 damaged records in quarantine\n" {
		t.Fatalf("healthz with a quarantined record: %s %q", resp.Status, body)
	}
	if _, body := e.get("/metrics"); !strings.Contains(body, "\ncipmini_store_quarantined_records 1\n") {
		t.Errorf("metrics lack the quarantined record:\n%s", body)
	}
}

// /metrics is the Prometheus text format: every sample line a name and a
// value, commands counted by verb and result through Backend, CIP sessions
// through CountSessions.
func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.invite(invitation("m@test", "M", t0.Add(time.Hour), t0.Add(2*time.Hour), []string{"room-1"}))
	// A second SENDEVENT refused: not a calendar.
	bad := e.backend.SendEvent(context.Background(), &cipmini.Request{Identity: cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"},
		Data: []byte("not a calendar\r\n")})
	if bad.Completion.OK {
		t.Fatalf("bad data stored: %v", bad.Completion)
	}
	fb := e.backend.FreeBusy(context.Background(), &cipmini.Request{
		Data: []byte("ATTENDEE:room-1@rooms.test\r\nDTSTART:20270302T000000Z\r\nDTEND:20270303T000000Z\r\n")})
	if !fb.Completion.OK {
		t.Fatalf("FREEBUSY: %v", fb.Completion)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := e.web.CountSessions(l)
	defer cl.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := cl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	metricsHave(t, e, "cipmini_sessions_open 1", "cipmini_sessions_total 1")
	sc.Close()
	sc.Close() // counted once
	body := metricsHave(t, e,
		"cipmini_sessions_open 0", "cipmini_sessions_total 1",
		`cipmini_commands_total{verb="SENDEVENT",result="ok_000"} 1`,
		fmt.Sprintf(`cipmini_commands_total{verb="SENDEVENT",result="no_%03d"} 1`, int(bad.Completion.Code)),
		`cipmini_commands_total{verb="FREEBUSY",result="ok_000"} 1`,
		"cipmini_queue_length 0", "cipmini_events_live 1", "cipmini_store_quarantined_records 0",
		"# TYPE cipmini_store_written_bytes_total counter", "# TYPE cipmini_sessions_open gauge",
		fmt.Sprint("cipmini_start_time_seconds ", t0.Unix()))
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(line, "# ") && len(strings.Fields(line)) != 2 {
			t.Errorf("not a sample line: %q", line)
		}
	}
}

// metricsHave fetches /metrics and checks that it holds each line.
func metricsHave(t *testing.T, e *testEnv, lines ...string) string {
	t.Helper()
	resp, body := e.get("/metrics")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("metrics: %s %v", resp.Status, resp.Header)
	}
	for _, l := range lines {
		if !strings.Contains("\n"+body, "\n"+l+"\n") {
			t.Errorf("metrics lack %q:\n%s", l, body)
		}
	}
	return body
}

// Every answer, refusals included, carries the security headers; a known
// path asked with another method is 405 with Allow; an unknown path 404.
func TestSecurityHeadersAndMethods(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		method, target string
		code           int
		allow          string
	}{
		{"GET", "/healthz", 200, ""},
		{"GET", "/metrics", 200, ""},
		{"GET", "/freebusy/room-1.ifb", 200, ""},
		{"GET", "/calendar/room-1.ics", 200, ""},
		{"GET", "/room/room-1", 200, ""},
		{"GET", "/room/room-1/state", 200, ""},
		{"POST", "/room/room-1/book", 403, ""}, // no PIN
		{"GET", "/nowhere", 404, ""},
		{"GET", "/freebusy/nobody.ifb", 404, ""},
		{"POST", "/healthz", 405, "GET, HEAD"},
		{"DELETE", "/metrics", 405, "GET, HEAD"},
		{"PUT", "/freebusy/room-1.ifb", 405, "GET, HEAD"},
		{"POST", "/calendar/room-1.ics", 405, "GET, HEAD"},
		{"POST", "/room/room-1", 405, "GET, HEAD"},
		{"GET", "/room/room-1/book", 405, "POST"},
		{"DELETE", "/room/room-1/state", 405, "GET, HEAD, POST"},
	} {
		resp, body := e.do(c.method, c.target, nil)
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %s, want %d\n%s", c.method, c.target, resp.Status, c.code, body)
		}
		if got := resp.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.target, got, c.allow)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s: security headers missing: %v", c.method, c.target, resp.Header)
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

var httpListenRE = regexp.MustCompile(`msg="cipmini: http" http_listen=(\S+)`)

// httpBase returns the daemon's HTTP base URL from its log.
func httpBase(t *testing.T, d *daemonProc) string {
	t.Helper()
	m := httpListenRE.FindStringSubmatch(d.log.String())
	if m == nil {
		t.Fatalf("no http_listen in the log:\n%s", d.log)
	}
	return "http://" + m[1]
}

// twoRoomsAndAlice are the users of webConfig and trustConfig: two rooms
// anyone may invite, room-2 showing titles, and alice.
const twoRoomsAndAlice = `[[user]]
name = "room-1"
kind = "room"
invite = "anyone"

[[user]]
name = "room-2"
kind = "room"
invite = "anyone"
show_titles = true

[[user]]
name = "alice"
password = "wonderland"
`

// webConfig is a server with two rooms (one showing titles), a person and
// a panel PIN.
const webConfig = `server_id = "web.test"
panel_pin = "4321"
%s
` + twoRoomsAndAlice

func writeWebConfig(t *testing.T, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "web.toml")
	if err := os.WriteFile(p, []byte(fmt.Sprintf(webConfig, extra)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// invitation is an event for room-1 and room-2 organized by alice.
func invitation(uid, summary string, start, end time.Time) []byte {
	return []byte(strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "METHOD:REQUEST",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z", "SEQUENCE:0",
		"DTSTART:" + start.UTC().Format("20060102T150405Z"), "DTEND:" + end.UTC().Format("20060102T150405Z"),
		"SUMMARY:" + summary, "ORGANIZER:mailto:alice@web.test",
		"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:room-1@web.test",
		"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:room-2@web.test",
		"END:VEVENT", "END:VCALENDAR", ""}, "\r\n"))
}

// aliceClient connects to the daemon and logs in as the demo's alice; the
// connection and the context (30 s) end with the test.
func aliceClient(t *testing.T, d *daemonProc) (*cipmini.Client, context.Context) {
	t.Helper()
	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	r, err := c.Authenticate(ctx, "alice", "wonderland")
	if err != nil || !r.Completion.OK {
		t.Fatalf("login: %v %+v", err, r)
	}
	return c, ctx
}

// cipFreeBusy asks the daemon over CIP, logged in as alice, and returns the
// periods as "start/end TYPE".
func cipFreeBusy(t *testing.T, d *daemonProc, user string, from, to time.Time) []string {
	t.Helper()
	c, ctx := aliceClient(t, d)
	req := fmt.Sprintf("ATTENDEE:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n", user, from.UTC().Format(icalUTC), to.UTC().Format(icalUTC))
	r, err := c.FreeBusy(ctx, []byte(req))
	if err != nil || !r.Completion.OK {
		t.Fatalf("FREEBUSY: %v %+v", err, r)
	}
	fbs, err := vcal.ParseFreeBusy(r.Data, nil)
	if err != nil || len(fbs) != 1 {
		t.Fatalf("FREEBUSY answer: %v\n%s", err, r.Data)
	}
	out := []string{}
	for _, p := range fbs[0].Periods {
		out = append(out, p.Start.Format(icalUTC)+"/"+p.End.Format(icalUTC)+" "+p.Type)
	}
	sort.Strings(out)
	return out
}

func sendAs(t *testing.T, d *daemonProc, data []byte) *cipmini.Reply {
	t.Helper()
	c, ctx := aliceClient(t, d)
	r, err := c.SendEvent(ctx, data)
	if err != nil || !r.Completion.OK {
		t.Fatalf("SENDEVENT: %v %+v", err, r)
	}
	return r
}

// httpGet fetches a URL with optional headers.
func httpGet(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	cl := &http.Client{Timeout: 30 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// needTool skips a test when a tool is missing, except under CI=true.
func needTool(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing (CI=true: it must be installed)", what)
	}
	t.Skipf("%s is missing", what)
}

// pyICal is the third-party parser: Debian's python3-icalendar. It prints
// the FREEBUSY periods and VEVENTs it read as JSON.
const pyICal = `
import sys, json, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
f = "%Y%m%dT%H%M%SZ"
out = {"method": str(cal.get("METHOD", "")), "fb": [], "ev": []}
for c in cal.walk():
    if c.name == "VFREEBUSY":
        fbs = c.get("FREEBUSY", [])
        if not isinstance(fbs, list):
            fbs = [fbs]
        for p in fbs:
            s, e = p.start, p.end
            out["fb"].append(s.strftime(f) + "/" + e.strftime(f) + " " + p.params.get("FBTYPE", "BUSY"))
    elif c.name == "VEVENT":
        out["ev"].append({"uid": str(c["UID"]), "summary": str(c.get("SUMMARY", "")),
            "organizer": str(c.get("ORGANIZER", "")), "status": str(c.get("STATUS", "")),
            "start": c.decoded("DTSTART").strftime(f), "end": c.decoded("DTEND").strftime(f)})
print(json.dumps(out))
`

type pyResult struct {
	Method string   `json:"method"`
	FB     []string `json:"fb"`
	Ev     []struct {
		UID, Summary, Organizer, Status, Start, End string
	} `json:"ev"`
}

func parseWithPython(t *testing.T, data string) pyResult {
	t.Helper()
	_, err := os.Stat("/usr/bin/python3")
	ok := err == nil && exec.Command("/usr/bin/python3", "-c", "import icalendar").Run() == nil
	needTool(t, "python3-icalendar (/usr/bin/python3 -c 'import icalendar')", ok)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-c", pyICal)
	cmd.Stdin = strings.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-icalendar rejected the data: %v\n%s", err, data)
	}
	var r pyResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sort.Strings(r.FB)
	return r
}

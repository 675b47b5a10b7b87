package web

import (
	"context"
	"github.com/cipmini/cipmini/cipmini/caltime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/backend"
)

// Last-Modified follows the scheduler's changes, whichever door they came
// through: a SENDEVENT handed to the scheduler itself (no wrapper of the
// web face in between) and a booking at the panel move it; a refused
// SENDEVENT does not.
func TestLastModifiedFollowsScheduler(t *testing.T) {
	e := newEnv(t)
	lastModified := func() string {
		t.Helper()
		resp, _ := e.get("/freebusy/room-1.ifb?start=20270302&end=20270303")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET .ifb: %s", resp.Status)
		}
		return resp.Header.Get("Last-Modified")
	}
	if lm := lastModified(); lm != t0.Format(http.TimeFormat) {
		t.Fatalf("Last-Modified %q at the start", lm)
	}
	send := func(data []byte) *cipmini.Reply {
		return backend.New(e.sched, quietLog).SendEvent(context.Background(), &cipmini.Request{
			Identity: cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}, Data: data})
	}

	e.clock.Advance(time.Minute)
	inv := invitation("lm-1@rooms.test", "Planning", t0.Add(time.Hour), t0.Add(2*time.Hour), []string{"room-1"})
	if r := send(inv); !r.Completion.OK {
		t.Fatalf("SENDEVENT: %v", r.Completion)
	}
	if lm, want := lastModified(), t0.Add(time.Minute).Format(http.TimeFormat); lm != want {
		t.Errorf("Last-Modified %q after a SENDEVENT, want %q", lm, want)
	}

	e.clock.Advance(time.Minute)
	stale := invitation("lm-1@rooms.test", "Planning", t0.Add(time.Hour), t0.Add(2*time.Hour), []string{"room-1"})
	stale = []byte(strings.Replace(string(stale), "DTSTAMP:"+t0.Format(caltime.UTCLayout), "DTSTAMP:"+t0.Add(-time.Hour).Format(caltime.UTCLayout), 1))
	if r := send(stale); r.Completion.OK || r.Completion.Code != cipmini.CodeStale {
		t.Fatalf("stale SENDEVENT: %v", r.Completion)
	}
	if lm, want := lastModified(), t0.Add(time.Minute).Format(http.TimeFormat); lm != want {
		t.Errorf("Last-Modified %q after a refused SENDEVENT, want %q", lm, want)
	}

	e.clock.Advance(time.Minute)
	e.book("room-1", 15)
	if lm, want := lastModified(), t0.Add(3*time.Minute).Format(http.TimeFormat); lm != want {
		t.Errorf("Last-Modified %q after a panel booking, want %q", lm, want)
	}
}

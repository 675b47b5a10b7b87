package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/backend"
)

// benchReads returns a handler over a store where room-2 (titles shown)
// holds n one-hour bookings of alice, 12 a day from t0's day on, each
// with its title.
func benchReads(b *testing.B, n int) http.Handler {
	clock := &testClock{now: t0}
	db, dir, sch := newCalendarBackend(b, b.TempDir(), clock.Now)
	cip := backend.New(sch, quietLog)
	alice := cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}
	day := t0.Truncate(24 * time.Hour)
	for i := 0; i < n; i++ {
		start := day.AddDate(0, 0, i/12).Add(time.Duration(i%12) * 2 * time.Hour)
		data := invitation(fmt.Sprintf("b-%d@test", i), fmt.Sprintf("Meeting %d", i), start, start.Add(time.Hour), []string{"room-2"})
		if r := cip.SendEvent(context.Background(), &cipmini.Request{Identity: alice, Data: data}); !r.Completion.OK {
			b.Fatal(r)
		}
	}
	s := New(sch, dir, db, Options{ServerID: testServerID, PanelPIN: testPIN, ShowTitles: map[string]bool{"room-2@rooms.test": true},
		Logger: quietLog, Now: clock.Now, Guard: &cipmini.LoginGuard{BaseDelay: -1}, RefKey: testRefKey})
	return s.Handler()
}

// benchGet measures GET target on h, which must answer 200.
func benchGet(b *testing.B, h http.Handler, target string) {
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
		io.Copy(io.Discard, w.Body)
	}
}

// BenchmarkPanelRefresh measures what a room panel asks every few seconds,
// GET /room/room-2/state, for a day of 12 bookings with titles.
func BenchmarkPanelRefresh(b *testing.B) {
	benchGet(b, benchReads(b, 12), "/room/room-2/state")
}

// BenchmarkFeedRead measures GET /calendar/room-2.ics over 500 bookings
// with titles: the store's reads and the feed's text.
func BenchmarkFeedRead(b *testing.B) {
	benchGet(b, benchReads(b, 500), "/calendar/room-2.ics")
}

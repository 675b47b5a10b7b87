package web

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/emersion/go-ical"
)

// feedWithGoIcal builds a feed the way the server once did, through
// go-ical's tree and encoder, to check that the streamed text says the
// same, octet for octet.
// testRefKey keys the references of the feed tests.
var testRefKey = []byte("0123456789abcdef0123456789abcdef")

func feedWithGoIcal(t testing.TB, user string, modified time.Time, show bool, bs []sched.Booking) string {
	cal := newCalendar("PUBLISH")
	cal.Props.SetText("X-WR-CALNAME", user)
	for _, b := range bs {
		ev := ical.NewEvent()
		uid := b.UID
		if !show {
			uid = bookingRef(testRefKey, b.UID)
		}
		if b.Recurring {
			uid = fmt.Sprintf("%s/%s", uid, b.Start.UTC().Format("20060102T150405Z"))
		}
		ev.Props.SetText(ical.PropUID, uid)
		ev.Props.SetDateTime(ical.PropDateTimeStamp, modified)
		ev.Props.SetDateTime(ical.PropDateTimeStart, b.Start.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, b.End.UTC())
		ev.Props.Set(&ical.Prop{Name: ical.PropSequence, Params: ical.Params{}, Value: fmt.Sprint(b.Sequence)})
		summary := "Busy"
		if show {
			if b.Summary != "" {
				summary = b.Summary
			}
			if b.Organizer != "" {
				org := ical.NewProp(ical.PropOrganizer)
				org.Value = "mailto:" + b.Organizer
				ev.Props.Set(org)
			}
		}
		ev.Props.SetText(ical.PropSummary, summary)
		status := "CONFIRMED"
		if b.Tentative {
			status = "TENTATIVE"
		}
		ev.Props.SetText(ical.PropStatus, status)
		ev.Props.SetText(ical.PropTransparency, "OPAQUE")
		cal.Children = append(cal.Children, ev.Component)
	}
	var buf bytes.Buffer
	if err := encodeCalendar(&buf, cal); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestFeedTextAsGoIcal(t *testing.T) {
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	bs := []sched.Booking{
		{UID: "one@x.test", Start: at, End: at.Add(time.Hour), Summary: "Budget; Q3, \"final\"\nsecond line", Organizer: "boss@x.test", Sequence: 3},
		{UID: "series,1@x.test", Start: at.Add(24 * time.Hour), End: at.Add(25 * time.Hour), Recurring: true, Tentative: true,
			Summary: "Größenplanung für die Überlänge der Besprechungen im Frühjahr, mit allen Beteiligten und Gästen"},
		{UID: "bare@x.test", Start: at.Add(48 * time.Hour), End: at.Add(48 * time.Hour)},
	}
	modified := time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)
	for _, show := range []bool{false, true} {
		for _, list := range [][]sched.Booking{nil, bs} {
			want := feedWithGoIcal(t, "room-1@x.test", modified, show, list)
			if got := string(appendFeed(nil, "room-1@x.test", modified, show, testRefKey, list)); got != want {
				t.Errorf("show=%v, %d bookings:\n got %q\nwant %q", show, len(list), got, want)
			}
		}
	}
}

// A feed of FeedMaxEvents bookings, written as text and, for comparison,
// through go-ical's tree as before.
func BenchmarkFeed(b *testing.B) {
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	bs := make([]sched.Booking, FeedMaxEvents)
	for i := range bs {
		s := at.Add(time.Duration(i) * time.Minute)
		bs[i] = sched.Booking{UID: "dense@x.test", Start: s, End: s.Add(time.Minute), Recurring: true, Summary: "Stand-up", Organizer: "tom@x.test"}
	}
	modified := time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			appendFeed(make([]byte, 0, 256+len(bs)*256), "room-1@x.test", modified, true, testRefKey, bs)
		}
	})
	b.Run("go-ical", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			feedWithGoIcal(b, "room-1@x.test", modified, true, bs)
		}
	})
}

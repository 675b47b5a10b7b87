package vcal

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// The text openings say what NewCalendar holds: the encoder's order for
// AppendEncodedCalendarStart, the usual order for AppendCalendarStart, and
// both parse back to NewCalendar's properties.
func TestCalendarStart(t *testing.T) {
	cal := NewCalendar("REQUEST")
	ev := ical.NewComponent(ical.CompEvent)
	ev.Props.SetText(ical.PropUID, "1@x.test")
	ev.Props.SetDateTime(ical.PropDateTimeStamp, time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	ev.Props.SetDateTime(ical.PropDateTimeStart, time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	cal.Children = append(cal.Children, ev)
	var buf bytes.Buffer
	if err := Encode(&buf, cal); err != nil {
		t.Fatal(err)
	}
	enc := string(AppendEncodedCalendarStart(nil, "REQUEST"))
	if !strings.HasPrefix(buf.String(), enc+"BEGIN:VEVENT\r\n") {
		t.Fatalf("Encode wrote %q, want it to start with %q", buf.String(), enc)
	}
	want := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + ProdID + "\r\nMETHOD:REQUEST\r\n"
	text := string(AppendCalendarStart(nil, "REQUEST"))
	if text != want {
		t.Fatalf("got %q, want %q", text, want)
	}
	back, err := ical.NewDecoder(strings.NewReader(text + "BEGIN:VEVENT\r\nUID:1@x.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")).Decode()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ical.PropVersion, ical.PropProductID, ical.PropMethod} {
		if got, want := back.Props.Get(name).Value, cal.Props.Get(name).Value; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

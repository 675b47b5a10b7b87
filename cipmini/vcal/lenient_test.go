package vcal

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func parseCal(t *testing.T, body string) *Event {
	t.Helper()
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "END:VCALENDAR\r\n"
	evs, err := ParseEvents([]byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	return evs[0]
}

func instanceDays(t *testing.T, e *Event) string {
	t.Helper()
	ins, err := e.Instances(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range ins {
		out = append(out, in.Start.Format("01-02T15:04"))
	}
	return strings.Join(out, " ")
}

// EXDATEs and RECURRENCE-IDs whose form (DATE or DATE-TIME) differs from
// DTSTART's name the instance of their date.
func TestMixedDateForms(t *testing.T) {
	const who = "ORGANIZER:mailto:o@x\nATTENDEE:mailto:a@x\n"
	timed := parseCal(t, "BEGIN:VEVENT\nUID:t\n"+who+"DTSTART;TZID=Europe/Berlin:20270301T100000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20270302\nEND:VEVENT\n")
	if got := instanceDays(t, timed); got != "03-01T09:00 03-03T09:00" {
		t.Errorf("DATE EXDATE of a timed series: %s", got)
	}
	allDay := parseCal(t, "BEGIN:VEVENT\nUID:a\n"+who+"DTSTART;VALUE=DATE:20270301\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;TZID=America/New_York:20270302T000000\nEND:VEVENT\n"+
		"BEGIN:VEVENT\nUID:a\n"+who+"RECURRENCE-ID;TZID=Europe/Berlin:20270303T000000\nDTSTART;VALUE=DATE:20270310\nEND:VEVENT\n")
	if got := instanceDays(t, allDay); got != "03-01T00:00 03-10T00:00" {
		t.Errorf("DATE-TIME EXDATE and RECURRENCE-ID of an all-day series: %s", got)
	}
}

// An escaped TZID names the same VTIMEZONE as the quoted one, and the
// normalized calendar re-reads the same.
func TestEscapedTZIDRoundTrip(t *testing.T) {
	e := parseCal(t, "BEGIN:VTIMEZONE\nTZID:Kuala Lumpur\\, Singapore \nBEGIN:STANDARD\nDTSTART:16010101T000000\nTZOFFSETFROM:+0900\nTZOFFSETTO:+0800\nEND:STANDARD\nEND:VTIMEZONE\n"+
		"BEGIN:VEVENT\nUID:k\nORGANIZER:mailto:o@x\nATTENDEE:mailto:a@x\nDTSTART;TZID=\"Kuala Lumpur, Singapore\":20270305T093000\nDURATION:PT10M\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n")
	if got := instanceDays(t, e); got != "03-05T01:30 03-12T01:30" {
		t.Fatalf("instances %s", got)
	}
	var buf bytes.Buffer
	if err := e.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := ParseEvents(buf.Bytes(), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if got := instanceDays(t, again[0]); got != "03-05T01:30 03-12T01:30" {
		t.Fatalf("re-read: %s\n%s", got, buf.String())
	}
}

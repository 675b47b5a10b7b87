package vcal

import (
	"bufio"
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// Regression tests for go-ical's decoder defects, which this package must
// not share.

func TestRegressionNoColonNoPanic(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;ROLE=OWNER\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	_, err := ParseEvents([]byte(data), nil)
	var se *SyntaxError
	if !errors.Is(err, ErrNoColon) || !errors.As(err, &se) || se.Line != 5 {
		t.Fatalf("error %v", err)
	}
}

// A 100 KB parameter value is parsed with work and memory linear in its
// size (go-ical's decoder is quadratic on it).
func TestRegressionLongParameterLinear(t *testing.T) {
	const size = 100 << 10
	lim := &Limits{MaxLineBytes: 4 * size, MaxBytes: 8 * size}
	cases := map[string]string{
		"unquoted": strings.Repeat("x", size),
		"quoted":   `"` + strings.Repeat("a:b;", size/4) + `"`,
		"escaped":  strings.Repeat(`a\,`, size/3),
		"values":   strings.Repeat("a,", size/2) + "a",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			data := []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nX-LONG;X-P=" + value + ":v\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cal, err := Decode(bytes.NewReader(data), lim)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			p := cal.Children[0].Props.Get("X-LONG")
			if p == nil || len(p.Params["X-P"]) == 0 {
				t.Fatal("parameter lost")
			}
			// Linear: a small multiple of the input (line buffer, line
			// string, value slices), nowhere near the n^2/2 of
			// concatenating one byte at a time.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(40*len(data)) {
				t.Fatalf("allocated %d bytes for %d bytes of input", alloc, len(data))
			}
		})
	}
	allocs := testing.AllocsPerRun(5, func() {
		Decode(strings.NewReader("BEGIN:VEVENT\r\nX-LONG;X-P="+cases["unquoted"]+":v\r\nEND:VEVENT\r\n"), lim)
	})
	if allocs > 40 {
		t.Fatalf("%v allocations for one long parameter", allocs)
	}
	// Under the default limits such a line is refused, not parsed.
	_, err := ParseEvents([]byte("BEGIN:VEVENT\r\nX-LONG;X-P="+strings.Repeat("x", DefaultMaxLineBytes)+":v\r\nEND:VEVENT\r\n"), nil)
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("default limit: %v", err)
	}
}

func TestRegressionLimitsThroughParseEvents(t *testing.T) {
	ev := func(body string) []byte {
		return []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20270101T100000Z\r\n" +
			"ORGANIZER:mailto:o@x\r\nATTENDEE:mailto:a@x\r\n" + body + "END:VEVENT\r\nEND:VCALENDAR\r\n")
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"nesting", ev(strings.Repeat("BEGIN:VALARM\r\n", 3) + strings.Repeat("END:VALARM\r\n", 3)), ErrTooDeep},
		{"attendees", ev(strings.Repeat("ATTENDEE:mailto:b@x\r\n", DefaultMaxAttendees)), ErrTooManyAttendees},
		{"rdates", ev("RDATE:" + strings.Repeat("20270102T100000Z,", DefaultMaxRecurrence) + "20270102T100000Z\r\n"), ErrTooManyRecurrences},
		{"line", ev("DESCRIPTION:" + strings.Repeat("x", DefaultMaxLineBytes) + "\r\n"), ErrLineTooLong},
		{"bytes", ev(strings.Repeat("X-A:"+strings.Repeat("y", 1000)+"\r\n", DefaultMaxBytes/1000)), ErrDataTooLarge},
		{"params", ev("X-A" + strings.Repeat(";A=b", DefaultMaxParams+1) + ":c\r\n"), ErrTooManyParams},
		{"properties", ev(strings.Repeat("X-A:b\r\n", DefaultMaxProperties)), ErrTooManyProperties},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvents(tt.data, nil)
			var le *LimitError
			if !errors.Is(err, tt.want) || !errors.As(err, &le) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRegressionVTimezoneApplied(t *testing.T) {
	// A zone that exists only in the data: +05:30 with no daylight time.
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Custom Office Time\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n" +
		"TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:tz-1\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;TZID=Custom Office Time:20270301T100000\r\nDTEND;TZID=\"Custom Office Time\":20270301T113000\r\n" +
		"ORGANIZER:mailto:o@x\r\nATTENDEE:mailto:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	events, err := ParseEvents([]byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if !e.Start.Equal(utc("2027-03-01T04:30")) || !e.End.Equal(utc("2027-03-01T06:00")) {
		t.Fatalf("times %v %v", e.Start, e.End)
	}
	out := encodeEvent(t, e)
	if !bytes.Contains(out, []byte("TZID:Custom Office Time")) || !bytes.Contains(out, []byte("DTSTART;TZID=Custom Office Time:20270301T100000")) {
		t.Fatalf("VTIMEZONE or local time not kept:\n%s", out)
	}
	again, err := ParseEvents(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := modelDiff(e, again[0]); d != "" {
		t.Fatal(d)
	}
}

func TestRegressionUnknownTZID(t *testing.T) {
	data := "BEGIN:VEVENT\r\nUID:tz-2\r\nDTSTART;TZID=Nowhere/Land:20270301T100000\r\n" +
		"ORGANIZER:mailto:o@x\r\nATTENDEE:mailto:a@x\r\nEND:VEVENT\r\n"
	_, err := ParseEvents([]byte(data), nil)
	var pe *PropError
	if !errors.As(err, &pe) || pe.Prop != "DTSTART" {
		t.Fatalf("error %v", err)
	}
}

func TestRegressionOutputFolded(t *testing.T) {
	summary := strings.Repeat("Größenänderung 会議室 ✓ ", 20)
	data := "BEGIN:VEVENT\r\nUID:fold-2\r\nDTSTART:20270301T100000Z\r\nSUMMARY:" + summary + "\r\n" +
		"ORGANIZER;CN=" + strings.Repeat("Ä", 60) + ":mailto:o@x\r\nATTENDEE:mailto:a@x\r\nEND:VEVENT\r\n"
	events, err := ParseEvents([]byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := encodeEvent(t, events[0]) // checks <= 75 octets per line
	folded := 0
	for _, line := range strings.Split(string(out), "\r\n") {
		if !utf8.ValidString(line) {
			t.Fatalf("fold split a UTF-8 sequence: %q", line)
		}
		if strings.HasPrefix(line, " ") {
			folded++
		}
	}
	if folded < 8 {
		t.Fatalf("only %d continuation lines:\n%s", folded, out)
	}
	again, err := ParseEvents(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Summary != summary || again[0].Organizer.CN != strings.Repeat("Ä", 60) {
		t.Fatalf("unfolded summary %q", again[0].Summary)
	}
}

func TestFoldWriterExactWidth(t *testing.T) {
	var buf bytes.Buffer
	var sb strings.Builder
	for i := 0; i < 300; i++ {
		sb.WriteString(string(rune('a' + i%3)))
		if i%7 == 0 {
			sb.WriteString("€")
		}
	}
	fw := &foldWriter{w: bufio.NewWriter(&buf)}
	fw.Write([]byte("X:" + sb.String() + "\r\n"))
	fw.w.Flush()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
	joined := lines[0]
	for _, l := range lines {
		if len(l) > MaxLineOctets {
			t.Fatalf("line of %d octets", len(l))
		}
		if !utf8.ValidString(l) {
			t.Fatalf("split sequence in %q", l)
		}
	}
	for _, l := range lines[1:] {
		joined += l[1:]
	}
	if joined != "X:"+sb.String() {
		t.Fatal("unfolding does not restore the line")
	}
}

package vcal

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// scanAll runs a Scanner over s and returns the lines as "NAME;P=V,V:VALUE"
// strings with unquoted, decoded parts.
func scanAll(t *testing.T, s string, lim *Limits) ([]string, error) {
	t.Helper()
	sc := NewScanner(strings.NewReader(s), lim)
	var out []string
	for sc.Scan() {
		ln := sc.Line()
		var b strings.Builder
		b.WriteString(ln.Name)
		for _, p := range ln.Params {
			b.WriteString(";" + p.Name + "=" + strings.Join(p.Values, ","))
		}
		b.WriteString(":" + ln.Value)
		out = append(out, b.String())
	}
	return out, sc.Err()
}

func TestScannerLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"crlf and folding", "BEGIN:VCALENDAR\r\nSUMMARY:a\r\n b\r\n\tc\r\nEND:VCALENDAR\r\n",
			[]string{"BEGIN:VCALENDAR", "SUMMARY:abc", "END:VCALENDAR"}},
		{"bare lf lowercase", "begin:vcalendar\nsummary;language=de:x\nend:vcalendar\n",
			[]string{"BEGIN:VCALENDAR", "SUMMARY;LANGUAGE=de:x", "END:VCALENDAR"}},
		{"draft spaces", "ATTENDEE; ROLE = OWNER: Pete O'Leary <poleary@clearblue.com>\r\nDTSTART: 19961231T2000-0500\r\n",
			[]string{"ATTENDEE;ROLE=OWNER:Pete O'Leary <poleary@clearblue.com>", "DTSTART:19961231T2000-0500"}},
		{"quoted params", "BEGIN:VEVENT\r\nATTENDEE;CN=\"Jones, Tom: a;b\";X=\"\",y:mailto:t@x\r\nEND:VEVENT\r\n",
			[]string{"BEGIN:VEVENT", "ATTENDEE;CN=Jones, Tom: a;b;X=,y:mailto:t@x", "END:VEVENT"}},
		{"outlook escaped comma", "BEGIN:VEVENT\r\nATTENDEE;CN=Room 4.12 (Beamer\\, 8 Pl\r\n ätze);RSVP=TRUE:mailto:r@x\r\nEND:VEVENT\r\n",
			[]string{"BEGIN:VEVENT", "ATTENDEE;CN=Room 4.12 (Beamer, 8 Plätze);RSVP=TRUE:mailto:r@x", "END:VEVENT"}},
		{"qp soft break and charset", "BEGIN:VEVENT\r\nDESCRIPTION;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:a=C3=\r\n=BC=0D=0Ab\r\nEND:VEVENT\r\n",
			[]string{"BEGIN:VEVENT", "DESCRIPTION;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:aü\r\nb", "END:VEVENT"}},
		{"qp shorthand param", "BEGIN:VEVENT\r\nSUMMARY;QUOTED-PRINTABLE:x=3Dy=\r\nz\r\nEND:VEVENT\r\n",
			[]string{"BEGIN:VEVENT", "SUMMARY;ENCODING=QUOTED-PRINTABLE:x=yz", "END:VEVENT"}},
		{"latin1 bytes", "BEGIN:VEVENT\r\nSUMMARY:R\xe9union caf\xe9\r\nEND:VEVENT\r\n",
			[]string{"BEGIN:VEVENT", "SUMMARY:Réunion café", "END:VEVENT"}},
		{"windows-1252", "BEGIN:VEVENT\r\nSUMMARY;CHARSET=windows-1252:\x80 \x93q\x94\r\nEND:VEVENT\r\n",
			[]string{"BEGIN:VEVENT", "SUMMARY;CHARSET=windows-1252:€ “q”", "END:VEVENT"}},
		{"declared latin1 param", "BEGIN:VEVENT\r\nATTENDEE;CN=M\xfcller:m@x\r\nEND:VEVENT\r\n",
			[]string{"BEGIN:VEVENT", "ATTENDEE;CN=Müller:m@x", "END:VEVENT"}},
		{"blank lines skipped", "BEGIN:VEVENT\r\n\r\n  \r\nUID:1\r\nEND:VEVENT\r\n\r\n",
			[]string{"BEGIN:VEVENT", "UID:1", "END:VEVENT"}},
		{"final line without newline", "UID:1\r\nSEQUENCE:2",
			[]string{"UID:1", "SEQUENCE:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanAll(t, tt.in, nil)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestScannerErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  *Limits
		want error
	}{
		{"no colon", "BEGIN:VEVENT\r\nATTENDEE;ROLE=OWNER\r\nEND:VEVENT\r\n", nil, ErrNoColon},
		{"no colon bare", "UID unique identifier of event\r\n", nil, ErrNoColon},
		{"unterminated quote", "BEGIN:VEVENT\r\nORGANIZER;CN=\"Bob:mailto:b@x\r\nEND:VEVENT\r\n", nil, ErrUnterminatedQuote},
		{"text after quote", "BEGIN:VEVENT\r\nORGANIZER;CN=\"Bob\"x:mailto:b@x\r\nEND:VEVENT\r\n", nil, ErrBadParam},
		{"bad name", "BEGIN:VEVENT\r\nDT START:x\r\nEND:VEVENT\r\n", nil, ErrBadName},
		{"empty name", ":x\r\n", nil, ErrBadName},
		{"empty param name", "X;=a:b\r\n", nil, ErrBadParam},
		{"mismatched end", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", nil, ErrMismatchedEnd},
		{"end without begin", "UID:x\r\nEND:VEVENT\r\n", nil, ErrMismatchedEnd},
		{"missing end", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", nil, ErrUnexpectedEnd},
		{"bad begin", "BEGIN:VCALENDAR\r\nBEGIN:\r\n", nil, ErrBadName},
		{"unknown charset", "UID;CHARSET=KOI8-R:x\r\n", nil, ErrCharset},
		{"depth", strings.Repeat("BEGIN:VCALENDAR\r\n", 5), nil, ErrTooDeep},
		{"line too long", "UID:" + strings.Repeat("x", 200) + "\r\n", &Limits{MaxLineBytes: 100}, ErrLineTooLong},
		{"folded too long", "UID:" + strings.Repeat("x\r\n ", 200) + "\r\n", &Limits{MaxLineBytes: 100}, ErrLineTooLong},
		{"data too large", strings.Repeat("X-A:b\r\n", 100), &Limits{MaxBytes: 300}, ErrDataTooLarge},
		{"properties", strings.Repeat("X-A:b\r\n", 100), &Limits{MaxProperties: 50}, ErrTooManyProperties},
		{"params", "X-A" + strings.Repeat(";A=b", 10) + ":c\r\n", &Limits{MaxParams: 5}, ErrTooManyParams},
		{"attendees", strings.Repeat("ATTENDEE:a@b\r\n", 6), &Limits{MaxAttendees: 5}, ErrTooManyAttendees},
		{"recurrence", "RDATE:1,2,3\r\nEXDATE:4;5;6\r\n", &Limits{MaxRecurrence: 5}, ErrTooManyRecurrences},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanAll(t, tt.in, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var se *SyntaxError
			var le *LimitError
			if !errors.As(err, &se) && !errors.As(err, &le) {
				t.Fatalf("error %T is neither *SyntaxError nor *LimitError", err)
			}
			if !strings.HasPrefix(err.Error(), "vcal: ") {
				t.Fatalf("error text %q", err)
			}
		})
	}
}

func TestScannerLimitsDefaults(t *testing.T) {
	// Exactly at the attendee limit passes; one more fails.
	in := "BEGIN:VEVENT\r\n" + strings.Repeat("ATTENDEE:a@b\r\n", DefaultMaxAttendees) + "END:VEVENT\r\n"
	if _, err := scanAll(t, in, nil); err != nil {
		t.Fatalf("at limit: %v", err)
	}
	in = "BEGIN:VEVENT\r\n" + strings.Repeat("ATTENDEE:a@b\r\n", DefaultMaxAttendees+1) + "END:VEVENT\r\n"
	var le *LimitError
	if _, err := scanAll(t, in, nil); !errors.As(err, &le) || le.Max != DefaultMaxAttendees {
		t.Fatalf("over limit: %v", err)
	}
	// Depth 4 is allowed.
	in = "BEGIN:A\r\nBEGIN:B\r\nBEGIN:C\r\nBEGIN:D\r\nEND:D\r\nEND:C\r\nEND:B\r\nEND:A\r\n"
	if _, err := scanAll(t, in, nil); err != nil {
		t.Fatalf("depth 4: %v", err)
	}
}

// endReader serves data and fails the test if it is read again once the
// data is exhausted, like a network peer that sends nothing after the
// calendar.
type endReader struct {
	t    *testing.T
	data []byte
	done bool
}

func (r *endReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		r.t.Errorf("read past the end of the calendar")
		r.done = true
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestScannerStopsAtEnd(t *testing.T) {
	cal := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:a\r\n b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	r := &endReader{t: t, data: []byte(cal)}
	got, err := scanAll(t, "", nil) // warm-up of the helper on empty input
	if err != nil || len(got) != 0 {
		t.Fatalf("empty input: %v %v", got, err)
	}
	sc := NewScanner(r, nil)
	n := 0
	for sc.Scan() {
		n++
	}
	if sc.Err() != nil || n != 6 {
		t.Fatalf("lines %d, err %v", n, sc.Err())
	}
	if r.done {
		t.Fatal("scanner read past END:VCALENDAR")
	}
}

func TestScannerStopsAtEndPipe(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		pw.Write([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n"))
		pw.Write([]byte("END:VCALENDAR\r\n"))
		// The writer now keeps the pipe open: reading on would block.
	}()
	cal, err := Decode(pr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cal.Children) != 1 || cal.Children[0].Props.Get("UID").Value != "1" {
		t.Fatalf("decoded %+v", cal.Component)
	}
}

func TestScannerSingleValuedParams(t *testing.T) {
	got, err := scanAll(t, "ORGANIZER;CN=Weaver, Mary;MEMBER=a@x,b@x;X-L=1,2:mailto:m@x\r\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(strings.NewReader("ORGANIZER;CN=Weaver, Mary;MEMBER=a@x,b@x:mailto:m@x\r\n"), nil)
	if !sc.Scan() {
		t.Fatal(sc.Err())
	}
	ps := sc.Line().Params
	if len(ps[0].Values) != 1 || ps[0].Values[0] != "Weaver, Mary" || len(ps[1].Values) != 2 {
		t.Fatalf("params %q (%q)", ps, got)
	}
}

// TestScannersOverLimitWithEarlierError: over the size limit, the in-memory
// scanner refuses at once while the streaming one may stop first at an error
// of its own. Both fail; neither takes the data.
func TestScannersOverLimitWithEarlierError(t *testing.T) {
	in := []byte("UID:x\r\nX;=a:b\r\n" + strings.Repeat("X-A:b\r\n", 100))
	lim := &Limits{MaxBytes: 300}
	sc := NewScanner(bytes.NewReader(in), lim)
	for sc.Scan() {
	}
	if !errors.Is(sc.Err(), ErrBadParam) {
		t.Fatalf("streaming scanner: %v, want the bad parameter first", sc.Err())
	}
	sb := newBytesScanner(in, lim)
	for sb.Scan() {
	}
	if !errors.Is(sb.Err(), ErrDataTooLarge) {
		t.Fatalf("in-memory scanner: %v, want data too large", sb.Err())
	}
}

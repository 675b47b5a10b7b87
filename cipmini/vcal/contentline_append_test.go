package vcal

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// AppendContentLine folds as Encode does, keeps UTF-8 sequences whole and
// never lets a line break out of the value.
func TestAppendContentLine(t *testing.T) {
	long := strings.Repeat("Größe; Überlänge, ", 12)
	out := string(AppendContentLine([]byte("X\r\n"), "SUMMARY", EscapeText(long+"\r\nBEGIN:VEVENT")))
	if !strings.HasPrefix(out, "X\r\nSUMMARY:Gr") || !strings.HasSuffix(out, "\r\n") {
		t.Fatalf("%q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")[1:]
	for i, l := range lines {
		if len(l) > MaxLineOctets || !utf8.ValidString(l) || i > 0 && !strings.HasPrefix(l, " ") {
			t.Fatalf("line %d %q", i, l)
		}
	}
	unfolded := strings.ReplaceAll(strings.TrimSuffix(out[3:], "\r\n"), "\r\n ", "")
	if want := "SUMMARY:" + EscapeText(long) + `\nBEGIN:VEVENT`; unfolded != want {
		t.Fatalf("unfolded\n%q\nwant\n%q", unfolded, want)
	}
	if got := string(AppendContentLine(nil, "ORGANIZER", "mailto:a@b\r\nBEGIN:VALARM")); got != "ORGANIZER:mailto:a@bBEGIN:VALARM\r\n" {
		t.Fatalf("a raw line break: %q", got)
	}
}

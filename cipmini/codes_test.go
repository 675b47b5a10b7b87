package cipmini

import "testing"

// Final is the retry rule: 000 to 006 final, 007 and every code above it
// (unknown ones included) temporary. Every three-digit code is checked.
func TestCodeFinal(t *testing.T) {
	named := map[Code]bool{
		CodeNone: true, CodeInvalid: true, CodeNotAllowed: true, CodePartial: true,
		CodeUnknownEvent: true, CodeStale: true, CodeTooLarge: true, CodeTempFailure: false,
	}
	if len(named) != 8 {
		t.Fatalf("%d named codes, want 000 to 007", len(named))
	}
	for c := Code(0); c < 1000; c++ {
		want, ok := named[c]
		if !ok {
			want = false // unknown: taken as temporary
		}
		if got := c.Final(); got != want {
			t.Errorf("Code %s: Final() = %v, want %v", c, got, want)
		}
	}
}

// A completion read back from the wire keeps its code, so a client decides
// on what the server sent: "NO 006" is final, "NO 007" and "NO 042" are not.
func TestCodeFinalFromWire(t *testing.T) {
	for line, want := range map[string]bool{
		"NO 006 Data too large": true, "NO 000 Access denied.": true, "NO 005 Stale": true,
		"NO 007 Server shutting down": false, "NO 042 Something new": false,
	} {
		c, ok := parseCompletion([]byte(line))
		if !ok || c.OK || c.Code.Final() != want {
			t.Errorf("%q: %+v, Final %v, want %v", line, c, c.Code.Final(), want)
		}
	}
}

package cipmini

import (
	"testing"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// The public verbs are the wire's, name for name.
func TestVerbMatchesWire(t *testing.T) {
	want := map[Verb]string{VerbUnknown: "", VerbAuthenticate: "AUTHENTICATE", VerbSendEvent: "SENDEVENT",
		VerbRSVP: "RSVP", VerbFreeBusy: "FREEBUSY", VerbNoop: "NOOP", VerbQuit: "QUIT"}
	for v, name := range want {
		if v.String() != name {
			t.Errorf("%d: %q, want %q", v, v.String(), name)
		}
		var cmd wire.Command
		if name != "" {
			line := name
			if v.TakesData() {
				line += " +"
			}
			wire.ParseCommand([]byte(line), &cmd)
			if Verb(cmd.Verb) != v {
				t.Errorf("%q parses as %v", line, cmd.Verb)
			}
		}
		data := v == VerbSendEvent || v == VerbRSVP || v == VerbFreeBusy
		if v.TakesData() != data {
			t.Errorf("%v: TakesData %v", v, v.TakesData())
		}
	}
}

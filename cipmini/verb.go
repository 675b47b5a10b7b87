package cipmini

import "github.com/cipmini/cipmini/cipmini/internal/wire"

// Verb identifies a CIP command: the draft's (section 2) and the profile's
// NOOP and QUIT.
type Verb uint8

// The commands, by the name they have on the wire.
const (
	VerbUnknown      = Verb(wire.VerbUnknown) // a line that names no command
	VerbAuthenticate = Verb(wire.VerbAuthenticate)
	VerbSendEvent    = Verb(wire.VerbSendEvent)
	VerbRSVP         = Verb(wire.VerbRSVP)
	VerbFreeBusy     = Verb(wire.VerbFreeBusy)
	VerbNoop         = Verb(wire.VerbNoop)
	VerbQuit         = Verb(wire.VerbQuit)
)

// String returns the command's name as sent on the wire, upper case; empty
// for VerbUnknown or a value that names no command.
func (v Verb) String() string { return wire.Verb(v).String() }

// TakesData reports whether the command is followed by a data block:
// SENDEVENT, RSVP and FREEBUSY, the commands a Backend carries out.
func (v Verb) TakesData() bool { return wire.Verb(v).TakesData() }

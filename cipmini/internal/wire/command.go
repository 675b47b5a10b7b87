package wire

import "errors"

// Verb identifies a CIP command.
type Verb uint8

// The commands of the draft (its section 2) and NOOP and QUIT
// (docs/PROTOCOL.md section 5).
const (
	VerbUnknown Verb = iota
	VerbAuthenticate
	VerbSendEvent
	VerbRSVP
	VerbFreeBusy
	VerbNoop
	VerbQuit
)

var verbNames = [...]string{
	VerbUnknown:      "",
	VerbAuthenticate: "AUTHENTICATE",
	VerbSendEvent:    "SENDEVENT",
	VerbRSVP:         "RSVP",
	VerbFreeBusy:     "FREEBUSY",
	VerbNoop:         "NOOP",
	VerbQuit:         "QUIT",
}

// String returns the command's name as sent on the wire, upper case.
func (v Verb) String() string {
	if int(v) < len(verbNames) {
		return verbNames[v]
	}
	return ""
}

// TakesData reports whether the command is followed by a data block.
func (v Verb) TakesData() bool {
	return v == VerbSendEvent || v == VerbRSVP || v == VerbFreeBusy
}

// Command is one parsed command line. Args alias the line they were parsed
// from and are valid only as long as it is.
type Command struct {
	Verb Verb
	// Plus reports whether the line ended in "+", with or without a space.
	Plus bool
	// Args are the space-separated words after the command name (the "+"
	// excluded). At most maxArgs are kept; Extra reports more.
	Args  [maxArgs][]byte
	NArgs int
	Extra bool
}

const maxArgs = 4

// Errors of ParseCommand.
var (
	ErrEmptyCommand   = errors.New("cipmini: empty command line")
	ErrUnknownCommand = errors.New("cipmini: unknown command")
	ErrMissingPlus    = errors.New("cipmini: command takes data but has no \"+\"")
	ErrUnexpectedPlus = errors.New("cipmini: command takes no data")
	ErrBadArguments   = errors.New("cipmini: bad arguments")
)

// ParseCommand parses a command line (without its CRLF) into cmd, without
// allocating. Command names are matched case-insensitively; spaces and tabs
// separate words; "SENDEVENT+", "SENDEVENT +" and "sendevent  +" are the
// same command. On error cmd.Verb still names the command when it was known.
func ParseCommand(line []byte, cmd *Command) error {
	*cmd = Command{}
	line = trimSpace(line)
	if len(line) == 0 {
		return ErrEmptyCommand
	}
	if line[len(line)-1] == '+' {
		cmd.Plus = true
		line = trimSpace(line[:len(line)-1])
	}
	name, rest := nextWord(line)
	for v := VerbAuthenticate; int(v) < len(verbNames); v++ {
		if EqualFoldASCII(name, verbNames[v]) {
			cmd.Verb = v
			break
		}
	}
	if cmd.Verb == VerbUnknown {
		return ErrUnknownCommand
	}
	for {
		var w []byte
		w, rest = nextWord(rest)
		if len(w) == 0 {
			break
		}
		if cmd.NArgs == maxArgs {
			cmd.Extra = true
			break
		}
		cmd.Args[cmd.NArgs] = w
		cmd.NArgs++
	}
	switch {
	case cmd.Verb.TakesData() && !cmd.Plus:
		return ErrMissingPlus
	case !cmd.Verb.TakesData() && cmd.Plus:
		return ErrUnexpectedPlus
	case cmd.Verb.TakesData() && cmd.NArgs > 0:
		return ErrBadArguments
	case (cmd.Verb == VerbNoop || cmd.Verb == VerbQuit) && cmd.NArgs > 0:
		return ErrBadArguments
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// nextWord returns the first word of b and what follows it.
func nextWord(b []byte) (word, rest []byte) {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	i := 0
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	return b[:i], b[i:]
}

// EqualFoldASCII compares b with the upper-case ASCII string s, ignoring the
// case of ASCII letters in b.
func EqualFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

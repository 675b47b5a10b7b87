package wire

import (
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line  string
		verb  Verb
		plus  bool
		nargs int
		err   error
	}{
		{"SENDEVENT +", VerbSendEvent, true, 0, nil},
		{"SENDEVENT+", VerbSendEvent, true, 0, nil},
		{"sendevent  +", VerbSendEvent, true, 0, nil},
		{"  RsVp\t+  ", VerbRSVP, true, 0, nil},
		{"FREEBUSY +", VerbFreeBusy, true, 0, nil},
		{"SENDEVENT", VerbSendEvent, false, 0, ErrMissingPlus},
		{"SENDEVENT x +", VerbSendEvent, true, 1, ErrBadArguments},
		{"NOOP", VerbNoop, false, 0, nil},
		{"NOOP +", VerbNoop, true, 0, ErrUnexpectedPlus},
		{"QUIT now", VerbQuit, false, 1, ErrBadArguments},
		{"AUTHENTICATE LOGIN a.com PASSWORD_A", VerbAuthenticate, false, 3, nil},
		{"authenticate login  bill   aardvark ", VerbAuthenticate, false, 3, nil},
		{"HELO", VerbUnknown, false, 0, ErrUnknownCommand},
		{"SENDEVENTS +", VerbUnknown, true, 0, ErrUnknownCommand},
		{"", VerbUnknown, false, 0, ErrEmptyCommand},
		{" \t ", VerbUnknown, false, 0, ErrEmptyCommand},
	}
	for _, tt := range tests {
		var cmd Command
		err := ParseCommand([]byte(tt.line), &cmd)
		if err != tt.err || cmd.Verb != tt.verb || cmd.Plus != tt.plus || cmd.NArgs != tt.nargs {
			t.Errorf("%q: got verb %v plus %v nargs %d err %v; want %v %v %d %v",
				tt.line, cmd.Verb, cmd.Plus, cmd.NArgs, err, tt.verb, tt.plus, tt.nargs, tt.err)
		}
	}
	var cmd Command
	ParseCommand([]byte("AUTHENTICATE LOGIN bill aardvark"), &cmd)
	if string(cmd.Args[1]) != "bill" || string(cmd.Args[2]) != "aardvark" {
		t.Errorf("args %q %q", cmd.Args[1], cmd.Args[2])
	}
	if err := ParseCommand([]byte("AUTHENTICATE A B C D E F"), &cmd); err != nil || !cmd.Extra {
		t.Errorf("extra args: %v %v", err, cmd.Extra)
	}
}

func TestParseCommandZeroAllocs(t *testing.T) {
	line := []byte("AUTHENTICATE LOGIN a.com PASSWORD_A")
	var cmd Command
	if n := testing.AllocsPerRun(100, func() { ParseCommand(line, &cmd) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// FuzzParseCommand checks that parsing never panics and that a parsed
// command's words come from the line and hold no separators.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"SENDEVENT +", "sendevent+", "AUTHENTICATE LOGIN a b", "NOOP", "QUIT", "+", " + ", "RSVP\t+", "x y z w v u +"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var cmd Command
		err := ParseCommand(line, &cmd)
		if err == nil && cmd.Verb == VerbUnknown {
			t.Fatal("no error for an unknown verb")
		}
		if err == nil && cmd.Verb.TakesData() != cmd.Plus {
			t.Fatal("data command without +, or + on a command without data")
		}
		for i := 0; i < cmd.NArgs; i++ {
			a := cmd.Args[i]
			if len(a) == 0 {
				t.Fatal("empty argument")
			}
			for _, c := range a {
				if c == ' ' || c == '\t' {
					t.Fatalf("argument %q holds a separator", a)
				}
			}
		}
	})
}

package vcal

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-ical"
)

// sameAsGoIcal checks that Encode writes what go-ical's encoder writes
// (folded), or fails as it fails, and that EncodeString agrees.
func sameAsGoIcal(t *testing.T, cal *ical.Calendar) {
	t.Helper()
	var want, got bytes.Buffer
	wantErr := encodeGoIcal(&want, cal)
	gotErr := Encode(&got, cal)
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("error %v, go-ical's %v", gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("encoded\n%s\ngo-ical encoded\n%s", got.Bytes(), want.Bytes())
	}
	s, err := EncodeString(cal)
	if err != nil || s != want.String() {
		t.Fatalf("EncodeString: %v\n%s", err, s)
	}
}

func FuzzEncodeSameAsGoIcal(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseEvents(data, fuzzLimits)
		if err != nil {
			return
		}
		for _, e := range events {
			sameAsGoIcal(t, e.Calendar)
		}
	})
}

func TestEncodeSameAsGoIcal(t *testing.T) {
	prop := func(name, value string, params ...string) ical.Prop {
		p := ical.Prop{Name: name, Params: ical.Params{}, Value: value}
		for i := 0; i+1 < len(params); i += 2 {
			p.Params.Add(params[i], params[i+1])
		}
		return p
	}
	event := func(props ...ical.Prop) *ical.Component {
		c := ical.NewComponent(ical.CompEvent)
		for _, p := range props {
			c.Props.Add(&p)
		}
		return c
	}
	calendar := func(children ...*ical.Component) *ical.Calendar {
		cal := ical.NewCalendar()
		cal.Props.SetText(ical.PropVersion, "2.0")
		cal.Props.SetText(ical.PropProductID, "-//t//t//EN")
		cal.Children = children
		return cal
	}
	uid, stamp := prop("UID", "u@x"), prop("DTSTAMP", "20270101T000000Z")
	long := strings.Repeat("é", 60) + strings.Repeat("a", 100)
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, "Z")
	std := ical.NewComponent(ical.CompTimezoneStandard)
	for _, n := range []string{ical.PropDateTimeStart, ical.PropTimezoneOffsetTo, ical.PropTimezoneOffsetFrom} {
		std.Props.SetText(n, "x")
	}
	tz.Children = []*ical.Component{std}
	todo := ical.NewComponent(ical.CompToDo)
	todo.Props.Add(&uid)
	todo.Props.Add(&stamp)
	alarm := ical.NewComponent(ical.CompAlarm)
	alarm.Props.SetText("ACTION", "DISPLAY")
	withAlarm := event(uid, stamp)
	withAlarm.Children = []*ical.Component{alarm}
	nested := event(uid, stamp)
	nested.Children = []*ical.Component{event(uid, stamp)}
	cases := map[string]*ical.Calendar{
		"plain": calendar(event(uid, stamp, prop("SUMMARY", "hi"), prop("ATTENDEE", "mailto:a@x", "ROLE", "OWNER", "CN", "A, B", "X-Q", "a:b"),
			prop("ATTENDEE", "mailto:b@x", "MEMBER", "m1", "MEMBER", "m;2"), prop("X-Z", ""), prop("DESCRIPTION", long, "X-P", long))),
		"no children":      calendar(),
		"no uid":           calendar(event(stamp)),
		"two uids":         calendar(event(uid, uid, stamp)),
		"two summaries":    calendar(event(uid, stamp, prop("SUMMARY", "a"), prop("SUMMARY", "b"))),
		"dtend+duration":   calendar(event(uid, stamp, prop("DTEND", "x"), prop("DURATION", "PT1H"))),
		"quote in param":   calendar(event(uid, stamp, prop("X-A", "v", "P", `a"b`))),
		"newline in value": calendar(event(uid, stamp, prop("X-A", "a\nb"))),
		"cr in param":      calendar(event(uid, stamp, prop("X-A", "v", "P", "a\rb"+long))),
		"timezone":         calendar(tz, event(uid, stamp)),
		"empty timezone":   calendar(ical.NewComponent(ical.CompTimezone), event(uid, stamp)),
		"todo":             calendar(todo),
		"alarm":            calendar(withAlarm),
		"nested event":     calendar(nested),
		"unknown":          calendar(ical.NewComponent("X-THING"), event(uid, stamp)),
		"long line":        calendar(event(uid, stamp, prop("SUMMARY", strings.Repeat("ab€", 80)))),
	}
	noVersion := calendar(event(uid, stamp))
	delete(noVersion.Props, ical.PropVersion)
	cases["no version"] = noVersion
	for name, cal := range cases {
		t.Run(name, func(t *testing.T) { sameAsGoIcal(t, cal) })
	}
}

func TestEncodeStringAllocs(t *testing.T) {
	events, err := ParseEvents(readTestdata(t, "draft-newyear-2.2.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cal := events[0].Calendar
	if n := testing.AllocsPerRun(50, func() {
		if _, err := EncodeString(cal); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("EncodeString: %v allocations, want 1", n)
	}
}

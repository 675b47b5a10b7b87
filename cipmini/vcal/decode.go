package vcal

import (
	"io"

	"github.com/emersion/go-ical"
)

// Decode reads one data block from r with a Scanner and builds its
// components, without using go-ical's decoder. Bare property lines are
// wrapped into a VCALENDAR holding one VEVENT; a single top-level component
// other than VCALENDAR is wrapped into a VCALENDAR. Values are decoded
// (QUOTED-PRINTABLE, CHARSET, ISO 8859-1) to UTF-8, so the ENCODING=
// QUOTED-PRINTABLE and CHARSET parameters are dropped; nothing else is
// normalized. Decode stops after the END line closing the outermost
// component and does not look at what follows it.
//
// lim nil means the default Limits. Decode is safe for concurrent use.
func Decode(r io.Reader, lim *Limits) (*ical.Calendar, error) {
	doc, err := decodeScanner(NewScanner(r, lim), false)
	if err != nil {
		return nil, err
	}
	return doc.cal, nil
}

// document is a decoded data block.
type document struct {
	cal  *ical.Calendar
	bare bool // the draft's bare property lines
}

// decodeBytes decodes a whole data block held in memory; anything but white
// space after the calendar is an error.
func decodeBytes(data []byte, lim *Limits) (*document, error) {
	return decodeScanner(newBytesScanner(data, lim), true)
}

func decodeScanner(sc *Scanner, wholeData bool) (*document, error) {
	var root *ical.Component
	var stack []*ical.Component
	for sc.Scan() {
		ln := sc.Line()
		if root == nil && sc.Bare() {
			root = ical.NewComponent(ical.CompCalendar)
			ev := ical.NewComponent(ical.CompEvent)
			root.Children = append(root.Children, ev)
			stack = append(stack, root, ev)
		}
		switch ln.Name {
		case "BEGIN":
			c := ical.NewComponent(ln.Value)
			if len(stack) == 0 {
				root = c
			} else {
				top := stack[len(stack)-1]
				top.Children = append(top.Children, c)
			}
			stack = append(stack, c)
		case "END":
			stack = stack[:len(stack)-1]
		default:
			top := stack[len(stack)-1]
			top.Props[ln.Name] = append(top.Props[ln.Name], propFromLine(ln))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &SyntaxError{Line: sc.lineNo, Err: ErrEmpty}
	}
	if wholeData {
		if err := sc.checkRest(); err != nil {
			return nil, err
		}
	}
	if root.Name != ical.CompCalendar {
		cal := ical.NewComponent(ical.CompCalendar)
		cal.Children = append(cal.Children, root)
		root = cal
	}
	return &document{cal: &ical.Calendar{Component: root}, bare: sc.Bare()}, nil
}

// propFromLine converts a content line to a go-ical property.
func propFromLine(ln *ContentLine) ical.Prop {
	params := make(ical.Params, len(ln.Params))
	// The value is decoded unless it is base64: then the encoding and
	// charset still describe it.
	decoded := true
	qp := false
	switch upperASCII(ln.Param("ENCODING")) {
	case "BASE64", "B":
		decoded = false
	case "QUOTED-PRINTABLE", "QP", "8BIT", "7BIT":
		qp = true
	}
	for _, p := range ln.Params {
		if qp && p.Name == "ENCODING" || decoded && p.Name == "CHARSET" {
			continue
		}
		if old, ok := params[p.Name]; ok {
			params[p.Name] = append(old, p.Values...)
		} else {
			params[p.Name] = p.Values
		}
	}
	return ical.Prop{Name: ln.Name, Params: params, Value: ln.Value}
}

// upperASCII upper-cases ASCII letters, returning s itself when it has no
// lower-case letter.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = asciiUpper(b[j])
			}
			return string(b)
		}
	}
	return s
}

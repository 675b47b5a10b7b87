package vcal

import (
	"bytes"
	"io"
	"slices"
	"strings"

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
	doc, err := decodeScanner(NewScanner(r, lim), false, false, nil)
	if err != nil {
		return nil, err
	}
	return &ical.Calendar{Component: doc.root}, nil
}

// document is a decoded data block.
type document struct {
	root *ical.Component // the VCALENDAR
	bare bool            // the draft's bare property lines
	work *parseWork      // decodeBytes's, for the normalizer; nil otherwise
}

// decodeBytes decodes a whole data block held in memory for the normalizer;
// anything but white space after the calendar is an error. The tree is only
// read: a property without parameters has nil Params, a component without
// properties nil Props.
func decodeBytes(data []byte, lim *Limits) (document, error) {
	// One property a line at most: pending is sized once.
	hint := min(bytes.Count(data, []byte{'\n'})+1, lim.resolved().MaxProperties)
	w := &parseWork{}
	initBytesScanner(&w.sc, data, lim)
	pending := w.pending[:0]
	if hint > len(w.pending) {
		pending = make([]ical.Prop, 0, hint)
	}
	doc, err := decodeScanner(&w.sc, true, true, pending)
	doc.work = w
	return doc, err
}

// parseWork is what parsing a data block in memory works with, in one
// allocation: the scanner, the stack of properties (for up to 32 lines)
// and the normalizer.
type parseWork struct {
	sc      Scanner
	n       normalizer
	pending [32]ical.Prop
}

// decodeScanner builds the components of the content lines of sc. The
// properties of a component are gathered on a stack until its END (or the
// end of bare lines) and then laid out in one array, grouped by name
// (groupProps). readOnly leaves out the empty maps a caller could write to.
// pending, empty, has room for the content lines expected.
func decodeScanner(sc *Scanner, wholeData, readOnly bool, pending []ical.Prop) (document, error) {
	var root *ical.Component
	var stackArr [4]*ical.Component
	var startArr [4]int
	stack, starts := stackArr[:0], startArr[:0] // open components, and where their properties start in pending
	for sc.Scan() {
		ln := sc.Line()
		if root == nil && sc.Bare() {
			t := &bareTree{root: ical.Component{Name: ical.CompCalendar}, ev: ical.Component{Name: ical.CompEvent}}
			t.children[0] = &t.ev
			root = &t.root
			root.Children = t.children[:]
			stack, starts = append(stack, root, &t.ev), append(starts, 0, 0)
		}
		switch ln.Name {
		case "BEGIN":
			c := &ical.Component{Name: ln.Value}
			if len(stack) == 0 {
				root = c
			} else {
				top := stack[len(stack)-1]
				top.Children = append(top.Children, c)
			}
			stack, starts = append(stack, c), append(starts, len(pending))
		case "END":
			k := len(stack) - 1
			stack[k].Props = groupProps(pending[starts[k]:], readOnly)
			pending = pending[:starts[k]]
			stack, starts = stack[:k], starts[:k]
		default:
			pending = append(pending, propFromLine(ln, readOnly))
		}
	}
	if err := sc.Err(); err != nil {
		return document{}, err
	}
	if root == nil {
		return document{}, &SyntaxError{Line: sc.lineNo, Err: ErrEmpty}
	}
	for k := len(stack) - 1; k >= 0; k-- { // the implicit components of bare lines
		// Nothing is pushed on pending any more: its properties are grouped
		// where they are.
		if props := pending[starts[k]:]; len(props) > 0 || !readOnly {
			stack[k].Props = groupSorted(props)
		}
		pending = pending[:starts[k]]
	}
	if wholeData {
		if err := sc.checkRest(); err != nil {
			return document{}, err
		}
	}
	if root.Name != ical.CompCalendar {
		cal := &ical.Component{Name: ical.CompCalendar, Props: make(ical.Props)}
		cal.Children = append(cal.Children, root)
		root = cal
	}
	return document{root: root, bare: sc.Bare()}, nil
}

// bareTree holds the implicit VCALENDAR and VEVENT of bare lines, in one
// allocation.
type bareTree struct {
	root, ev ical.Component
	children [1]*ical.Component
}

// groupProps returns the properties of one component as go-ical keeps
// them, in one new array: those of one name next to each other in data
// order, each name's slice capped so that appending to it copies. It
// returns nil for none when readOnly.
func groupProps(props []ical.Prop, readOnly bool) ical.Props {
	if len(props) == 0 {
		if readOnly {
			return nil
		}
		return make(ical.Props)
	}
	all := make([]ical.Prop, len(props))
	copy(all, props)
	return groupSorted(all)
}

// groupSorted is groupProps without the copy: it sorts all by name, keeping
// the data order within a name, and returns slices of it.
func groupSorted(all []ical.Prop) ical.Props {
	slices.SortStableFunc(all, func(a, b ical.Prop) int { return strings.Compare(a.Name, b.Name) })
	names := 1
	for i := 1; i < len(all); i++ {
		if all[i].Name != all[i-1].Name {
			names++
		}
	}
	out := make(ical.Props, names)
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].Name == all[i].Name {
			j++
		}
		out[all[i].Name] = all[i:j:j]
		i = j
	}
	return out
}

// propFromLine converts a content line to a go-ical property. Without
// parameters, Params is nil when readOnly.
func propFromLine(ln *ContentLine, readOnly bool) ical.Prop {
	if len(ln.Params) == 0 && readOnly {
		return ical.Prop{Name: ln.Name, Value: ln.Value}
	}
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

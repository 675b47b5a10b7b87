package vcal

import (
	"errors"
	"io"
	"strings"
)

// ContentLine is one unfolded content line, NAME;PARAM=V,V:VALUE.
type ContentLine struct {
	// Name is the property name in upper case ("DTSTART"), or BEGIN or END.
	Name string
	// Params are the parameters in the order given, names in upper case,
	// values unquoted and, for unquoted values, with "\," and "\;" unescaped.
	// A vCalendar 1.0 parameter without '=' (";QUOTED-PRINTABLE") is given
	// the name ENCODING for an encoding and TYPE otherwise.
	Params []Param
	// Value is the decoded value as UTF-8: QUOTED-PRINTABLE and CHARSET
	// applied, bytes that are not UTF-8 taken as ISO 8859-1, leading blanks
	// removed. For BEGIN and END it is the component name in upper case.
	Value string
	// Line is the number of the physical line on which the content line
	// starts, counting from 1.
	Line int
}

// Param is one property parameter.
type Param struct {
	Name   string
	Values []string
}

// Param returns the first value of the named parameter (upper case name),
// or "" when the line has none.
func (c *ContentLine) Param(name string) string {
	for i := range c.Params {
		if c.Params[i].Name == name && len(c.Params[i].Values) > 0 {
			return c.Params[i].Values[0]
		}
	}
	return ""
}

// Scanner reads the content lines of one data block: a calendar
// (BEGIN:VCALENDAR ... END:VCALENDAR, or any single top-level component) or
// the draft's bare property lines. It unfolds RFC 5545 folded lines and
// vCalendar 1.0 quoted-printable soft line breaks, checks that BEGIN and END
// match, and enforces every Limits bound, stopping at the first error.
//
// For a calendar, the Scanner stops after the END line that closes the
// outermost component without calling the reader again, so a reader that
// would block after the calendar is safe. Reading goes through a 4 KiB
// bufio.Reader (r itself when it is a *bufio.Reader of at least that size),
// which may hold bytes that follow the calendar. Bare property lines are read
// until io.EOF.
//
// A Scanner is not safe for concurrent use.
type Scanner struct {
	src lineSource
	lim Limits

	// byteSrc is the source of a Scanner over a byte slice, and text that
	// slice as one string: a line that is not folded is a substring of it
	// rather than a string of its own.
	byteSrc bytesSource
	inBytes bool
	text    string

	buf       []byte // logical line being assembled
	own       []byte // the Scanner's buffer for lines it must copy
	owned     bool   // whether buf is own (otherwise it is text[off:])
	off       int    // offset of buf in text when it is not owned
	colon     int    // index of the first unquoted ':' in buf, or -1
	scanPos   int    // how far buf has been searched for that colon
	scanQuote bool   // whether scanPos is inside a quoted parameter value
	qp        int    // QUOTED-PRINTABLE parameter before colon: -1 unknown, 0 no, 1 yes

	line      ContentLine
	params    []Param
	paramArr  [4]Param // first backing of params
	hadParams bool     // whether a line so far had parameters
	lineNo    int      // physical lines read
	props     int
	stack     []frame
	stackArr  [4]frame // first backing of stack
	base      int      // implicit frames of bare property lines
	started   bool
	bare      bool
	done      bool
	err       error
}

// frame is one open component and its per-component counters.
type frame struct {
	name       string
	attendees  int
	recurrence int
}

// NewScanner returns a Scanner reading r under lim (nil: defaults).
func NewScanner(r io.Reader, lim *Limits) *Scanner {
	l := lim.resolved()
	s := &Scanner{src: newReaderSource(r, &l), lim: l}
	s.params, s.stack = s.paramArr[:0], s.stackArr[:0]
	return s
}

// newBytesScanner returns a Scanner over data that does not copy lines that
// are not folded.
func newBytesScanner(data []byte, lim *Limits) *Scanner {
	s := &Scanner{}
	initBytesScanner(s, data, lim)
	return s
}

// initBytesScanner sets up s, a zero Scanner, as newBytesScanner does.
func initBytesScanner(s *Scanner, data []byte, lim *Limits) {
	s.lim, s.inBytes = lim.resolved(), true
	s.byteSrc = newBytesSource(data, &s.lim)
	if !s.byteSrc.tooBig {
		s.text = string(data)
	}
	s.src = &s.byteSrc
	s.params, s.stack = s.paramArr[:0], s.stackArr[:0]
}

// Scan advances to the next content line, which Line then returns. It
// returns false at the end of the data or at the first error, which Err
// reports.
func (s *Scanner) Scan() bool {
	if s.err != nil || s.done {
		return false
	}
	ok, err := s.assemble()
	if err == nil && ok {
		err = s.parseLine()
		if err == nil {
			err = s.track()
		}
	}
	if err != nil {
		s.err = err
		return false
	}
	if !ok {
		if len(s.stack) > s.base {
			s.err = &SyntaxError{Line: s.lineNo, Err: ErrUnexpectedEnd}
		}
		return false
	}
	return true
}

// Line returns the current content line. It is valid until the next Scan.
func (s *Scanner) Line() *ContentLine { return &s.line }

// Err returns the first error met, or nil at a clean end of data.
func (s *Scanner) Err() error { return s.err }

// Bare reports whether the data is the draft's bare property lines, with no
// BEGIN before the first property. It is meaningful after the first Scan.
func (s *Scanner) Bare() bool { return s.bare }

// Depth returns how many components are open after the current line, the
// implicit VCALENDAR and VEVENT of bare property lines included.
func (s *Scanner) Depth() int { return len(s.stack) }

// checkRest reports ErrTrailingData when anything but white space follows a
// calendar that has been read to its end.
func (s *Scanner) checkRest() error {
	if !s.done {
		return nil
	}
	only, err := s.src.rest()
	if err != nil {
		return s.sourceErr(err)
	}
	if !only {
		return &SyntaxError{Line: s.lineNo + 1, Err: ErrTrailingData}
	}
	return nil
}

// sourceErr turns a lineSource error into the Scanner's error value.
func (s *Scanner) sourceErr(err error) error {
	switch {
	case errors.Is(err, ErrLineTooLong):
		return &LimitError{Line: s.lineNo + 1, Max: s.lim.MaxLineBytes, Err: ErrLineTooLong}
	case errors.Is(err, ErrDataTooLarge):
		return &LimitError{Line: s.lineNo + 1, Max: s.lim.MaxBytes, Err: ErrDataTooLarge}
	}
	return err
}

// assemble reads the next non-blank logical line into s.buf, unfolding
// continuation lines. It returns false at the end of the data.
func (s *Scanner) assemble() (bool, error) {
	for {
		phys, err := s.src.readLine()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, s.sourceErr(err)
		}
		s.lineNo++
		if isBlank(phys) {
			continue
		}
		if s.inBytes {
			// phys stays valid: keep it in place until a fold must be
			// joined to it (appendLine copies it then).
			s.buf, s.owned, s.off = phys[:len(phys):len(phys)], false, s.byteSrc.start
		} else {
			s.own = append(s.own[:0], phys...)
			s.buf, s.owned = s.own, true
		}
		break
	}
	s.line.Line = s.lineNo
	s.colon, s.scanPos, s.scanQuote, s.qp = -1, 0, false, -1
	if s.closesOutermost() {
		return true, nil // never look past the end of the calendar
	}
	for {
		if n := len(s.buf); n > 0 && s.buf[n-1] == '=' && s.isQP() {
			// quoted-printable soft line break: the next line continues
			// the value as it stands.
			s.buf = s.buf[:n-1]
			phys, err := s.src.readLine()
			if err == io.EOF {
				return true, nil
			}
			if err != nil {
				return false, s.sourceErr(err)
			}
			s.lineNo++
			if err := s.appendLine(phys); err != nil {
				return false, err
			}
			continue
		}
		c, err := s.src.peek()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, s.sourceErr(err)
		}
		if c != ' ' && c != '\t' {
			return true, nil
		}
		phys, err := s.src.readLine()
		if err != nil {
			return false, s.sourceErr(err)
		}
		s.lineNo++
		if err := s.appendLine(phys[1:]); err != nil {
			return false, err
		}
	}
}

func (s *Scanner) appendLine(b []byte) error {
	if len(s.buf)+len(b) > s.lim.MaxLineBytes {
		return &LimitError{Line: s.lineNo, Max: s.lim.MaxLineBytes, Err: ErrLineTooLong}
	}
	if s.owned {
		s.own = s.buf // buf may have lost a soft line break's '='
	} else {
		s.own = append(s.own[:0], s.buf...)
		s.owned = true
	}
	s.own = append(s.own, b...)
	s.buf = s.own
	return nil
}

// closesOutermost reports whether s.buf is an END line that closes the
// outermost component of a calendar.
func (s *Scanner) closesOutermost() bool {
	if !s.started || s.bare || len(s.stack) != 1 {
		return false
	}
	b := s.buf
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if len(b)-i < 4 || !strings.EqualFold(string(b[i:i+3]), "END") {
		return false
	}
	i += 3
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i < len(b) && b[i] == ':'
}

// isQP reports whether the parameters of the line being assembled include
// QUOTED-PRINTABLE. The search for the end of the parameters resumes where
// it stopped, so repeated calls stay linear in the line length.
func (s *Scanner) isQP() bool {
	if s.colon < 0 {
		b := s.buf
		i := s.scanPos
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				s.scanQuote = !s.scanQuote
			case ':':
				if !s.scanQuote {
					s.colon = i
				}
			}
			if s.colon >= 0 {
				break
			}
		}
		s.scanPos = i
		if s.colon < 0 {
			return false
		}
	}
	if s.qp < 0 {
		s.qp = 0
		if indexFold(s.buf[:s.colon], "QUOTED-PRINTABLE") >= 0 {
			s.qp = 1
		}
	}
	return s.qp == 1
}

// track applies BEGIN/END structure and the counting limits to the line just
// parsed.
func (s *Scanner) track() error {
	ln := &s.line
	if !s.started {
		s.started = true
		if ln.Name != "BEGIN" {
			s.bare = true
			s.base = 2
			s.stack = append(s.stack, frame{name: "VCALENDAR"}, frame{name: "VEVENT"})
		}
	}
	s.props++
	if s.props > s.lim.MaxProperties {
		return &LimitError{Line: ln.Line, Max: s.lim.MaxProperties, Err: ErrTooManyProperties}
	}
	switch ln.Name {
	case "BEGIN":
		if !isName(ln.Value) {
			return &SyntaxError{Line: ln.Line, Err: ErrBadName}
		}
		if len(s.stack) >= s.lim.MaxDepth {
			return &LimitError{Line: ln.Line, Max: s.lim.MaxDepth, Err: ErrTooDeep}
		}
		s.stack = append(s.stack, frame{name: ln.Value})
	case "END":
		n := len(s.stack)
		if n <= s.base || s.stack[n-1].name != ln.Value {
			return &SyntaxError{Line: ln.Line, Err: ErrMismatchedEnd}
		}
		s.stack = s.stack[:n-1]
		if !s.bare && len(s.stack) == 0 {
			s.done = true
		}
	case "ATTENDEE":
		top := &s.stack[len(s.stack)-1]
		top.attendees++
		if top.attendees > s.lim.MaxAttendees {
			return &LimitError{Line: ln.Line, Max: s.lim.MaxAttendees, Err: ErrTooManyAttendees}
		}
	case "RRULE", "EXRULE", "RDATE", "EXDATE":
		top := &s.stack[len(s.stack)-1]
		n := 1
		if ln.Name == "RDATE" || ln.Name == "EXDATE" {
			n += strings.Count(ln.Value, ",") + strings.Count(ln.Value, ";")
		}
		top.recurrence += n
		if top.recurrence > s.lim.MaxRecurrence {
			return &LimitError{Line: ln.Line, Max: s.lim.MaxRecurrence, Err: ErrTooManyRecurrences}
		}
	}
	return nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// indexFold is a case-insensitive bytes.Index for an ASCII upper-case needle.
func indexFold(b []byte, upper string) int {
	n := len(upper)
	for i := 0; i+n <= len(b); i++ {
		j := 0
		for j < n && asciiUpper(b[i+j]) == upper[j] {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

func asciiUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

package vcal

import (
	"errors"
	"strconv"
)

// Syntax errors, wrapped in a *SyntaxError that gives the line number.
var (
	ErrNoColon           = errors.New("vcal: content line has no colon")
	ErrBadName           = errors.New("vcal: bad property name")
	ErrBadParam          = errors.New("vcal: bad parameter")
	ErrUnterminatedQuote = errors.New("vcal: unterminated quoted parameter value")
	ErrUnexpectedEnd     = errors.New("vcal: unexpected end of data")
	ErrMismatchedEnd     = errors.New("vcal: END does not match BEGIN")
	ErrTrailingData      = errors.New("vcal: data after the end of the calendar")
	ErrCharset           = errors.New("vcal: unsupported CHARSET")
	ErrEmpty             = errors.New("vcal: no content lines")
)

// Limit errors, wrapped in a *LimitError; each names the limit of Limits that
// was reached.
var (
	ErrDataTooLarge       = errors.New("vcal: data too large")             // Limits.MaxBytes
	ErrLineTooLong        = errors.New("vcal: line too long")              // Limits.MaxLineBytes
	ErrTooDeep            = errors.New("vcal: components nested too deep") // Limits.MaxDepth
	ErrTooManyProperties  = errors.New("vcal: too many content lines")     // Limits.MaxProperties
	ErrTooManyParams      = errors.New("vcal: too many parameters")        // Limits.MaxParams
	ErrTooManyAttendees   = errors.New("vcal: too many attendees")         // Limits.MaxAttendees
	ErrTooManyRecurrences = errors.New("vcal: too many recurrence values") // Limits.MaxRecurrence
	ErrTooManyTimezones   = errors.New("vcal: too many time zones")        // Limits.MaxTimezones
)

// ErrWindowTooLarge is returned (wrapped in a *PropError for DTEND) by
// ParseFreeBusyRequest for a window longer than MaxFreeBusyWindow; a server
// answers it "NO 006" (too large).
var ErrWindowTooLarge = errors.New("vcal: free/busy window too large")

// SyntaxError reports malformed data at a line. Err is one of the Err*
// syntax values above.
type SyntaxError struct {
	Line int // physical line number, from 1
	Err  error
}

// Error returns "vcal: line N: <what>".
func (e *SyntaxError) Error() string {
	return "vcal: line " + strconv.Itoa(e.Line) + ": " + trimPkg(e.Err.Error())
}

// Unwrap returns Err.
func (e *SyntaxError) Unwrap() error { return e.Err }

// LimitError reports a breached limit. Err is one of the limit values above
// (ErrLineTooLong, ErrTooManyAttendees, ...); Max is the limit in force.
type LimitError struct {
	Line int // physical line at which the limit was reached, from 1; 0 if none
	Max  int
	Err  error
}

// Error returns "vcal: line N: <what> (limit M)", without the line when
// the limit is not tied to one.
func (e *LimitError) Error() string {
	s := "vcal: "
	if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	return s + trimPkg(e.Err.Error()) + " (limit " + strconv.Itoa(e.Max) + ")"
}

// Unwrap returns Err.
func (e *LimitError) Unwrap() error { return e.Err }

// MissingError reports a required property that the data lacks, such as UID,
// ORGANIZER (an owner), ATTENDEE or DTSTART. Its text is "vcal: UID
// required".
type MissingError struct {
	Prop string
}

// Error returns "vcal: PROP required".
func (e *MissingError) Error() string { return "vcal: " + e.Prop + " required" }

// PropError reports a property whose value cannot be used, such as a DTSTART
// with month 13 or a SEQUENCE of 2^31. Its text starts "vcal: bad DTSTART".
type PropError struct {
	Prop  string
	Value string // the offending value, possibly shortened
	Err   error
}

// Error returns "vcal: bad PROP "value": reason".
func (e *PropError) Error() string {
	s := "vcal: bad " + e.Prop
	if e.Value != "" {
		s += " " + strconv.Quote(e.Value)
	}
	if e.Err != nil {
		s += ": " + trimPkg(e.Err.Error())
	}
	return s
}

// Unwrap returns Err.
func (e *PropError) Unwrap() error { return e.Err }

// propErr builds a *PropError, shortening long values.
func propErr(prop, value string, err error) *PropError {
	const max = 64
	if len(value) > max {
		value = value[:max] + "..."
	}
	return &PropError{Prop: prop, Value: value, Err: err}
}

// trimPkg drops a leading "vcal: " so wrapped messages do not repeat it.
func trimPkg(s string) string {
	if len(s) > 6 && s[:6] == "vcal: " {
		return s[6:]
	}
	return s
}

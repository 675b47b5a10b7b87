// Package vcal reads the event data carried by CIP: the draft's bare property
// lines, vCalendar 1.0 and iCalendar 2.0 (RFC 5545), and turns them into one
// event model backed by go-ical components.
//
// The package has three layers:
//
//   - Scanner splits a data block into unfolded, decoded content lines. It is
//     bounded by Limits in every dimension (bytes, line length, nesting,
//     properties, parameters, attendees, recurrence values), tolerates the
//     draft's spaces around ':' ';' '=', decodes QUOTED-PRINTABLE and CHARSET,
//     takes bytes that are not UTF-8 as ISO 8859-1, and never reads past the
//     line that closes the outermost component.
//   - Decode builds go-ical components from those lines without ever handing
//     untrusted bytes to go-ical's decoder. Bare property lines (no BEGIN/END)
//     are wrapped into a VCALENDAR holding one VEVENT.
//   - ParseEvents, ParseReply, ParseFreeBusyRequest and ParseFreeBusy normalize
//     the result (docs/PROTOCOL.md section 6.3): owners become ORGANIZER,
//     vCalendar STATUS becomes PARTSTAT, "Name <addr>" becomes CN and
//     mailto:, instants are resolved to UTC through the data's VTIMEZONEs,
//     and the normalized iCalendar 2.0 form is kept for re-encoding with
//     Encode, which folds lines at 75 octets.
//
// Errors are values: malformed input yields a *SyntaxError, a breached limit a
// *LimitError, a missing required property a *MissingError and a bad property
// value a *PropError. Input never causes a panic or unbounded work.
package vcal

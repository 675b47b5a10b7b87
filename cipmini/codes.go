package cipmini

import "strconv"

// Code is a three-digit CIP result code, sent in a completion line
// ("OK 000 ...", "NO 006 ..."). The values and meanings are those of the
// draft and docs/PROTOCOL.md section 4.2. Only OK/NO is binding for a
// client; the code tells why.
type Code int

// Result codes. 000 to 003 are the draft's; 004 to 007 are cipmini's
// (docs/PROTOCOL.md section 4.2).
const (
	CodeNone         Code = 0 // no additional information
	CodeInvalid      Code = 1 // invalid command or parameters
	CodeNotAllowed   Code = 2 // not allowed (access control); the text never says why
	CodePartial      Code = 3 // partial: not every attendee received or was answered
	CodeUnknownEvent Code = 4 // RSVP for a UID this server does not own
	CodeStale        Code = 5 // SEQUENCE lower than the stored one
	CodeTooLarge     Code = 6 // line, data block, attendee count or window too large
	CodeTempFailure  Code = 7 // busy, shutting down, storage error: retry later
)

// String returns the code as it appears on the wire: three digits.
func (c Code) String() string {
	if c >= 0 && c < 1000 {
		b := [3]byte{'0' + byte(c/100), '0' + byte(c/10%10), '0' + byte(c%10)}
		return string(b[:])
	}
	return strconv.Itoa(int(c))
}

// Final reports whether a NO with this code is final: the same message
// sent again would be refused again, so a queue must not retry it but keep
// it as failed. It is the one retry rule of cipmini, the one its courier
// follows for messages to other servers:
//
//   - 000 to 006 are final: no reason (000, a refusal such as a failed
//     login), invalid (001), not allowed (002), partial (003), unknown
//     event (004), stale version (005) and too large (006) all describe
//     the message or the sender, which a retry does not change.
//   - 007 (temporary failure: busy, shutting down, storage error) is not
//     final: the profile says to retry it later with backoff.
//   - Any code above 007, unknown to this version, is not final either: a
//     later profile's code is taken as temporary, so that nothing is lost
//     for want of understanding it.
//
// An OK is never retried, whatever its code; Final says nothing of it.
func (c Code) Final() bool { return c < CodeTempFailure }

// Completion is the line that ends a command: "OK nnn text" or "NO nnn text".
type Completion struct {
	OK   bool   // OK or NO: the only binding part of the answer
	Code Code   // result code
	Text string // human-readable text; may be empty
}

// OK returns an OK completion with the given code and text.
func OK(code Code, text string) Completion { return Completion{OK: true, Code: code, Text: text} }

// NO returns a NO completion with the given code and text.
func NO(code Code, text string) Completion { return Completion{OK: false, Code: code, Text: text} }

// String renders the completion as its wire line, without CRLF.
func (c Completion) String() string {
	s := "NO "
	if c.OK {
		s = "OK "
	}
	s += c.Code.String()
	if c.Text != "" {
		s += " " + c.Text
	}
	return s
}

// InfoCode is the word after "* " in an informational line.
type InfoCode string

// Informational codes: the draft's, and cipmini's DECLINED (docs/PROTOCOL.md
// section 4.4).
const (
	InfoNotFound   InfoCode = "NOTFOUND"
	InfoTentative  InfoCode = "TENTATIVE"
	InfoPermDenied InfoCode = "PERMDENIED"
	InfoRedirect   InfoCode = "REDIRECT"
	InfoConfirmed  InfoCode = "CONFIRMED"
	InfoDeclined   InfoCode = "DECLINED"
)

// Info is one informational line, "* CODE args". Clients ignore codes they do
// not know, so Code is kept as sent.
type Info struct {
	Code InfoCode
	Args string // e.g. "bob@b.com", or "USER old IS NOW new" for REDIRECT
}

// String renders the line without CRLF.
func (i Info) String() string {
	if i.Args == "" {
		return "* " + string(i.Code)
	}
	return "* " + string(i.Code) + " " + i.Args
}

// UserInfo returns an informational line naming one user.
func UserInfo(code InfoCode, user string) Info { return Info{Code: code, Args: user} }

// RedirectUser returns "* REDIRECT USER old IS NOW new".
func RedirectUser(oldID, newID string) Info {
	return Info{Code: InfoRedirect, Args: "USER " + oldID + " IS NOW " + newID}
}

// RedirectEvent returns "* REDIRECT EVENT old IS NOW new".
func RedirectEvent(oldID, newID string) Info {
	return Info{Code: InfoRedirect, Args: "EVENT " + oldID + " IS NOW " + newID}
}

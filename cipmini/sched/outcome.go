package sched

import (
	"log/slog"
	"net"
)

// Origin is who asks the Scheduler for a change: the session's identity,
// which the access rules judge (docs/PROTOCOL.md section 9), and, for the
// audit trail of anonymous sessions, the client's address (nil when there
// is none, as for the room panel).
type Origin struct {
	Identity Identity
	Addr     net.Addr
}

// As returns the Origin of a local user acting for itself (a room's panel
// acting as the room).
func As(user string) Origin {
	return Origin{Identity: Identity{Kind: User, Name: user}}
}

// OutcomeKind is what happened to one participant of an event delivered or
// answered. Each kind is one informational line of the draft (docs/PROTOCOL.md
// section 4.4).
type OutcomeKind int

const (
	// OutcomeTentative: the participant holds the event and has yet to
	// answer it ("* TENTATIVE").
	OutcomeTentative OutcomeKind = iota
	// OutcomeConfirmed: a resource accepted the event at once or, for an
	// answer, the participant's status is accepted ("* CONFIRMED").
	OutcomeConfirmed
	// OutcomeDeclined: the participant declined, Reason says why when a
	// resource decided ("* DECLINED").
	OutcomeDeclined
	// OutcomeNotFound: no such user here, or a user of another server
	// ("* NOTFOUND").
	OutcomeNotFound
	// OutcomePermDenied: the client may not deliver to, or change the event
	// of, this participant ("* PERMDENIED"); the reason is never said
	// (docs/PROTOCOL.md section 9.6).
	OutcomePermDenied
	// OutcomeRedirected: the user moved to the id in To ("* REDIRECT USER").
	OutcomeRedirected
)

var outcomeNames = [...]string{"TENTATIVE", "CONFIRMED", "DECLINED", "NOTFOUND", "PERMDENIED", "REDIRECTED"}

// String returns the kind's name as the wire spells its line
// ("CONFIRMED"), "REDIRECTED" for a redirect.
func (k OutcomeKind) String() string {
	if k >= 0 && int(k) < len(outcomeNames) {
		return outcomeNames[k]
	}
	return "UNKNOWN"
}

// Outcome is what happened to one participant. Participants nothing is
// said of (an organizer storing its own event, an answer given before and
// kept) have none.
type Outcome struct {
	User   string // the address as the event names it
	Kind   OutcomeKind
	To     string // the new id, for OutcomeRedirected
	Reason string // why a resource declined, in words a person understands; may be ""
}

// Result is what Deliver did with an event as a whole (docs/PROTOCOL.md
// section 5.4).
type Result int

const (
	// ResultStored: every local participant holds the event now.
	ResultStored Result = iota
	// ResultCancelled: the cancellation was stored for every local
	// participant.
	ResultCancelled
	// ResultPartial: some local participants hold the event (or its
	// cancellation), others did not get it.
	ResultPartial
	// ResultNothingToCancel: a cancellation of an event never stored; nothing
	// is stored.
	ResultNothingToCancel
	// ResultNotStored: nothing was stored, Reason says why.
	ResultNotStored
)

// Delivery is what Deliver did with an event: the result as a whole and an
// outcome per participant, first those that got the event, then those that
// did not, each in the order of the data (as in the draft's examples).
type Delivery struct {
	Result   Result
	Reason   string // why nothing was stored, for ResultNotStored
	Outcomes []Outcome
}

// Stored reports whether the event was taken (every result but
// ResultNotStored).
func (d *Delivery) Stored() bool { return d.Result != ResultNotStored }

// Text is the delivery's result in words, as the completion line says it
// ("Stored", "Not stored: ...").
func (d *Delivery) Text() string {
	switch d.Result {
	case ResultCancelled:
		return "Cancelled"
	case ResultPartial:
		return "Not all participants here received it"
	case ResultNothingToCancel:
		return "Nothing to cancel"
	case ResultNotStored:
		return "Not stored: " + d.Reason
	}
	return "Stored"
}

// Answered is what Answer did with an RSVP.
type Answered struct {
	// Stored reports whether the answer was taken; when not, Reason says
	// why (the attendee's calendar is booked at that time, for instance).
	Stored bool
	Reason string
	// Outcomes are OutcomeConfirmed for every participant whose status is
	// accepted now, the answering attendees first; or one OutcomeDeclined
	// for an acceptance refused.
	Outcomes []Outcome
	// SentOnTo is the server the answer is queued for when the event is
	// owned by another server (a local attendee answering on its copy),
	// or the organizer's mail address when the organizer speaks by mail;
	// "" otherwise.
	SentOnTo string
}

// Text is the answer's result in words, as the completion line says it
// ("RSVP stored", "Not stored: ...").
func (a *Answered) Text() string {
	switch {
	case !a.Stored:
		return "Not stored: " + a.Reason
	case a.SentOnTo != "":
		return "RSVP stored; sending it on to " + a.SentOnTo
	}
	return "RSVP stored"
}

// ErrorKind classifies an Error: each kind is one completion code
// (docs/PROTOCOL.md section 4.2).
type ErrorKind int

const (
	// ErrInvalid: the data is not a valid event or answer (NO 001).
	ErrInvalid ErrorKind = iota + 1
	// ErrNotAllowed: the client may not answer for this attendee (NO 002).
	ErrNotAllowed
	// ErrUnknownEvent: no such event owned here, or it was cancelled
	// (NO 004); Error.Redirect names the event's new UID when it moved.
	ErrUnknownEvent
	// ErrStale: a newer version is stored (NO 005).
	ErrStale
	// ErrTooLarge: the data breaks a limit (NO 006).
	ErrTooLarge
	// ErrStoreFull: the store is at its cap (NO 007); try again once space
	// is freed (docs/PROTOCOL.md section 13.4).
	ErrStoreFull
	// ErrTemporary: storage failed (NO 007); try again later.
	ErrTemporary
)

// Error is a request the Scheduler refused as a whole. Its text is what a
// client is told; Err, when set, is the cause (kept for logs, never sent).
type Error struct {
	Kind ErrorKind
	Text string
	// UID and Redirect, for an ErrUnknownEvent about an event that moved:
	// its UID as asked for and its new one.
	UID, Redirect string
	Err           error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "sched: " + e.Text + ": " + e.Err.Error()
	}
	return "sched: " + e.Text
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func refusal(kind ErrorKind, text string) *Error { return &Error{Kind: kind, Text: text} }

// tempFailure logs a storage failure and returns it as ErrTemporary.
func tempFailure(log *slog.Logger, what string, err error) *Error {
	log.Error("store: "+what, "err", err)
	return &Error{Kind: ErrTemporary, Text: "Storage error, try again later", Err: err}
}

// storeFullError is the refusal of a change by storeFull.
func storeFullError() *Error {
	return refusal(ErrStoreFull, "Calendar storage full: new invitations are refused until space is freed")
}

package sched

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// The CIP door: SendEvent and RSVP parse the data block (the only parse of
// an incoming event), hand the typed value to Deliver or Answer, and turn
// what comes back into informational lines and a completion. Every outcome
// and every Error becomes wire text here and nowhere else
// (docs/PROTOCOL.md sections 4.2 and 4.4).

// SendEvent stores an event for the local users among its participants
// (docs/PROTOCOL.md section 5.4) through Deliver: "* TENTATIVE" for people
// who have yet to answer, "* CONFIRMED"/"* DECLINED" for resources that
// decide at once, nothing for copies stored with a final answer,
// "* REDIRECT USER", "* PERMDENIED" and "* NOTFOUND" for the rest. OK 000
// when every local participant got it, OK 003 when some did, NO 000 when
// nothing was stored.
func (s *Scheduler) SendEvent(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	evs, err := vcal.ParseEvents(req.Data, nil)
	if err != nil {
		return errorReply(parseError(err))
	}
	if len(evs) != 1 {
		return errorReply(refusal(ErrInvalid, "One event (one UID) per SENDEVENT"))
	}
	d, err := s.Deliver(ctx, Origin{Identity: req.Identity, Addr: req.RemoteAddr}, evs[0], len(req.Data))
	if err != nil {
		return errorReply(err)
	}
	return &cipmini.Reply{Info: infoLines(d.Outcomes), Completion: d.completion()}
}

// RSVP stores attendees' answers (docs/PROTOCOL.md section 5.5) through
// Answer, then answers "* CONFIRMED" for every participant whose status is
// now accepted. An answer with a SEQUENCE lower than the stored one is stale
// (NO 005); one without SEQUENCE answers the stored version.
func (s *Scheduler) RSVP(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	rp, err := vcal.ParseReply(req.Data, nil)
	if err != nil {
		return errorReply(parseError(err))
	}
	a, err := s.Answer(ctx, Origin{Identity: req.Identity, Addr: req.RemoteAddr}, rp)
	if err != nil {
		return errorReply(err)
	}
	c := cipmini.OK(cipmini.CodeNone, a.Text())
	if !a.Stored {
		c = cipmini.NO(cipmini.CodeNone, a.Text())
	}
	return &cipmini.Reply{Info: infoLines(a.Outcomes), Completion: c}
}

// infoLines turns outcomes into informational lines, in their order.
func infoLines(os []Outcome) []cipmini.Info {
	if len(os) == 0 {
		return nil
	}
	info := make([]cipmini.Info, len(os))
	for i, o := range os {
		info[i] = o.info()
	}
	return info
}

// info is an outcome's line (docs/PROTOCOL.md section 4.4).
func (o Outcome) info() cipmini.Info {
	switch o.Kind {
	case OutcomeTentative:
		return cipmini.UserInfo(cipmini.InfoTentative, o.User)
	case OutcomeConfirmed:
		return cipmini.UserInfo(cipmini.InfoConfirmed, o.User)
	case OutcomeDeclined:
		return cipmini.UserInfo(cipmini.InfoDeclined, o.User)
	case OutcomePermDenied:
		return cipmini.UserInfo(cipmini.InfoPermDenied, o.User)
	case OutcomeRedirected:
		return cipmini.RedirectUser(o.User, o.To)
	}
	return cipmini.UserInfo(cipmini.InfoNotFound, o.User)
}

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

func (d *Delivery) completion() cipmini.Completion {
	switch d.Result {
	case ResultPartial:
		return cipmini.OK(cipmini.CodePartial, d.Text())
	case ResultNotStored:
		return cipmini.NO(cipmini.CodeNone, d.Text())
	}
	return cipmini.OK(cipmini.CodeNone, d.Text())
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

// errorCodes maps each ErrorKind to its completion code.
var errorCodes = map[ErrorKind]cipmini.Code{
	ErrInvalid:      cipmini.CodeInvalid,
	ErrNotAllowed:   cipmini.CodeNotAllowed,
	ErrUnknownEvent: cipmini.CodeUnknownEvent,
	ErrStale:        cipmini.CodeStale,
	ErrTooLarge:     cipmini.CodeTooLarge,
	ErrStoreFull:    cipmini.CodeTempFailure,
	ErrTemporary:    cipmini.CodeTempFailure,
}

// errorReply is the NO answer to an error: an *Error's code and text (with
// "* REDIRECT EVENT" for a moved event), else a temporary failure.
func errorReply(err error) *cipmini.Reply {
	var e *Error
	if !errors.As(err, &e) {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeTempFailure, "Storage error, try again later")}
	}
	r := &cipmini.Reply{Completion: cipmini.NO(errorCodes[e.Kind], e.Text)}
	if e.Kind == ErrUnknownEvent && e.Redirect != "" {
		r.Info = []cipmini.Info{cipmini.RedirectEvent(e.UID, e.Redirect)}
	}
	return r
}

// parseError classifies an event data error: limits are ErrTooLarge,
// everything else ErrInvalid with the parser's words.
func parseError(err error) *Error {
	var le *vcal.LimitError
	if errors.As(err, &le) || errors.Is(err, vcal.ErrDataTooLarge) {
		return &Error{Kind: ErrTooLarge, Text: trimPrefix(err), Err: err}
	}
	return &Error{Kind: ErrInvalid, Text: trimPrefix(err), Err: err}
}

// trimPrefix drops the "vcal: " of an error for the wire.
func trimPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "vcal: ")
}

// tempFailure logs a storage failure and returns it as ErrTemporary.
func tempFailure(log *slog.Logger, what string, err error) *Error {
	log.Error("store: "+what, "err", err)
	return &Error{Kind: ErrTemporary, Text: "Storage error, try again later", Err: err}
}

// storeFullError is the refusal of a change by storeFull.
func storeFullError() *Error {
	return refusal(ErrStoreFull, "Calendar storage full: new invitations are refused until space is freed")
}

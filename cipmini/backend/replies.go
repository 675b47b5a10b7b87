package backend

import (
	"errors"
	"strings"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// The one place where the Scheduler's outcomes and errors become wire
// text: informational lines (docs/PROTOCOL.md section 4.4) and completion
// codes (section 4.2).

// infoLines turns outcomes into informational lines, in their order.
func infoLines(os []sched.Outcome) []cipmini.Info {
	if len(os) == 0 {
		return nil
	}
	info := make([]cipmini.Info, len(os))
	for i, o := range os {
		info[i] = infoLine(o)
	}
	return info
}

// infoLine is an outcome's line.
func infoLine(o sched.Outcome) cipmini.Info {
	switch o.Kind {
	case sched.OutcomeTentative:
		return cipmini.UserInfo(cipmini.InfoTentative, o.User)
	case sched.OutcomeConfirmed:
		return cipmini.UserInfo(cipmini.InfoConfirmed, o.User)
	case sched.OutcomeDeclined:
		return cipmini.UserInfo(cipmini.InfoDeclined, o.User)
	case sched.OutcomePermDenied:
		return cipmini.UserInfo(cipmini.InfoPermDenied, o.User)
	case sched.OutcomeRedirected:
		return cipmini.RedirectUser(o.User, o.To)
	}
	return cipmini.UserInfo(cipmini.InfoNotFound, o.User)
}

// deliveryCompletion is the completion of a SENDEVENT that Deliver
// carried out: OK 003 when some participants did not get the event, NO 000
// when nothing was stored, else OK 000; the text is the result in words.
func deliveryCompletion(d *sched.Delivery) cipmini.Completion {
	switch d.Result {
	case sched.ResultPartial:
		return cipmini.OK(cipmini.CodePartial, d.Text())
	case sched.ResultNotStored:
		return cipmini.NO(cipmini.CodeNone, d.Text())
	}
	return cipmini.OK(cipmini.CodeNone, d.Text())
}

// answerCompletion is the completion of an RSVP that Answer carried out:
// OK 000 when the answer was stored, NO 000 when not.
func answerCompletion(a *sched.Answered) cipmini.Completion {
	if !a.Stored {
		return cipmini.NO(cipmini.CodeNone, a.Text())
	}
	return cipmini.OK(cipmini.CodeNone, a.Text())
}

// errorCodes maps each sched.ErrorKind to its completion code.
var errorCodes = map[sched.ErrorKind]cipmini.Code{
	sched.ErrInvalid:      cipmini.CodeInvalid,
	sched.ErrNotAllowed:   cipmini.CodeNotAllowed,
	sched.ErrUnknownEvent: cipmini.CodeUnknownEvent,
	sched.ErrStale:        cipmini.CodeStale,
	sched.ErrTooLarge:     cipmini.CodeTooLarge,
	sched.ErrStoreFull:    cipmini.CodeTempFailure,
	sched.ErrTemporary:    cipmini.CodeTempFailure,
}

// errorReply is the NO answer to an error: a *sched.Error's code and text
// (with "* REDIRECT EVENT" for a moved event), else a temporary failure.
func errorReply(err error) *cipmini.Reply {
	var e *sched.Error
	if !errors.As(err, &e) {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeTempFailure, "Storage error, try again later")}
	}
	r := &cipmini.Reply{Completion: cipmini.NO(errorCodes[e.Kind], e.Text)}
	if e.Kind == sched.ErrUnknownEvent && e.Redirect != "" {
		r.Info = []cipmini.Info{cipmini.RedirectEvent(e.UID, e.Redirect)}
	}
	return r
}

// parseError classifies a data block's error: limits are ErrTooLarge,
// everything else ErrInvalid, with the parser's words.
func parseError(err error) *sched.Error {
	var le *vcal.LimitError
	if errors.As(err, &le) || errors.Is(err, vcal.ErrDataTooLarge) {
		return &sched.Error{Kind: sched.ErrTooLarge, Text: trimPrefix(err), Err: err}
	}
	return &sched.Error{Kind: sched.ErrInvalid, Text: trimPrefix(err), Err: err}
}

// trimPrefix drops the "vcal: " of an error for the wire.
func trimPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "vcal: ")
}

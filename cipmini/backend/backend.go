package backend

import (
	"bytes"
	"context"
	"errors"
	"log/slog"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// Backend carries out CIP's SENDEVENT, RSVP and FREEBUSY with a Scheduler.
// It implements cipmini.Backend and is safe for concurrent use.
type Backend struct {
	s   *sched.Scheduler
	log *slog.Logger
}

var _ cipmini.Backend = (*Backend)(nil)

// New returns the Backend over s. A nil logger means slog.Default().
func New(s *sched.Scheduler, log *slog.Logger) *Backend {
	if log == nil {
		log = slog.Default()
	}
	return &Backend{s: s, log: log}
}

// SendEvent stores an event for the local users among its participants
// (docs/PROTOCOL.md section 5.4) through Deliver: "* TENTATIVE" for people
// who have yet to answer, "* CONFIRMED"/"* DECLINED" for resources that
// decide at once, nothing for copies stored with a final answer,
// "* REDIRECT USER", "* PERMDENIED" and "* NOTFOUND" for the rest. OK 000
// when every local participant got it, OK 003 when some did, NO 000 when
// nothing was stored.
func (b *Backend) SendEvent(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	evs, err := vcal.ParseEvents(req.Data, nil)
	if err != nil {
		return errorReply(parseError(err))
	}
	if len(evs) != 1 {
		return errorReply(&sched.Error{Kind: sched.ErrInvalid, Text: "One event (one UID) per SENDEVENT"})
	}
	d, err := b.s.Deliver(ctx, origin(req), evs[0], len(req.Data))
	if err != nil {
		return errorReply(err)
	}
	return &cipmini.Reply{Info: infoLines(d.Outcomes), Completion: deliveryCompletion(d)}
}

// RSVP stores attendees' answers (docs/PROTOCOL.md section 5.5) through
// Answer, then answers "* CONFIRMED" for every participant whose status is
// now accepted. An answer with a SEQUENCE lower than the stored one is stale
// (NO 005); one without SEQUENCE answers the stored version.
func (b *Backend) RSVP(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	rp, err := vcal.ParseReply(req.Data, nil)
	if err != nil {
		return errorReply(parseError(err))
	}
	a, err := b.s.Answer(ctx, origin(req), rp)
	if err != nil {
		return errorReply(err)
	}
	return &cipmini.Reply{Info: infoLines(a.Outcomes), Completion: answerCompletion(a)}
}

// FreeBusy answers a free/busy request (docs/PROTOCOL.md sections 5.6 and
// 7) through the Scheduler's FreeBusy: one VCALENDAR with a VFREEBUSY per
// user the client may see, then "* NOTFOUND", "* REDIRECT USER" or
// "* PERMDENIED" for the others. OK 000 when every user is answered, OK 003
// when some are, NO 000 when none is.
func (b *Backend) FreeBusy(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	fr, err := vcal.ParseFreeBusyRequest(req.Data, nil)
	if errors.Is(err, vcal.ErrWindowTooLarge) {
		return errorReply(sched.WindowTooLarge(err))
	}
	if err != nil {
		return errorReply(parseError(err))
	}
	a, err := b.s.FreeBusy(origin(req).Identity, fr)
	if err != nil {
		return errorReply(err)
	}
	info := infoLines(a.Refused)
	if len(a.Components) == 0 {
		return &cipmini.Reply{Info: info, Completion: cipmini.NO(cipmini.CodeNone, "No free/busy information for these users")}
	}
	cal := vcal.NewCalendar("REPLY")
	cal.Children = a.Components
	var buf bytes.Buffer
	if err := vcal.Encode(&buf, cal); err != nil {
		b.log.Error("backend: encoding free/busy", "err", err)
		return errorReply(err)
	}
	code := cipmini.CodeNone
	if len(info) > 0 {
		code = cipmini.CodePartial
	}
	return &cipmini.Reply{Data: buf.Bytes(), Info: info, Completion: cipmini.OK(code, "Free/busy follows")}
}

// origin is who sends a request, as the Scheduler judges it: the
// session's identity and, for the audit trail, the client's address.
func origin(req *cipmini.Request) sched.Origin {
	return sched.Origin{Identity: identity(req.Identity), Addr: req.RemoteAddr}
}

// identity is a session's identity as the Scheduler knows it.
func identity(id cipmini.Identity) sched.Identity {
	switch id.Kind {
	case cipmini.User:
		return sched.Identity{Kind: sched.User, Name: id.Name}
	case cipmini.Peer:
		return sched.Identity{Kind: sched.Peer, Name: id.Name}
	case cipmini.Mail:
		return sched.Identity{Kind: sched.Mail, Name: id.Name}
	}
	return sched.Identity{}
}

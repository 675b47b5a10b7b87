package store

import (
	"context"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// RSVP stores attendees' answers on the owner's copy of an event owned here
// (PROFILE.md 6.3), then answers "* CONFIRMED" for every participant whose
// status is now accepted.
func (s *Scheduler) RSVP(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	rp, err := vcal.ParseReply(req.Data, nil)
	if err != nil {
		return parseError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.load(rp.UID)
	if err != nil {
		return tempFailure(s.log, "reading an event", err)
	}
	if rec == nil || !s.dir.IsLocal(rec.Owner) {
		r := &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeUnknownEvent, "No such event owned here")}
		if to := s.dir.EventRedirect(rp.UID); to != "" {
			r.Info = []cipmini.Info{cipmini.RedirectEvent(rp.UID, to)}
		}
		return r
	}
	if rp.Sequence < rec.Sequence {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeStale, "Stale version: the event has changed since")}
	}
	ev, err := parseStored(rec)
	if err != nil {
		return tempFailure(s.log, "reading a stored event", err)
	}
	onEvent := map[string]bool{rec.Owner: true}
	for _, a := range ev.Attendees {
		onEvent[a.Address] = true
	}
	for _, a := range rp.Attendees {
		if !onEvent[a.Address] {
			return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeInvalid, a.Address+" is not an attendee of this event")}
		}
		if !s.mayAnswerFor(req.Identity, a.Address) {
			return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeNotAllowed, "Not allowed")}
		}
	}
	for _, a := range rp.Attendees {
		st := a.PartStat
		if st == "" {
			st = NeedsAction
		}
		if _, local := rec.Holders[a.Address]; local {
			rec.Holders[a.Address] = st
		} else {
			if rec.Answers == nil {
				rec.Answers = map[string]string{}
			}
			rec.Answers[a.Address] = st
		}
		if rp.Comment != "" {
			if rec.Comments == nil {
				rec.Comments = map[string]string{}
			}
			rec.Comments[a.Address] = rp.Comment
		}
	}
	if err := s.save(rec); err != nil {
		return tempFailure(s.log, "storing an answer", err)
	}
	s.reindex(rec, ev)

	// The answering attendees first, as in the draft's last example, then
	// the owner and the others.
	var info []cipmini.Info
	said := map[string]bool{}
	confirm := func(addr string) {
		if !said[addr] && rec.status(addr) == Accepted {
			said[addr] = true
			info = append(info, cipmini.UserInfo(cipmini.InfoConfirmed, addr))
		}
	}
	for _, a := range rp.Attendees {
		confirm(a.Address)
	}
	for _, p := range participants(ev) {
		confirm(p.Address)
	}
	return &cipmini.Reply{Info: info, Completion: cipmini.OK(cipmini.CodeNone, "RSVP stored")}
}

// mayAnswerFor reports whether a session may answer for an attendee
// (PROFILE.md 9): logged in as that attendee or as its server, or anonymous
// where allow_anonymous_rsvp is set.
func (s *Scheduler) mayAnswerFor(id cipmini.Identity, attendee string) bool {
	switch id.Kind {
	case cipmini.User:
		return id.Name == attendee
	case cipmini.Peer:
		return id.Name == domainOf(attendee)
	}
	return s.dir.AllowAnonymousRSVP
}

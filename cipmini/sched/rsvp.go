package sched

import (
	"context"
	"maps"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// RSVP stores attendees' answers on the owner's copy of an event owned here
// (docs/PROTOCOL.md section 5.5), then answers "* CONFIRMED" for every
// participant whose status is now accepted. An answer with a SEQUENCE lower
// than the stored one is stale (NO 005); one without SEQUENCE answers the
// stored version.
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
	if rec != nil && rec.tombstone() {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeUnknownEvent, "The event was cancelled")}
	}
	if rec != nil && !s.dir.IsLocal(rec.Owner) && s.answersOwnCopy(req.Identity, rp, rec) {
		return s.rsvpOnward(req, rp, rec)
	}
	if rec == nil || !s.dir.IsLocal(rec.Owner) {
		r := &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeUnknownEvent, "No such event owned here")}
		if to := s.dir.EventRedirect(rp.UID); to != "" {
			r.Info = []cipmini.Info{cipmini.RedirectEvent(rp.UID, to)}
		}
		return r
	}
	if rp.HasSequence && rp.Sequence < rec.Sequence {
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
			s.log.Warn("store: decision", "uid", rec.UID, "by", who(req), "change", "rsvp",
				"user", a.Address, "answer", a.PartStat, "reason", "not the attendee or its server")
			return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeNotAllowed, "Not allowed")}
		}
		if a.PartStat == Accepted {
			if _, local := rec.Holders[a.Address]; local {
				if why := s.acceptClash(s.dir.User(a.Address), ev, rec.Declines[a.Address]); why != "" {
					s.log.Info("store: decision", "uid", rec.UID, "by", who(req), "change", "rsvp",
						"user", a.Address, "answer", Declined, "reason", why)
					return &cipmini.Reply{Info: []cipmini.Info{cipmini.UserInfo(cipmini.InfoDeclined, a.Address)},
						Completion: cipmini.NO(cipmini.CodeNone, "Not stored: "+why)}
				}
			}
		}
	}
	if rsvpUnchanged(rec, rp) {
		// A retransmission or a repeated answer: nothing is written.
		return rsvpReply(rec, rp, ev)
	}
	before := *rec
	before.Holders, before.Answers, before.Comments = maps.Clone(rec.Holders), maps.Clone(rec.Answers), maps.Clone(rec.Comments)
	var answered []string
	for _, a := range rp.Attendees {
		answered = append(answered, a.Address)
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
	if s.storeFull(req.Identity, rec.UID, "answer that grows the event", growth(&before, rec)) {
		return storeFullReply()
	}
	s.recordChange(rec, who(req), "rsvp", answered)
	if err := s.save(rec); err != nil {
		return tempFailure(s.log, "storing an answer", err)
	}
	s.reindex(rec, ev)
	return rsvpReply(rec, rp, ev)
}

// rsvpUnchanged reports whether an answer changes nothing stored: every
// answering attendee's status is the one stored, and the comment is
// absent or the one stored.
func rsvpUnchanged(rec *eventRecord, rp *vcal.Reply) bool {
	for _, a := range rp.Attendees {
		st := a.PartStat
		if st == "" {
			st = NeedsAction
		}
		cur, local := rec.Holders[a.Address]
		if !local {
			cur = rec.Answers[a.Address]
		}
		if cur != st || (rp.Comment != "" && rec.Comments[a.Address] != rp.Comment) {
			return false
		}
	}
	return true
}

// rsvpReply is the answer to an RSVP taken: "* CONFIRMED" for the
// answering attendees first, as in the draft's last example, then for the
// owner and the others, whose status is accepted.
func rsvpReply(rec *eventRecord, rp *vcal.Reply, ev *vcal.Event) *cipmini.Reply {
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
// (docs/PROTOCOL.md section 9.3): logged in as that attendee or as its server
// (or a server the attendee's domain is an alias of), or anonymous where
// allow_anonymous_rsvp is set, and then for remote attendees only, never for a
// local user or resource.
func (s *Scheduler) mayAnswerFor(id cipmini.Identity, attendee string) bool {
	switch id.Kind {
	case cipmini.User:
		return id.Name == s.dir.Canonical(attendee)
	case cipmini.Peer:
		return !s.dir.IsLocal(attendee) && s.dir.PeerServes(id.Name, directory.Domain(attendee))
	case cipmini.Mail:
		return mailIsOwner(s.dir, id, attendee)
	}
	return s.dir.AllowAnonymousRSVP && !s.dir.IsLocal(attendee)
}

// answersOwnCopy reports whether a session logged in as a local user answers
// for itself, on its copy of an event owned elsewhere.
func (s *Scheduler) answersOwnCopy(id cipmini.Identity, rp *vcal.Reply, rec *eventRecord) bool {
	if id.Kind != cipmini.User || len(rp.Attendees) != 1 {
		return false
	}
	user := s.dir.Canonical(rp.Attendees[0].Address)
	_, holds := rec.Holders[user]
	return user == id.Name && holds
}

// rsvpOnward stores a local attendee's answer on its copy of an event owned
// by another server, and queues the answer to that server (draft section 3:
// Bob accepts on b.com, and b.com tells a.com).
func (s *Scheduler) rsvpOnward(req *cipmini.Request, rp *vcal.Reply, rec *eventRecord) *cipmini.Reply {
	user := req.Identity.Name
	if rp.HasSequence && rp.Sequence < rec.Sequence {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeStale, "Stale version: the event has changed since")}
	}
	if rec.textless() {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeNone, "Not stored: the invitation was declined and is no longer kept; ask the organizer to send it again")}
	}
	st := rp.Attendees[0].PartStat
	if st == "" {
		st = NeedsAction
	}
	ev, err := parseStored(rec)
	if err != nil {
		return tempFailure(s.log, "reading a stored event", err)
	}
	if st == Accepted {
		if why := s.acceptClash(s.dir.User(user), ev, rec.Declines[user]); why != "" {
			s.log.Info("store: decision", "uid", rec.UID, "by", who(req), "change", "rsvp",
				"user", user, "answer", Declined, "reason", why)
			return &cipmini.Reply{Info: []cipmini.Info{cipmini.UserInfo(cipmini.InfoDeclined, rp.Attendees[0].Address)},
				Completion: cipmini.NO(cipmini.CodeNone, "Not stored: "+why)}
		}
	}
	rec.Holders[user] = st
	if rp.Comment != "" {
		if rec.Comments == nil {
			rec.Comments = map[string]string{}
		}
		rec.Comments[user] = rp.Comment
	}
	text, err := replyText(rec.UID, rec.Sequence, rec.Owner, rp.Attendees[0].Address, st, rp.Comment, nil, s.Now())
	if err != nil {
		return tempFailure(s.log, "writing an answer", err)
	}
	server := directory.Domain(rec.Owner)
	msg := &OutMessage{To: server, Verb: cipmini.VerbRSVP.String(), Data: text, UID: rec.UID, For: []string{rec.Owner}, From: user}
	s.recordChange(rec, who(req), "rsvp", []string{user})
	if err := s.saveWith(rec, []*OutMessage{msg}); err != nil {
		return tempFailure(s.log, "storing an answer", err)
	}
	s.reindex(rec, ev)
	var info []cipmini.Info
	if st == Accepted {
		info = append(info, cipmini.UserInfo(cipmini.InfoConfirmed, rp.Attendees[0].Address))
	}
	return &cipmini.Reply{Info: info, Completion: cipmini.OK(cipmini.CodeNone, "RSVP stored; sending it on to "+server)}
}

package sched

import (
	"context"
	"maps"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// Answer stores attendees' answers on behalf of from (docs/PROTOCOL.md
// sections 5.5 and 9.3): on the owner's copy of an event owned here, or, for
// a local attendee answering for itself, on its copy of an event owned
// elsewhere, queued on to the owner's server. An acceptance the attendee's
// calendar cannot take is not stored. An answer with a SEQUENCE lower than
// the stored one is ErrStale; one without SEQUENCE answers the stored
// version. Other refusals are an *Error too (ErrUnknownEvent, ErrInvalid,
// ErrNotAllowed, ErrStoreFull, ErrTemporary). It is safe for concurrent
// use: changes are serialized.
func (s *Scheduler) Answer(ctx context.Context, from Origin, rp *vcal.Reply) (res *Answered, err error) {
	defer s.notifyChanged() // after the lock is released
	s.mu.Lock()
	defer durable(s, &res, &err)
	defer s.unlock()
	rec, err := s.load(rp.UID)
	if err != nil {
		return nil, tempFailure(s.log, "reading an event", err)
	}
	if rec != nil && rec.tombstone() {
		return nil, refusal(ErrUnknownEvent, "The event was cancelled")
	}
	if rec != nil && !s.dir.IsLocal(rec.Owner) && s.answersOwnCopy(from.Identity, rp, rec) {
		return s.rsvpOnward(from, rp, rec)
	}
	if rec == nil || !s.dir.IsLocal(rec.Owner) {
		e := refusal(ErrUnknownEvent, "No such event owned here")
		if to := s.dir.EventRedirect(rp.UID); to != "" {
			e.UID, e.Redirect = rp.UID, to
		}
		return nil, e
	}
	if rp.HasSequence && rp.Sequence < rec.Sequence {
		return nil, refusal(ErrStale, "Stale version: the event has changed since")
	}
	ev, err := parseStored(rec)
	if err != nil {
		return nil, tempFailure(s.log, "reading a stored event", err)
	}
	onEvent := map[string]bool{rec.Owner: true}
	for _, a := range ev.Attendees {
		onEvent[a.Address] = true
	}
	for _, a := range rp.Attendees {
		if !onEvent[a.Address] {
			return nil, refusal(ErrInvalid, a.Address+" is not an attendee of this event")
		}
		if !s.mayAnswerFor(from.Identity, a.Address) {
			s.log.Warn("store: decision", "uid", rec.UID, "by", who(from), "change", "rsvp",
				"user", a.Address, "answer", a.PartStat, "reason", "not the attendee or its server")
			return nil, refusal(ErrNotAllowed, "Not allowed")
		}
		if a.PartStat == Accepted {
			if _, local := rec.Holders[a.Address]; local {
				if why := s.acceptClash(s.dir.User(a.Address), ev, rec.Declines[a.Address]); why != "" {
					s.log.Info("store: decision", "uid", rec.UID, "by", who(from), "change", "rsvp",
						"user", a.Address, "answer", Declined, "reason", why)
					return &Answered{Reason: why, Outcomes: []Outcome{{User: a.Address, Kind: OutcomeDeclined, Reason: why}}}, nil
				}
			}
		}
	}
	if rsvpUnchanged(rec, rp) {
		// A retransmission or a repeated answer: nothing is written.
		return rsvpAnswered(rec, rp, ev), nil
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
	if s.storeFull(from.Identity, rec.UID, "answer that grows the event", growth(&before, rec)) {
		return nil, storeFullError()
	}
	s.recordChange(rec, who(from), "rsvp", answered)
	if err := s.save(rec); err != nil {
		return nil, tempFailure(s.log, "storing an answer", err)
	}
	s.reindex(rec, ev)
	return rsvpAnswered(rec, rp, ev), nil
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

// rsvpAnswered is what an RSVP taken did: OutcomeConfirmed for the
// answering attendees first, as in the draft's last example, then for the
// owner and the others, whose status is accepted.
func rsvpAnswered(rec *eventRecord, rp *vcal.Reply, ev *vcal.Event) *Answered {
	var info []Outcome
	said := map[string]bool{}
	confirm := func(addr string) {
		if !said[addr] && rec.status(addr) == Accepted {
			said[addr] = true
			info = append(info, Outcome{User: addr, Kind: OutcomeConfirmed})
		}
	}
	for _, a := range rp.Attendees {
		confirm(a.Address)
	}
	for _, p := range participants(ev) {
		confirm(p.Address)
	}
	return &Answered{Stored: true, Outcomes: info}
}

// mayAnswerFor reports whether a session may answer for an attendee
// (docs/PROTOCOL.md section 9.3): logged in as that attendee or as its server
// (or a server the attendee's domain is an alias of), or anonymous where
// allow_anonymous_rsvp is set, and then for remote attendees only, never for a
// local user or resource.
func (s *Scheduler) mayAnswerFor(id Identity, attendee string) bool {
	switch id.Kind {
	case User:
		return id.Name == s.dir.Canonical(attendee)
	case Peer:
		return !s.dir.IsLocal(attendee) && s.dir.PeerServes(id.Name, directory.Domain(attendee))
	case Mail:
		return mailIsOwner(s.dir, id, attendee)
	}
	return s.dir.AllowAnonymousRSVP && !s.dir.IsLocal(attendee)
}

// answersOwnCopy reports whether a session logged in as a local user answers
// for itself, on its copy of an event owned elsewhere.
func (s *Scheduler) answersOwnCopy(id Identity, rp *vcal.Reply, rec *eventRecord) bool {
	if id.Kind != User || len(rp.Attendees) != 1 {
		return false
	}
	user := s.dir.Canonical(rp.Attendees[0].Address)
	_, holds := rec.Holders[user]
	return user == id.Name && holds
}

// rsvpOnward stores a local attendee's answer on its copy of an event owned
// by another server, and queues the answer to that server (draft section 3:
// Bob accepts on b.com, and b.com tells a.com), or as an iMIP REPLY to the
// organizer's mail address when the organizer speaks by mail.
func (s *Scheduler) rsvpOnward(from Origin, rp *vcal.Reply, rec *eventRecord) (*Answered, error) {
	user := from.Identity.Name
	if rp.HasSequence && rp.Sequence < rec.Sequence {
		return nil, refusal(ErrStale, "Stale version: the event has changed since")
	}
	if rec.textless() {
		return &Answered{Reason: "the invitation was declined and is no longer kept; ask the organizer to send it again"}, nil
	}
	st := rp.Attendees[0].PartStat
	if st == "" {
		st = NeedsAction
	}
	ev, err := parseStored(rec)
	if err != nil {
		return nil, tempFailure(s.log, "reading a stored event", err)
	}
	if st == Accepted {
		if why := s.acceptClash(s.dir.User(user), ev, rec.Declines[user]); why != "" {
			s.log.Info("store: decision", "uid", rec.UID, "by", who(from), "change", "rsvp",
				"user", user, "answer", Declined, "reason", why)
			return &Answered{Reason: why, Outcomes: []Outcome{{User: rp.Attendees[0].Address, Kind: OutcomeDeclined, Reason: why}}}, nil
		}
	}
	rec.Holders[user] = st
	if rp.Comment != "" {
		if rec.Comments == nil {
			rec.Comments = map[string]string{}
		}
		rec.Comments[user] = rp.Comment
	}
	attendee := rp.Attendees[0].Address
	if rec.Mail != nil {
		attendee = rec.Mail.address(user, attendee)
	}
	text, err := replyText(rec.UID, rec.Sequence, rec.Owner, attendee, st, rp.Comment, nil, s.Now())
	if err != nil {
		return nil, tempFailure(s.log, "writing an answer", err)
	}
	server := directory.Domain(rec.Owner)
	msg := &OutMessage{To: server, Verb: VerbRSVP, Data: text, UID: rec.UID, For: []string{rec.Owner}, From: user}
	if rec.Mail != nil {
		// The organizer speaks by mail: the answer is an iMIP REPLY.
		rec.Mail.asMailReply(msg, text, ev.Summary)
		server = rec.Mail.Organizer
	}
	s.recordChange(rec, who(from), "rsvp", []string{user})
	if err := s.saveWith(rec, []*OutMessage{msg}); err != nil {
		return nil, tempFailure(s.log, "storing an answer", err)
	}
	s.reindex(rec, ev)
	a := &Answered{Stored: true, SentOnTo: server}
	if st == Accepted {
		a.Outcomes = append(a.Outcomes, Outcome{User: rp.Attendees[0].Address, Kind: OutcomeConfirmed})
	}
	return a, nil
}

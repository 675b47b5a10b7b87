package sched

import (
	"bytes"
	"context"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// version says how an incoming event relates to the stored one (iTIP
// ordering, docs/PROTOCOL.md section 6.4).
type version int

const (
	versionNew   version = iota // nothing stored yet
	versionStale                // lower SEQUENCE, or same SEQUENCE and older DTSTAMP
	versionSame                 // same SEQUENCE and DTSTAMP: a retransmission
	versionMinor                // same SEQUENCE, later DTSTAMP: replaces, answers kept
	versionMajor                // higher SEQUENCE: replaces, answers reset
)

func compareVersion(ev *vcal.Event, old *eventRecord) version {
	if old == nil {
		return versionNew
	}
	stamp := int64(0)
	if !ev.DTStamp.IsZero() {
		stamp = ev.DTStamp.Unix()
	}
	switch {
	case ev.Sequence > old.Sequence:
		return versionMajor
	case ev.Sequence < old.Sequence:
		return versionStale
	case stamp > old.DTStamp:
		return versionMinor
	case stamp < old.DTStamp:
		return versionStale
	}
	return versionSame
}

// SendEvent stores an event for the local users among its participants
// (docs/PROTOCOL.md section 5.4): "* TENTATIVE" for people who have yet to
// answer, "* CONFIRMED"/"* DECLINED" for resources that decide at once,
// nothing for copies stored with a final answer, "* REDIRECT USER",
// "* PERMDENIED" and "* NOTFOUND" for the rest. OK 000 when every local
// participant got it, OK 003 when some did, NO 000 when nothing was stored.
func (s *Scheduler) SendEvent(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	evs, err := vcal.ParseEvents(req.Data, nil)
	if err != nil {
		return parseError(err)
	}
	if len(evs) != 1 {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeInvalid, "One event (one UID) per SENDEVENT")}
	}
	ev := evs[0]
	if ev.Kind != "VEVENT" && ev.Kind != "VTODO" {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeInvalid, "SENDEVENT carries a VEVENT or a VTODO")}
	}
	if r := s.refuseMail(req, ev); r != nil {
		return r
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.load(ev.UID)
	if err != nil {
		return tempFailure(s.log, "reading an event", err)
	}
	ver := compareVersion(ev, old)
	text, err := s.newText(ev, old)
	if err != nil {
		return tempFailure(s.log, "encoding an event", err)
	}
	if old != nil {
		switch {
		case s.dir.Canonical(ev.Organizer.Address) != old.Owner:
			return s.refuseChange(req, ev, old, "the organizer of a stored event never changes")
		case s.retransmission(ev, old, ver, text) && (!s.mayChange(req.Identity, old) || old.textless()):
			return s.answerAsBefore(ev, old)
		case !s.mayChange(req.Identity, old):
			return s.refuseChange(req, ev, old, "only the organizer or its server may change a stored event")
		case old.textless() && !ev.RecurrenceID.IsZero() && ver != versionStale:
			// Single occurrences of an invitation declined as a whole
			// change nothing: it stays declined.
			return s.answerAsBefore(ev, old)
		}
	}
	if ver == versionStale {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeStale, "Stale version: a newer one is stored")}
	}
	cancel := ev.Cancelled
	if cancel && old == nil {
		// Nothing to cancel (as CalendarServer does): nothing stored.
		return &cipmini.Reply{Completion: cipmini.OK(cipmini.CodeNone, "Nothing to cancel")}
	}
	if old == nil && s.storeFull(req.Identity, ev.UID, "new invitation", int64(len(req.Data))) {
		return storeFullReply()
	}

	d := s.deliver(req.Identity, ev, old, ver, text)
	if d.ownClash != "" {
		// A resource changing its own booking (the panel extending it)
		// onto another booking: the change is refused, the booking kept.
		s.log.Info("store: decision", "uid", ev.UID, "by", who(req), "change", changeKind(ev, old),
			"user", d.rec.Owner, "answer", Declined, "reason", d.ownClash)
		return &cipmini.Reply{Info: []cipmini.Info{cipmini.UserInfo(cipmini.InfoDeclined, ev.Organizer.Address)},
			Completion: cipmini.NO(cipmini.CodeNone, "Not stored: "+d.ownClash)}
	}
	d.info = append(d.info, d.problems...)
	if d.delivered == 0 {
		s.log.Info("store: decision", "uid", ev.UID, "by", who(req), "change", changeKind(ev, old),
			"organizer", d.rec.Owner, "answer", "NOT-STORED", "reason", "no participant here could take it")
		return &cipmini.Reply{Info: d.info, Completion: cipmini.NO(cipmini.CodeNone, "Not stored: no participant here could take it")}
	}
	if ver != versionSame || d.changed || d.rec.ICal != old.ICal {
		out, err := s.outgoing(req.Identity, ev, d)
		if err == nil {
			out, err = s.byMail(ctx, req.Identity, ev, d, out)
		}
		if err != nil {
			return tempFailure(s.log, "preparing messages for other servers", err)
		}
		stored := d.newEv
		if stored == nil && !d.rec.textless() {
			if stored, err = parseStored(d.rec); err != nil {
				return tempFailure(s.log, "re-reading an event to store", err)
			}
		}
		if stored != nil {
			d.rec.describe(stored)
		}
		s.slim(d.rec, stored)
		if old != nil && !cancel && s.storeFull(req.Identity, ev.UID, "change that grows the event", growth(old, d.rec)) {
			return storeFullReply()
		}
		if d.rec.textless() {
			stored = nil
		}
		kind := changeKind(ev, old)
		if kind == "update" && d.tc.changed {
			kind = "move" // the busy time changed
		}
		s.recordChange(d.rec, who(req), kind, nil)
		if err := s.saveWith(d.rec, out); err != nil {
			return tempFailure(s.log, "storing an event", err)
		}
		s.reindex(d.rec, stored)
	}
	if d.failed > 0 {
		return &cipmini.Reply{Info: d.info, Completion: cipmini.OK(cipmini.CodePartial, "Not all participants here received it")}
	}
	text = "Stored"
	if cancel {
		text = "Cancelled"
	}
	return &cipmini.Reply{Info: d.info, Completion: cipmini.OK(cipmini.CodeNone, text)}
}

// newText returns the text to store for ev: the stored text for a
// cancellation of the whole event, else storedText; "" when there is none
// to store (occurrences of an event whose text is not kept).
func (s *Scheduler) newText(ev *vcal.Event, old *eventRecord) (string, error) {
	switch {
	case old != nil && ev.Cancelled && ev.RecurrenceID.IsZero():
		return old.ICal, nil
	case old != nil && old.textless() && !ev.RecurrenceID.IsZero():
		return "", nil
	}
	return storedText(ev, old)
}

// delivery is the outcome of handing an event to the local participants.
// Its informational lines come in two runs, as in the draft's examples: the
// participants that got the event first, then those that did not, each run
// in the order of the data.
type delivery struct {
	rec       *eventRecord
	info      []cipmini.Info // TENTATIVE, CONFIRMED, DECLINED
	problems  []cipmini.Info // REDIRECT, PERMDENIED, NOTFOUND
	delivered int            // local participants that hold the event now
	failed    int            // local participants that did not get it
	changed   bool           // a holder's status changed (a retransmission that decided)
	decided   []string       // resources that answered automatically just now
	// newEv is the stored text of the new version, parsed (nil for a
	// cancellation of the whole event); tc how its busy time differs from
	// the stored version's.
	newEv *vcal.Event
	tc    timeChange
	// ownClash is why a resource may not change its own booking so: the
	// new time clashes with another booking. Nothing is stored then.
	ownClash string
}

// deliver works out, for every participant in order (the owner first), what
// happens to it, and builds the record to store.
func (s *Scheduler) deliver(id cipmini.Identity, ev *vcal.Event, old *eventRecord, ver version, text string) *delivery {
	owner := s.dir.Canonical(ev.Organizer.Address)
	wholeCancel := ev.Cancelled && ev.RecurrenceID.IsZero()
	rec := &eventRecord{UID: ev.UID, Sequence: ev.Sequence, Owner: owner, Cancelled: wholeCancel,
		Holders: map[string]string{}}
	if old != nil {
		rec.History = old.History
		if text == "" {
			rec.Ends = old.Ends // still without text: the end stays known
		}
	}
	if !ev.DTStamp.IsZero() {
		rec.DTStamp = ev.DTStamp.Unix()
	}
	keepAnswers := old != nil && (ver == versionSame || ver == versionMinor || !ev.RecurrenceID.IsZero())
	if keepAnswers {
		rec.Answers = old.Answers
	}
	// A cancellation keeps the stored text: it only frees the time.
	rec.ICal = text
	d := &delivery{rec: rec}
	if keepAnswers {
		// Maps shared with old are copied: a holder's entries change.
		rec.Comments, rec.Declines = copyMap(old.Comments), copyDeclines(old.Declines)
	}
	if !wholeCancel {
		newEv, err := parseStored(rec)
		if err != nil {
			s.log.Error("store: re-reading an event to store", "uid", ev.UID, "err", err)
			newEv = ev
		}
		d.newEv = newEv
		if old == nil {
			d.tc = timeChange{changed: true} // all new: judged in full
		} else {
			// A cancelled event freed its time: reviving it books anew.
			var oldEv *vcal.Event
			if !old.textless() && !old.Cancelled {
				oldEv, _ = parseStored(old)
			}
			d.tc = s.compareTime(oldEv, newEv)
		}
	}
	ownerLocal := s.dir.IsLocal(owner)
	actsAsOwner := id.Kind == cipmini.User && id.Name == owner
	s.eachRecipient(ev, func(group string) {
		s.log.Warn("store: group loop cut", "group", group, "uid", ev.UID)
	}, func(addr, _ string, p vcal.Participant) {
		s.deliverOne(d, id, ev, old, keepAnswers, addr, p, ownerLocal && !actsAsOwner)
	})
	if old != nil && (wholeCancel || !ev.RecurrenceID.IsZero()) {
		// A cancellation, or news of single occurrences, leaves every
		// stored copy in place.
		for u, st := range old.Holders {
			if _, ok := rec.Holders[u]; !ok {
				rec.Holders[u] = st
			}
		}
	}
	return d
}

// deliverOne handles one local or remote participant.
func (s *Scheduler) deliverOne(d *delivery, id cipmini.Identity, ev *vcal.Event, old *eventRecord,
	keepAnswers bool, addr string, p vcal.Participant, ownerDenied bool) {
	info := func(in cipmini.Info) { d.info = append(d.info, in) }
	problem := func(in cipmini.Info) { d.problems = append(d.problems, in) }
	if !s.dir.IsLocal(addr) {
		problem(cipmini.UserInfo(cipmini.InfoNotFound, addr))
		return
	}
	if to := s.dir.Redirect(addr); to != "" {
		problem(cipmini.RedirectUser(addr, to))
		d.failed++
		return
	}
	u := s.dir.User(addr)
	if u == nil {
		problem(cipmini.UserInfo(cipmini.InfoNotFound, addr))
		d.failed++
		return
	}
	key := u.ID
	isOwner := key == d.rec.Owner
	if ownerDenied || (!isOwner && !authenticated(id) && u.Invite != directory.InviteAnyone) {
		problem(cipmini.UserInfo(cipmini.InfoPermDenied, addr))
		d.failed++
		return
	}
	d.delivered++
	prev := ""
	if keepAnswers {
		prev = old.Holders[key]
	}
	if d.rec.Cancelled {
		if st, had := old.Holders[key]; had {
			d.rec.Holders[key] = st
		}
		return
	}
	judged := d.newEv
	if judged == nil {
		judged = ev
	}
	var st string
	switch {
	case isOwner && u.Kind.Resource() && u.Policy == directory.PolicyAcceptIfFree && old != nil && !d.tc.changed && old.Holders[key] != "":
		st = old.Holders[key] // the time stays: so does the answer
	case isOwner && u.Kind.Resource() && u.Policy == directory.PolicyAcceptIfFree:
		// A resource booking itself (the room's panel) is checked for
		// conflicts under the same lock as invitations, never limits; so
		// is a change of its time (extend): one that clashes is refused
		// and the booking kept.
		free := *u
		free.Limits = directory.Limits{Location: u.Limits.Location}
		dec := s.decide(&free, judged)
		if old != nil && dec.status == Declined && old.Holders[key] == Accepted {
			d.ownClash = dec.reason
			return
		}
		st = dec.status
	case isOwner:
		st = Accepted
		if p.PartStat != "" && p.PartStat != NeedsAction {
			st = p.PartStat
		}
	case prev != "" && prev != NeedsAction && !(u.Kind.Resource() && d.tc.changed):
		// An answer given is kept while the time stays; a resource's is judged
		// again when the time changes (docs/PROTOCOL.md section 10.3).
		st = prev
	case u.Kind.Resource() && prev == Accepted && !ev.RecurrenceID.IsZero() &&
		(u.Policy == directory.PolicyAcceptIfFree || u.Policy == directory.PolicyAcceptAlways):
		// Moved or added occurrences of an accepted series are judged one
		// by one; a clash declines that occurrence.
		declines, reason := s.judgeOccurrences(u, ev.UID, d.tc.added, d.rec.Declines[key])
		st = Accepted
		setAnswer(d.rec, key, reason, declines)
		d.decided = append(d.decided, key)
	case u.Kind.Resource():
		dec := s.decide(u, judged)
		st = dec.status
		if st != NeedsAction {
			d.decided = append(d.decided, key) // a manual resource answers later
		}
		setAnswer(d.rec, key, dec.reason, dec.declined)
	default:
		st = NeedsAction
	}
	if old != nil && old.Holders[key] != st {
		d.changed = true
	}
	d.rec.Holders[key] = st
	switch {
	case isOwner && st == Declined:
		info(cipmini.UserInfo(cipmini.InfoDeclined, addr))
	case isOwner:
	case u.Kind.Resource() && st == Accepted:
		info(cipmini.UserInfo(cipmini.InfoConfirmed, addr))
	case u.Kind.Resource() && st == Declined:
		info(cipmini.UserInfo(cipmini.InfoDeclined, addr))
	case st == NeedsAction || st == Tentative:
		info(cipmini.UserInfo(cipmini.InfoTentative, addr))
	}
}

// participants lists the owner, then the attendees in their order, each once.
func participants(ev *vcal.Event) []vcal.Participant {
	ps := make([]vcal.Participant, 0, len(ev.Attendees)+1)
	owner := ev.Organizer
	for _, a := range ev.Attendees {
		if a.Address == owner.Address && a.PartStat != "" {
			owner.PartStat = a.PartStat
		}
	}
	ps = append(ps, owner)
	for _, a := range ev.Attendees {
		if a.Address != owner.Address {
			ps = append(ps, a)
		}
	}
	return ps
}

// outgoing lists the messages an accepted SENDEVENT causes (docs/PROTOCOL.md
// section 11.2): the event itself for each other server with attendees, when
// the client is the local owner; and, when the owner is elsewhere, an RSVP to
// the owner's server for each resource that answered automatically.
func (s *Scheduler) outgoing(id cipmini.Identity, ev *vcal.Event, d *delivery) ([]*OutMessage, error) {
	var out []*OutMessage
	owner := d.rec.Owner
	if s.dir.IsLocal(owner) {
		if id.Kind != cipmini.User || id.Name != owner {
			return nil, nil
		}
		data := d.rec.ICal
		if ev.Cancelled {
			var buf bytes.Buffer
			if err := vcal.Encode(&buf, ev.Calendar); err != nil {
				return nil, err
			}
			data = buf.String()
		}
		byServer := map[string]*OutMessage{}
		for _, a := range ev.Attendees {
			if s.dir.IsLocal(a.Address) {
				continue
			}
			server := directory.Domain(a.Address)
			m := byServer[server]
			if m == nil {
				m = &OutMessage{To: server, Verb: cipmini.VerbSendEvent.String(), Data: data, UID: ev.UID,
					Partial: ev.Cancelled && !ev.RecurrenceID.IsZero()}
				byServer[server] = m
				out = append(out, m)
			}
			m.For = append(m.For, a.Address)
		}
		return out, nil
	}
	for _, user := range d.decided {
		text, err := replyText(ev.UID, ev.Sequence, owner, user, d.rec.Holders[user], d.rec.Comments[user], d.rec.Declines[user], s.Now())
		if err != nil {
			return nil, err
		}
		out = append(out, &OutMessage{To: directory.Domain(owner), Verb: cipmini.VerbRSVP.String(), Data: text,
			UID: ev.UID, For: []string{owner}, From: user})
	}
	return out, nil
}

package sched

import (
	"context"

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

// Deliver stores an event for the local users among its participants on
// behalf of from (docs/PROTOCOL.md sections 5.4 and 9): resources decide at
// once by their policies (section 10.1), people get it to answer later.
// size is the octets of the event's data, which the store's cap judges
// (section 13.4); 0 means the size of the text stored for it (an event
// built with vcal.NewEvent has no data). It returns an Outcome per participant nothing was said
// of before, and the result as a whole; a request refused as a whole is an
// *Error (ErrInvalid, ErrStale, ErrStoreFull, ErrTemporary). It is safe for
// concurrent use: changes are serialized.
func (s *Scheduler) Deliver(ctx context.Context, from Origin, ev *vcal.Event, size int) (res *Delivery, err error) {
	if ev.Kind != "VEVENT" && ev.Kind != "VTODO" {
		return nil, refusal(ErrInvalid, "SENDEVENT carries a VEVENT or a VTODO")
	}
	if d := s.refuseMail(from, ev); d != nil {
		return d, nil
	}

	// The stored text of a whole event does not depend on the stored
	// version: it is encoded before the lock, which bookings take one at a
	// time.
	var text string
	var textEv *vcal.Event
	var textErr error
	whole := wholeText(ev)
	if whole {
		text, textEv, textErr = storedText(ev, nil)
	}

	defer s.notifyChanged() // after the lock is released
	s.mu.Lock()
	defer durable(s, &res, &err)
	defer s.unlock()
	old, err := s.load(ev.UID)
	if err != nil {
		return nil, tempFailure(s.log, "reading an event", err)
	}
	ver := compareVersion(ev, old)
	if !whole {
		text, textEv, textErr = s.newText(ev, old)
	}
	if textErr != nil {
		return nil, tempFailure(s.log, "encoding an event", textErr)
	}
	if size <= 0 {
		size = len(text) // an event built, not received: its stored text
	}
	if old != nil {
		switch {
		case s.dir.Canonical(ev.Organizer.Address) != old.Owner:
			return s.refuseChange(from, ev, old, "the organizer of a stored event never changes"), nil
		case s.retransmission(ev, old, ver, text) && (!s.mayChange(from.Identity, old) || old.textless() || old.Cancelled):
			return s.answerAsBefore(ev, old), nil
		case !s.mayChange(from.Identity, old):
			return s.refuseChange(from, ev, old, "only the organizer or its server may change a stored event"), nil
		case (old.textless() || old.Cancelled) && !ev.RecurrenceID.IsZero() && ver != versionStale:
			// Single occurrences of an invitation declined as a whole, or
			// of an event cancelled as a whole (a tombstone or not), change
			// nothing: it stays declined or cancelled. Only the whole
			// event, in a newer version, books it again.
			return s.answerAsBefore(ev, old), nil
		}
	}
	if ver == versionStale {
		return nil, refusal(ErrStale, "Stale version: a newer one is stored")
	}
	cancel := ev.Cancelled
	if cancel && old == nil {
		// Nothing to cancel (as CalendarServer does): nothing stored.
		return &Delivery{Result: ResultNothingToCancel}, nil
	}
	if old == nil && s.storeFull(from.Identity, ev.UID, "new invitation", int64(size)) {
		return nil, storeFullError()
	}

	d := s.deliver(from.Identity, ev, old, ver, text, textEv)
	if d.ownClash != "" {
		// A resource changing its own booking (the panel extending it)
		// onto another booking: the change is refused, the booking kept.
		s.log.Info("store: decision", "uid", ev.UID, "by", who(from), "change", changeKind(ev, old),
			"user", d.rec.Owner, "answer", Declined, "reason", d.ownClash)
		return &Delivery{Result: ResultNotStored, Reason: d.ownClash,
			Outcomes: []Outcome{{User: ev.Organizer.Address, Kind: OutcomeDeclined, Reason: d.ownClash}}}, nil
	}
	d.info = append(d.info, d.problems...)
	if d.delivered == 0 {
		s.log.Info("store: decision", "uid", ev.UID, "by", who(from), "change", changeKind(ev, old),
			"organizer", d.rec.Owner, "answer", "NOT-STORED", "reason", "no participant here could take it")
		return &Delivery{Result: ResultNotStored, Reason: "no participant here could take it", Outcomes: d.info}, nil
	}
	// A cancellation of the same version as the stored event keeps its text
	// and changes only Cancelled: it is news, and stored.
	if ver != versionSame || d.changed || d.rec.ICal != old.ICal || d.rec.Cancelled != old.Cancelled {
		keepMail(ctx, from.Identity, old, d.rec)
		out, err := s.outgoing(from.Identity, ev, d)
		if err == nil {
			out, err = s.byMail(d.rec, ev.Summary, out)
		}
		if err != nil {
			return nil, tempFailure(s.log, "preparing messages for other servers", err)
		}
		stored := d.newEv
		switch {
		case stored == nil && !d.rec.textless() && old.Title != nil:
			// A cancellation keeps the stored text, described as it was.
			d.rec.describedAs(old)
			stored = d.rec.ev
		case stored == nil && !d.rec.textless():
			// Stored before records kept their title: read it once.
			if stored, err = d.rec.parsed(); err != nil {
				return nil, tempFailure(s.log, "re-reading an event to store", err)
			}
			d.rec.describe(stored)
		case stored != nil:
			d.rec.describe(stored)
		}
		s.slim(d.rec, stored)
		if old != nil && !cancel && s.storeFull(from.Identity, ev.UID, "change that grows the event", growth(old, d.rec)) {
			return nil, storeFullError()
		}
		if d.rec.textless() {
			stored = nil
		}
		kind := changeKind(ev, old)
		if kind == "update" && d.tc.changed {
			kind = "move" // the busy time changed
		}
		s.recordChange(d.rec, who(from), kind, nil)
		if err := s.saveWith(d.rec, out); err != nil {
			return nil, tempFailure(s.log, "storing an event", err)
		}
		s.reindex(d.rec, stored)
	}
	if d.failed > 0 {
		return &Delivery{Result: ResultPartial, Outcomes: d.info}, nil
	}
	if cancel {
		return &Delivery{Result: ResultCancelled, Outcomes: d.info}, nil
	}
	return &Delivery{Result: ResultStored, Outcomes: d.info}, nil
}

// wholeText reports whether the text to store for ev is its own encoding,
// whatever version is stored: a whole event, not a cancellation (newText).
func wholeText(ev *vcal.Event) bool { return ev.RecurrenceID.IsZero() && !ev.Cancelled }

// newText returns the text to store for ev: the stored text for a
// cancellation of the whole event, else storedText; "" when there is none
// to store (occurrences of an event whose text is not kept). textEv is ev
// when the text is ev's own encoding, else nil.
func (s *Scheduler) newText(ev *vcal.Event, old *eventRecord) (text string, textEv *vcal.Event, err error) {
	switch {
	case wholeText(ev):
		return storedText(ev, nil)
	case old != nil && ev.Cancelled && ev.RecurrenceID.IsZero():
		return old.ICal, nil, nil
	case old != nil && old.textless() && !ev.RecurrenceID.IsZero():
		return "", nil, nil
	}
	return storedText(ev, old)
}

// delivery is the outcome of handing an event to the local participants.
// Its informational lines come in two runs, as in the draft's examples: the
// participants that got the event first, then those that did not, each run
// in the order of the data.
type delivery struct {
	rec       *eventRecord
	info      []Outcome // TENTATIVE, CONFIRMED, DECLINED
	problems  []Outcome // REDIRECT, PERMDENIED, NOTFOUND
	delivered int       // local participants that hold the event now
	failed    int       // local participants that did not get it
	changed   bool      // a holder's status changed (a retransmission that decided)
	decided   []string  // resources that answered automatically just now
	// newEv is the stored text of the new version as an event (nil for a
	// cancellation of the whole event): the incoming event itself when it
	// is stored whole; tc how its busy time differs from the stored
	// version's.
	newEv *vcal.Event
	tc    timeChange
	// ownClash is why a resource may not change its own booking so: the
	// new time clashes with another booking. Nothing is stored then.
	ownClash string
}

// deliver works out, for every participant in order (the owner first), what
// happens to it, and builds the record to store.
//
// textEv is ev when text is its encoding (see newText): it is used as the
// stored event, so that the text is not parsed again.
func (s *Scheduler) deliver(id Identity, ev *vcal.Event, old *eventRecord, ver version, text string, textEv *vcal.Event) *delivery {
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
		newEv := textEv
		if newEv == nil { // a merge of occurrences: read back what is stored
			var err error
			if newEv, err = parseStored(rec); err != nil {
				s.log.Error("store: re-reading an event to store", "uid", ev.UID, "err", err)
				newEv = ev
			}
		}
		d.newEv = newEv
		if old == nil {
			d.tc = timeChange{changed: true} // all new: judged in full
		} else {
			// A cancelled event freed its time: reviving it books anew.
			var oldEv *vcal.Event
			if !old.textless() && !old.Cancelled {
				oldEv, _ = old.parsed() // at most once (merge shares it)
			}
			d.tc = s.compareTime(oldEv, newEv)
		}
	}
	ownerLocal := s.dir.IsLocal(owner)
	actsAsOwner := id.Kind == User && id.Name == owner
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
func (s *Scheduler) deliverOne(d *delivery, id Identity, ev *vcal.Event, old *eventRecord,
	keepAnswers bool, addr string, p vcal.Participant, ownerDenied bool) {
	info := func(k OutcomeKind, why string) { d.info = append(d.info, Outcome{User: addr, Kind: k, Reason: why}) }
	problem := func(k OutcomeKind, to string) { d.problems = append(d.problems, Outcome{User: addr, Kind: k, To: to}) }
	if !s.dir.IsLocal(addr) {
		problem(OutcomeNotFound, "")
		return
	}
	if to := s.dir.Redirect(addr); to != "" {
		problem(OutcomeRedirected, to)
		d.failed++
		return
	}
	u := s.dir.User(addr)
	if u == nil {
		problem(OutcomeNotFound, "")
		d.failed++
		return
	}
	key := u.ID
	isOwner := key == d.rec.Owner
	if ownerDenied || (!isOwner && !authenticated(id) && u.Invite != directory.InviteAnyone) {
		problem(OutcomePermDenied, "")
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
	var st, ownReason string
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
		st, ownReason = dec.status, dec.reason
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
		info(OutcomeDeclined, ownReason)
	case isOwner:
	case u.Kind.Resource() && st == Accepted:
		info(OutcomeConfirmed, "")
	case u.Kind.Resource() && st == Declined:
		info(OutcomeDeclined, d.rec.Comments[key])
	case st == NeedsAction || st == Tentative:
		info(OutcomeTentative, "")
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
func (s *Scheduler) outgoing(id Identity, ev *vcal.Event, d *delivery) ([]*OutMessage, error) {
	var out []*OutMessage
	owner := d.rec.Owner
	if s.dir.IsLocal(owner) {
		if id.Kind != User || id.Name != owner {
			return nil, nil
		}
		data := d.rec.ICal
		if ev.Cancelled {
			text, err := vcal.EncodeString(ev.Calendar)
			if err != nil {
				return nil, err
			}
			data = text
		}
		byServer := map[string]*OutMessage{}
		for _, a := range ev.Attendees {
			if s.dir.IsLocal(a.Address) {
				continue
			}
			server := directory.Domain(a.Address)
			m := byServer[server]
			if m == nil {
				m = &OutMessage{To: server, Verb: VerbSendEvent, Data: data, UID: ev.UID,
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
		out = append(out, &OutMessage{To: directory.Domain(owner), Verb: VerbRSVP, Data: text,
			UID: ev.UID, For: []string{owner}, From: user})
	}
	return out, nil
}

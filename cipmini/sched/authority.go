package sched

import (
	"net"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// Who may change what (docs/PROTOCOL.md sections 9.2 and 9.3; iTIP, RFC 5546
// 3.2; RFC 6638 3.2.4.2): a stored event's organizer never changes, and only
// the organizer changes it: logged in here when the organizer is local, or
// through a peer authenticated as the organizer's server id or one of its
// aliases when it is not. Answers come from the attendee or its server only.

// mayChange reports whether a session may change (update, move, add or
// cancel occurrences of, cancel) the stored event old.
func (s *Scheduler) mayChange(id Identity, old *eventRecord) bool {
	owner := old.Owner
	if id.Kind == Mail {
		return mailIsOwner(s.dir, id, owner)
	}
	if s.dir.IsLocal(owner) {
		return id.Kind == User && id.Name == owner
	}
	return id.Kind == Peer && s.dir.PeerServes(id.Name, directory.Domain(owner))
}

// refuseChange answers a SENDEVENT that may not change the stored event:
// "* PERMDENIED" for each local participant it names (a group stands for its
// members), "* NOTFOUND" for the others, and NO 000. Nothing is stored.
func (s *Scheduler) refuseChange(from Origin, ev *vcal.Event, old *eventRecord, why string) *Delivery {
	var info, notFound []Outcome
	s.eachRecipient(ev, nil, func(addr, _ string, _ vcal.Participant) {
		if s.dir.IsLocal(addr) {
			info = append(info, Outcome{User: addr, Kind: OutcomePermDenied})
		} else {
			notFound = append(notFound, Outcome{User: addr, Kind: OutcomeNotFound})
		}
	})
	s.log.Warn("store: decision", "uid", ev.UID, "by", who(from), "change", changeKind(ev, old),
		"organizer", old.Owner, "answer", OutcomePermDenied.String(), "reason", why)
	return &Delivery{Result: ResultNotStored, Reason: "only the organizer may change this event",
		Outcomes: append(info, notFound...)}
}

// retransmission reports whether ev repeats the stored version exactly: the
// same SEQUENCE, DTSTAMP and organizer and, when the text is kept, the same
// text. It is answered as before by anyone, and changes nothing.
//
// Against a cancelled event, any message of its version but a cancellation
// is the one the cancellation followed, sent again: it is answered as the
// cancellation was, and revives nothing (only a newer version does, as for
// a tombstone), whoever sends it.
func (s *Scheduler) retransmission(ev *vcal.Event, old *eventRecord, ver version, text string) bool {
	switch {
	case ver != versionSame || s.dir.Canonical(ev.Organizer.Address) != old.Owner:
		return false
	case ev.Cancelled && ev.RecurrenceID.IsZero():
		return old.Cancelled // a cancellation repeats only a cancellation
	case old.Cancelled:
		return true
	}
	return old.textless() || text == old.ICal
}

// who names the client of a request for the audit trail: "user ID",
// "peer SERVER-ID" or "anonymous ADDRESS".
func who(from Origin) string {
	switch from.Identity.Kind {
	case User:
		return "user " + from.Identity.Name
	case Peer:
		return "peer " + from.Identity.Name
	case Mail:
		return "mail " + from.Identity.Name
	}
	addr := "?"
	if from.Addr != nil {
		addr = from.Addr.String()
		if h, _, err := net.SplitHostPort(addr); err == nil {
			addr = h
		}
	}
	return "anonymous " + addr
}

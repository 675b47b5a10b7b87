package sched

import (
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// A declined invitation keeps only what answering an update needs: its
// UID, SEQUENCE, DTSTAMP, organizer, the answers and their reasons, its
// history and when it ends, not its text (textless.go). A flood of large
// invitations a room declines then costs a few hundred bytes each. An update of such an event is judged anew
// from the update's text; news of single occurrences leaves it declined.

// slim drops the text of a record that only says no: an event organized
// elsewhere that every local holder, each a resource answering by policy,
// declined as a whole. ev is r's text parsed (nil when it has none); the
// end of its last occurrence is kept, for Maintain to retire the record
// once it is past.
func (s *Scheduler) slim(r *eventRecord, ev *vcal.Event) {
	if r.Cancelled || r.textless() || ev == nil || s.dir.IsLocal(r.Owner) || len(r.Holders) == 0 {
		return
	}
	for user, st := range r.Holders {
		u := s.dir.User(user)
		if st != Declined || u == nil || !u.Kind.Resource() || u.Policy == directory.PolicyManual {
			return
		}
	}
	r.dropText(textEnds(r, ev, s.Now().Unix()))
}

// answerAsBefore answers a SENDEVENT that changes nothing (a
// retransmission, or occurrences of an invitation declined as a whole) from
// what is stored: each local participant's answer, "* PERMDENIED" for local
// participants that hold no copy, "* NOTFOUND" for the others. It stores
// nothing.
func (s *Scheduler) answerAsBefore(ev *vcal.Event, old *eventRecord) *Delivery {
	var info, problems []Outcome
	held := 0
	s.eachRecipient(ev, nil, func(addr, key string, _ vcal.Participant) {
		u := s.dir.User(addr)
		st, holds := old.Holders[key]
		switch {
		case !s.dir.IsLocal(addr) || u == nil:
			problems = append(problems, Outcome{User: addr, Kind: OutcomeNotFound})
			return
		case !holds:
			problems = append(problems, Outcome{User: addr, Kind: OutcomePermDenied})
			return
		}
		held++
		switch {
		case old.Cancelled || key == old.Owner && st != Declined:
		case st == Declined:
			info = append(info, Outcome{User: addr, Kind: OutcomeDeclined, Reason: old.Comments[key]})
		case u.Kind.Resource() && st == Accepted:
			info = append(info, Outcome{User: addr, Kind: OutcomeConfirmed})
		case st == NeedsAction || st == Tentative:
			info = append(info, Outcome{User: addr, Kind: OutcomeTentative})
		}
	})
	info = append(info, problems...)
	if held == 0 {
		return &Delivery{Result: ResultNotStored, Reason: "no participant here could take it", Outcomes: info}
	}
	if old.Cancelled {
		return &Delivery{Result: ResultCancelled, Outcomes: info}
	}
	return &Delivery{Result: ResultStored, Outcomes: info}
}

package sched

import (
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
)

// Ranks of a queued message when its peer's queue is over its limits
// (capPeer): lower ranks are dropped first; keepCancel is never dropped.
const (
	dropPastAnswer = iota // an answer for an event already over
	dropMoot              // about an event whose cancellation is queued too
	dropOther             // any other message
	keepCancel            // the cancellation of a whole event
)

// dropOrder ranks the messages of one peer's queue for capPeer.
func dropOrder(mine []*queued, now time.Time) map[*queued]int {
	order := make(map[*queued]int, len(mine))
	cancelled := map[string]bool{}
	for _, q := range mine {
		if cancellation(q.m) {
			order[q] = keepCancel
			cancelled[q.m.UID] = true
		}
	}
	for _, q := range mine {
		switch {
		case order[q] == keepCancel:
		case pastAnswer(q.m, now):
			order[q] = dropPastAnswer
		case cancelled[q.m.UID]:
			order[q] = dropMoot
		default:
			order[q] = dropOther
		}
	}
	return order
}

// cancellation reports whether m cancels a whole event: a SENDEVENT whose
// event is cancelled (METHOD:CANCEL or STATUS:CANCELLED), not a single
// occurrence. The text is this server's own; it is parsed only when it
// names a cancellation at all, and only when a queue is over its limits.
func cancellation(m *OutMessage) bool {
	if m.Verb != VerbSendEvent || m.Partial || !strings.Contains(m.Data, "CANCEL") {
		return false
	}
	evs, err := vcal.ParseEvents([]byte(m.Data), storedLimits)
	if err != nil {
		return false
	}
	for _, ev := range evs {
		if ev.UID == m.UID {
			return ev.Cancelled && ev.RecurrenceID.IsZero()
		}
	}
	return false
}

// messageEnds returns the Ends of the messages a change of r queues: the
// end of the event's last occurrence, a recurring one's too (lastEnd), or
// 0 when it recurs for ever or is unknown. The text is parsed only when
// messages are queued (any), the record keeps no single span and its
// parsed text is not at hand.
func messageEnds(r *eventRecord, any bool) int64 {
	switch {
	case r.Span != nil:
		return r.Span[1]
	case r.textless():
		return r.Ends // a declined invitation's answer
	case !any:
		return 0
	}
	ev, err := r.parsed()
	if err != nil {
		return 0
	}
	if ends, unbounded := lastEnd(r, ev); !unbounded {
		return ends
	}
	return 0
}

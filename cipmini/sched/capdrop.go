package sched

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// dropCandidates calls take with the messages queued for peer in the
// order they are dropped when its queue is over its limits (capPeer),
// until take returns false: first the answers (RSVP) for events already
// over, then the messages about an event whose cancellation is queued for
// this peer, then any other message; each oldest first. Cancellations of
// whole events and the messages in fresh are never offered. Each step
// reads only the index entries it offers from (queueindex.go), and
// answers and cancellations are found by their own index: in the common
// case, with none over and none cancelled, the step offers the oldest
// message after reading a few keys. take must not change tx.
func dropCandidates(tx *store.Tx, peer string, fresh map[string]bool, now time.Time, take func(id string, x outMeta) bool) error {
	ph := indexHash(peer)
	type entry struct {
		id string
		x  outMeta
	}
	offer := func(list []entry) bool {
		sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
		for _, e := range list {
			if !take(e.id, e.x) {
				return false
			}
		}
		return true
	}
	meta := func(id string) (outMeta, error) {
		val, err := tx.Get(outPeerPrefix + ph + ":" + id)
		if err != nil {
			return outMeta{}, fmt.Errorf("sched: queue index of message %s: %w", id, err)
		}
		return decodeMeta(val)
	}
	// Answers for events already over: the answers by end, up to now.
	var ids []string
	prefix := outEndsPrefix + ph + ":"
	bound := endsKey(ph, now.Unix(), "~")
	err := tx.AscendKeys(prefix+"*", func(key, _ string) bool {
		if key > bound {
			return false
		}
		if _, id, ok := strings.Cut(key[len(prefix):], ":"); ok && !fresh[id] {
			ids = append(ids, id)
		}
		return true
	})
	if err != nil {
		return err
	}
	var past []entry
	for _, id := range ids {
		x, err := meta(id)
		if err != nil {
			return err
		}
		past = append(past, entry{id, x})
	}
	if !offer(past) {
		return nil
	}
	// Messages about a cancelled event.
	cancelled := map[string]bool{}
	err = tx.AscendKeys(outCancelPrefix+ph+":*", func(_, uid string) bool {
		cancelled[uid] = true
		return true
	})
	if err != nil {
		return err
	}
	var moot []entry
	for uid := range cancelled {
		prefix := outUIDPrefix + indexHash(peer, uid) + ":"
		ids = ids[:0]
		err := tx.AscendKeys(prefix+"*", func(key, _ string) bool {
			if id := key[len(prefix):]; !fresh[id] {
				ids = append(ids, id)
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			x, err := meta(id)
			if err != nil {
				return err
			}
			if x.kind != kindCancel && !x.pastAnswer(now.Unix()) {
				moot = append(moot, entry{id, x})
			}
		}
	}
	if !offer(moot) {
		return nil
	}
	// Any other message, in id order.
	prefix = outPeerPrefix + ph + ":"
	var bad error
	err = tx.AscendKeys(prefix+"*", func(key, val string) bool {
		id := key[len(prefix):]
		x, err := decodeMeta(val)
		if err != nil {
			bad = err
			return false
		}
		if fresh[id] || x.kind == kindCancel || x.pastAnswer(now.Unix()) || cancelled[x.uid] {
			return true
		}
		return take(id, x)
	})
	if err == nil {
		err = bad
	}
	return err
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

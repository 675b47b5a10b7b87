package sched

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cipmini/cipmini/store"
)

// Defaults of QueueLimits.
const (
	// DefaultQueueMaxPerPeer is the number of messages kept for one peer.
	DefaultQueueMaxPerPeer = 1000
	// DefaultQueueMaxBytesPerPeer is the bytes of messages kept for one
	// peer when no board profile says otherwise.
	DefaultQueueMaxBytesPerPeer = 8 << 20
)

// QueueLimits bound the outgoing queue for each peer: at most MaxPerPeer
// messages and MaxBytesPerPeer bytes of them (as stored). A zero field
// means its default; a negative one, no limit. Past a bound the messages
// of the commit that crosses it are kept and older ones dropped: first the
// answers (RSVP) for events already over, then the messages about an
// event whose cancellation is queued for the same peer, then the other
// messages, each oldest first; the cancellation of a whole event is
// never dropped (capdrop.go). Every drop is logged and counted
// (QueueStats).
type QueueLimits struct {
	MaxPerPeer      int
	MaxBytesPerPeer int64
}

func (l QueueLimits) resolved() QueueLimits {
	if l.MaxPerPeer == 0 {
		l.MaxPerPeer = DefaultQueueMaxPerPeer
	}
	if l.MaxBytesPerPeer == 0 {
		l.MaxBytesPerPeer = DefaultQueueMaxBytesPerPeer
	}
	return l
}

// queueStatsKey holds the queue's persistent counters.
const queueStatsKey = "queuestats"

// QueueStats are the outgoing queue's counters since the data file was
// made: messages replaced by a newer one before they were sent, and
// messages dropped at the per-peer cap. They are stored with the queue, in
// the same commits.
type QueueStats struct {
	Coalesced uint64 `json:"coalesced"`
	Dropped   uint64 `json:"dropped"`
}

// ReadQueueStats returns the counters of the queue in db. It is safe for concurrent use.
func ReadQueueStats(db *store.DB) (QueueStats, error) {
	var st QueueStats
	err := db.View(func(tx *store.Tx) error {
		var err error
		st, err = queueStatsTx(tx)
		return err
	})
	return st, err
}

func queueStatsTx(tx *store.Tx) (QueueStats, error) {
	var st QueueStats
	v, err := tx.Get(queueStatsKey)
	if errors.Is(err, store.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return st, fmt.Errorf("store: queue counters: %w", err)
	}
	return st, nil
}

// supersedes reports whether the new message n makes the queued message
// old obsolete for the attendee addr: same event, same recipient server,
// same kind, and for an answer the same answering attendee. A message
// that follows a REDIRECT is an older message sent again and supersedes
// nothing.
func supersedes(n, old *OutMessage) bool {
	if n.To != old.To || n.UID != old.UID || n.Verb != old.Verb || n.Partial || n.Hops > 0 {
		return false
	}
	if n.Verb == VerbRSVP || n.Verb == VerbMailReply {
		return n.From != "" && n.From == old.From
	}
	return true
}

// Enqueue queues msgs in tx, coalescing and bounding the queue of each
// peer they go to (QueueLimits). A queued message superseded by one of
// msgs (a later answer of the same attendee, a later version or the
// cancellation of the same event for the same attendees) is deleted, or
// for a SENDEVENT still meant for other attendees, narrowed to them. It
// returns the counts for the log and the counters. It reads only the
// messages about the events of msgs for their peers, and the queue's
// index (queueindex.go), whatever the length of the queue.
func Enqueue(tx *store.Tx, msgs []*OutMessage, now time.Time, lim QueueLimits, log *slog.Logger) error {
	if len(msgs) == 0 {
		return nil
	}
	lim = lim.resolved()
	if err := ensureQueueIndex(tx); err != nil {
		return err
	}
	st, err := queueStatsTx(tx)
	if err != nil {
		return err
	}
	before := st
	// The messages each new one may supersede: same peer, same event.
	looked := map[[2]string]bool{}
	for _, n := range msgs {
		if looked[[2]string{n.To, n.UID}] {
			continue
		}
		looked[[2]string{n.To, n.UID}] = true
		olds, err := queuedAbout(tx, n.To, n.UID)
		if err != nil {
			return err
		}
		for _, old := range olds {
			gone, err := coalesce(tx, old, msgs)
			if err != nil {
				return err
			}
			if gone {
				st.Coalesced++
				log.Debug("store: queued message superseded", "message", old.ID, "to", old.To, "uid", old.UID)
			}
		}
	}
	peers := map[string]bool{}
	fresh := map[string]bool{}
	for _, m := range msgs {
		if err := putOut(tx, m); err != nil {
			return err
		}
		peers[m.To] = true
		fresh[m.ID] = true
	}
	for peer := range peers {
		n, err := capPeer(tx, peer, fresh, now, lim, log)
		if err != nil {
			return err
		}
		st.Dropped += uint64(n)
	}
	if st == before {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return tx.Set(queueStatsKey, string(b))
}

// coalesce deletes the queued message old when one of msgs supersedes it,
// or narrows a SENDEVENT to the attendees none of them is for, and
// reports whether it deleted it.
func coalesce(tx *store.Tx, old *OutMessage, msgs []*OutMessage) (gone bool, err error) {
	changed := false
	for _, n := range msgs {
		if !supersedes(n, old) {
			continue
		}
		if n.Verb == VerbSendEvent {
			left := without(old.For, n.For)
			if len(left) > 0 {
				old.For, changed = left, true
				continue
			}
		}
		gone = true
		break
	}
	switch {
	case gone:
		_, err := deleteOut(tx, old.To, old.ID)
		return true, err
	case changed:
		return false, putOut(tx, old)
	}
	return false, nil
}

// without returns the ids of list not in drop.
func without(list, drop []string) []string {
	var out []string
	for _, x := range list {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

// capPeer drops messages for peer past the limits and returns how many.
// Victims come in the order of dropCandidates; the messages of this commit
// (fresh) and the cancellations of whole events are never dropped.
func capPeer(tx *store.Tx, peer string, fresh map[string]bool, now time.Time, lim QueueLimits, log *slog.Logger) (int, error) {
	count, bytes, err := peerCount(tx, indexHash(peer))
	if err != nil {
		return 0, err
	}
	over := func() bool {
		return (lim.MaxPerPeer > 0 && count > lim.MaxPerPeer) || (lim.MaxBytesPerPeer > 0 && bytes > lim.MaxBytesPerPeer)
	}
	if !over() {
		return 0, nil
	}
	type victim struct {
		id string
		x  outMeta
	}
	var victims []victim
	err = dropCandidates(tx, peer, fresh, now, func(id string, x outMeta) bool {
		victims = append(victims, victim{id, x})
		count--
		bytes -= x.bytes
		return over()
	})
	if err != nil {
		return 0, err
	}
	dropped := 0
	for _, v := range victims {
		if _, err := deleteOut(tx, peer, v.id); err != nil {
			return dropped, err
		}
		dropped++
		log.Warn("store: outgoing queue full for this peer; message dropped", "to", peer, "message", v.id,
			"command", v.x.verb(), "uid", v.x.uid, "event_over", v.x.pastAnswer(now.Unix()),
			"max_messages", lim.MaxPerPeer, "max_bytes", lim.MaxBytesPerPeer)
	}
	return dropped, nil
}

package sched

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
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

// queued is a stored message with its size.
type queued struct {
	m     *OutMessage
	bytes int64
	fresh bool // queued by this commit
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
// returns the counts for the log and the counters.
func Enqueue(tx *store.Tx, msgs []*OutMessage, now time.Time, lim QueueLimits, log *slog.Logger) error {
	if len(msgs) == 0 {
		return nil
	}
	lim = lim.resolved()
	peers := map[string]bool{}
	uids := map[string]bool{}
	for _, m := range msgs {
		peers[m.To] = true
		uids[m.UID] = true
	}
	// The queue of the peers concerned; other peers' messages are only
	// looked at for their key.
	var all []*queued
	var bad error
	err := tx.AscendKeys(outKeyPrefix+"*", func(key, val string) bool {
		if !mentionsAny(val, peers) {
			return true
		}
		var m OutMessage
		if err := json.Unmarshal([]byte(val), &m); err != nil {
			bad = fmt.Errorf("store: message %s: %w", key, err)
			return false
		}
		if peers[m.To] {
			all = append(all, &queued{m: &m, bytes: int64(len(key) + len(val))})
		}
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return err
	}
	st, err := queueStatsTx(tx)
	if err != nil {
		return err
	}
	before := st
	var kept []*queued
	for _, q := range all {
		if !uids[q.m.UID] {
			kept = append(kept, q)
			continue
		}
		gone, changed := false, false
		for _, n := range msgs {
			if !supersedes(n, q.m) {
				continue
			}
			if n.Verb == VerbSendEvent {
				left := without(q.m.For, n.For)
				if len(left) > 0 {
					q.m.For, changed = left, true
					continue
				}
			}
			gone = true
			break
		}
		switch {
		case gone:
			if err := tx.Delete(outKey(q.m.ID)); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			st.Coalesced++
			log.Debug("store: queued message superseded", "message", q.m.ID, "to", q.m.To, "uid", q.m.UID)
		case changed:
			if err := putOut(tx, q.m); err != nil {
				return err
			}
			kept = append(kept, q)
		default:
			kept = append(kept, q)
		}
	}
	for _, m := range msgs {
		if err := putOut(tx, m); err != nil {
			return err
		}
		b, _ := json.Marshal(m)
		kept = append(kept, &queued{m: m, bytes: int64(len(outKey(m.ID)) + len(b)), fresh: true})
	}
	for peer := range peers {
		n, err := capPeer(tx, peer, kept, now, lim, log)
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

// mentionsAny is a quick filter before decoding a message: its JSON text
// names one of the peers.
func mentionsAny(val string, peers map[string]bool) bool {
	for p := range peers {
		if strings.Contains(val, p) {
			return true
		}
	}
	return false
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
func capPeer(tx *store.Tx, peer string, all []*queued, now time.Time, lim QueueLimits, log *slog.Logger) (int, error) {
	var mine []*queued
	var count int
	var bytes int64
	for _, q := range all {
		if q.m.To == peer {
			mine = append(mine, q)
			count++
			bytes += q.bytes
		}
	}
	over := func() bool {
		return (lim.MaxPerPeer > 0 && count > lim.MaxPerPeer) || (lim.MaxBytesPerPeer > 0 && bytes > lim.MaxBytesPerPeer)
	}
	if !over() {
		return 0, nil
	}
	// Victims in order (dropOrder): answers for events already over, then
	// messages about an event whose cancellation is queued for this peer,
	// then any other message; each oldest first. Cancellations of whole
	// events and this commit's own messages are never dropped.
	order := dropOrder(mine, now)
	sort.SliceStable(mine, func(i, j int) bool {
		ri, rj := order[mine[i]], order[mine[j]]
		if ri != rj {
			return ri < rj
		}
		return mine[i].m.ID < mine[j].m.ID
	})
	dropped := 0
	for _, q := range mine {
		if !over() {
			break
		}
		if q.fresh || order[q] == keepCancel {
			continue
		}
		if err := tx.Delete(outKey(q.m.ID)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return dropped, err
		}
		count--
		bytes -= q.bytes
		dropped++
		log.Warn("store: outgoing queue full for this peer; message dropped", "to", peer, "message", q.m.ID,
			"command", q.m.Verb, "uid", q.m.UID, "event_over", pastAnswer(q.m, now),
			"max_messages", lim.MaxPerPeer, "max_bytes", lim.MaxBytesPerPeer)
	}
	return dropped, nil
}

// pastAnswer reports whether m answers for an event already over.
func pastAnswer(m *OutMessage, now time.Time) bool {
	return m.Verb == VerbRSVP && m.Ends != 0 && m.Ends <= now.Unix()
}

package sched

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// MaxHistory is how many entries of its history an event record keeps: the
// newest ones.
const MaxHistory = 32

// HistoryEntry is one change of a stored event, written in the same commit
// as the change itself: when, who asked, what changed, the version stored,
// the answers of the local participants that the change decided or kept,
// and the reason a resource gave.
type HistoryEntry struct {
	Time     int64             `json:"t"`    // Unix seconds
	By       string            `json:"by"`   // "user ID", "peer SERVER-ID" or "anonymous ADDRESS"
	Change   string            `json:"what"` // see changeKind; "rsvp" for an answer
	Sequence int               `json:"seq"`
	Answers  map[string]string `json:"answers,omitempty"` // local participant → PARTSTAT after the change
	Reasons  map[string]string `json:"reasons,omitempty"` // local participant → its reason or comment
}

// EventHistory is what the store knows of one event's past: its owner,
// version and state now, and its newest MaxHistory changes, oldest first.
type EventHistory struct {
	UID       string
	Owner     string
	Sequence  int
	Cancelled bool
	// Textless is set when only the answer to the invitation is kept, not
	// its text (every local participant declined it).
	Textless bool
	Holders  map[string]string
	Entries  []HistoryEntry
}

// changeKind names what a SENDEVENT does to the stored event old (nil: a
// new event) for the audit trail: "new", "cancel", "cancel-occurrence",
// "occurrence" (a moved or added occurrence), "update" (SendEvent says
// "move" when the update changed the busy time).
func changeKind(ev *vcal.Event, old *eventRecord) string {
	switch {
	case old == nil:
		return "new"
	case ev.Cancelled && ev.RecurrenceID.IsZero():
		return "cancel"
	case ev.Cancelled:
		return "cancel-occurrence"
	case !ev.RecurrenceID.IsZero():
		return "occurrence"
	}
	return "update"
}

// addHistory appends an entry to the record's history, keeping the newest
// MaxHistory. A history that does not decode is started afresh.
func (r *eventRecord) addHistory(e HistoryEntry) {
	entries := r.entries()
	entries = append(entries, e)
	if n := len(entries) - MaxHistory; n > 0 {
		entries = entries[n:]
	}
	j := jsonBufs.Get().(*jsonBuf)
	defer j.put()
	j.b = j.appendHistory(j.b[:0], entries)
	r.History = bytes.Clone(j.b)
}

// entries decodes the record's history; nil when it has none or it does not
// decode.
func (r *eventRecord) entries() []HistoryEntry {
	if len(r.History) == 0 {
		return nil
	}
	var entries []HistoryEntry
	if err := json.Unmarshal(r.History, &entries); err != nil {
		return nil
	}
	return entries
}

// historyOf returns the history of the record, as EventHistory says.
func historyOf(r *eventRecord) *EventHistory {
	return &EventHistory{UID: r.UID, Owner: r.Owner, Sequence: r.Sequence, Cancelled: r.Cancelled,
		Textless: r.textless(), Holders: r.Holders, Entries: r.entries()}
}

// History returns the stored history in db of the event uid, or nil when no such
// event is stored. It reads the DB only, so it works on a copy of the data
// file as well as on a running server's DB; it is safe for concurrent use.
func History(db *store.DB, uid string) (*EventHistory, error) {
	var h *EventHistory
	err := db.View(func(tx *store.Tx) error {
		val, err := tx.Get(eventKey(uid))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		r, err := unmarshalRecord(eventKey(uid), val)
		if err != nil {
			return err
		}
		h = historyOf(r)
		return nil
	})
	return h, err
}

// answersOf lists the local holders' answers of a record for a history
// entry.
func answersOf(r *eventRecord) map[string]string {
	if len(r.Holders) == 0 {
		return nil
	}
	m := make(map[string]string, len(r.Holders))
	for u, st := range r.Holders {
		m[u] = st
	}
	return m
}

// logDecisions writes the audit trail of one change: one line per local
// participant, with who asked, what changed, the answer and the reason.
// The caller holds s.mu: the records are kept for unlock, so that
// formatting and writing them is not done inside the section bookings
// take one at a time.
func (s *Scheduler) logDecisions(r *eventRecord, e HistoryEntry) {
	ctx := context.Background()
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	var few [4]string
	users := few[:0]
	for u := range e.Answers {
		users = append(users, u)
	}
	slices.Sort(users)
	now := time.Now()
	decision := func() slog.Record {
		rec := slog.NewRecord(now, slog.LevelInfo, "store: decision", 0)
		rec.AddAttrs(slog.String("uid", r.UID), slog.String("by", e.By),
			slog.String("change", e.Change), slog.Int("seq", e.Sequence))
		return rec
	}
	for _, u := range users {
		rec := decision()
		rec.AddAttrs(slog.String("user", u), slog.String("answer", e.Answers[u]), slog.String("reason", e.Reasons[u]))
		s.decisions = append(s.decisions, rec)
	}
	if len(users) == 0 {
		s.decisions = append(s.decisions, decision())
	}
}

// unlock releases s.mu and then writes the decisions logged under it, in
// the order they were made.
func (s *Scheduler) unlock() {
	recs := s.decisions
	s.decisions = nil
	s.mu.Unlock()
	if len(recs) == 0 {
		return
	}
	h, ctx := s.log.Handler(), context.Background()
	for _, r := range recs {
		h.Handle(ctx, r)
	}
}

// recordChange adds a history entry to r for a change made now, and logs
// it. users, when not nil, are the participants the change concerns (an
// answer); else every local holder.
func (s *Scheduler) recordChange(r *eventRecord, by, change string, users []string) {
	e := HistoryEntry{Time: s.Now().Unix(), By: by, Change: change, Sequence: r.Sequence, Answers: answersOf(r)}
	if users != nil {
		e.Answers = map[string]string{}
		for _, u := range users {
			e.Answers[u] = r.status(u)
		}
	}
	for u := range e.Answers {
		if c := r.Comments[u]; c != "" {
			if e.Reasons == nil {
				e.Reasons = map[string]string{}
			}
			e.Reasons[u] = c
		}
	}
	r.addHistory(e)
	s.logDecisions(r, e)
}

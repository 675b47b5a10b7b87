package sched

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cipmini/cipmini/store"
)

// outKeyPrefix starts the key of every queued outgoing message.
const outKeyPrefix = "out:"

// States of an outgoing message.
const (
	OutQueued = "queued" // waiting for its next try
	OutFailed = "failed" // a final NO, or given up; kept for a while to be seen
)

// OutMessage is one message for another server, kept in the store until that
// server answers OK (then it is deleted) or a final NO, or until it is given
// up (docs/PROTOCOL.md section 11.3).
type OutMessage struct {
	ID string `json:"id"`
	// To is the server id to deliver to.
	To string `json:"to"`
	// Verb is "SENDEVENT" or "RSVP", or VerbMailReply for an iMIP REPLY
	// (then To is the organizer's mail address).
	Verb string `json:"verb"`
	// Data is the command's data block.
	Data string `json:"data"`
	// UID is the event the message is about.
	UID string `json:"uid"`
	// For lists the user ids the message is meant for: the attendees on
	// that server, or the owner an RSVP answers.
	For []string `json:"for"`
	// From is the local attendee an RSVP answers for ("" for a SENDEVENT):
	// a later answer of the same attendee supersedes it (coalesce.go).
	From string `json:"from,omitempty"`
	// Ends is when the event's last occurrence ends, Unix seconds, 0 when
	// unknown or never: past the per-peer cap, answers for events already
	// over are dropped first.
	Ends int64 `json:"ends,omitempty"`
	// Partial marks a SENDEVENT about single occurrences only (a cancelled
	// occurrence): it supersedes nothing queued before it.
	Partial bool `json:"partial,omitempty"`
	// Hops counts the REDIRECTs followed; Seen lists the ids already tried,
	// so that a redirect loop ends.
	Hops int      `json:"hops,omitempty"`
	Seen []string `json:"seen,omitempty"`

	// InReplyTo and Subject are, for VerbMailReply, the Message-ID of the
	// invitation answered and the event's summary (mail.go).
	InReplyTo string `json:"in_reply_to,omitempty"`
	Subject   string `json:"subject,omitempty"`

	State     string `json:"state"`
	Tries     int    `json:"tries"`
	Created   int64  `json:"created"`  // Unix seconds
	NextTry   int64  `json:"next_try"` // Unix seconds
	LastError string `json:"last_error,omitempty"`
}

func outKey(id string) string { return outKeyPrefix + id }

// NewOutID returns a message id that sorts by creation time.
func NewOutID(now time.Time, seq uint64) string {
	return fmt.Sprintf("%016x-%s", now.UnixNano(), strconv.FormatUint(seq, 36))
}

// putOut writes a message and its index entries (queueindex.go) in a
// transaction: the Scheduler queues messages in the same commit as the
// change that causes them, so that a crash never keeps one without the
// other. The caller has made sure of the index (ensureQueueIndex).
func putOut(tx *store.Tx, m *OutMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("store: encoding message %s: %w", m.ID, err)
	}
	key := outKey(m.ID)
	if err := tx.Set(key, string(b)); err != nil {
		return err
	}
	return indexOut(tx, m.ID, m, int64(len(key)+len(b)))
}

// Queue returns the outgoing messages in db, oldest first. It is safe for
// concurrent use.
func Queue(db *store.DB) ([]*OutMessage, error) {
	var out []*OutMessage
	var bad error
	err := db.View(func(tx *store.Tx) error {
		return tx.AscendKeys(outKeyPrefix+"*", func(key, val string) bool {
			var m OutMessage
			if err := json.Unmarshal([]byte(val), &m); err != nil {
				bad = fmt.Errorf("store: message %s: %w", key, err)
				return false
			}
			out = append(out, &m)
			return true
		})
	})
	if err == nil {
		err = bad
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// RecordTry records in tx the outcome of one delivery try of m. With keep
// it updates only the try's fields (Tries, NextTry, State, LastError) of
// the message as stored now, which Enqueue may have narrowed meanwhile;
// without, it deletes the message. A message no longer stored (superseded
// while it was being tried, coalesce.go) stays gone, and RecordTry then
// reports false: what would follow it must not be queued.
func RecordTry(tx *store.Tx, m *OutMessage, keep bool) (stored bool, err error) {
	if err := ensureQueueIndex(tx); err != nil {
		return false, err
	}
	val, err := tx.Get(outKey(m.ID))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	var cur OutMessage
	if err := json.Unmarshal([]byte(val), &cur); err != nil {
		return false, fmt.Errorf("store: message %s: %w", m.ID, err)
	}
	if keep {
		cur.Tries, cur.NextTry, cur.State, cur.LastError = m.Tries, m.NextTry, m.State, m.LastError
		if err := putOut(tx, &cur); err != nil {
			return false, err
		}
	} else if _, err := deleteOut(tx, cur.To, m.ID); err != nil {
		return false, err
	}
	return true, nil
}

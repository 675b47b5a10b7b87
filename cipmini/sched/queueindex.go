package sched

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cipmini/cipmini/store"
)

// The outgoing queue's index: keys derived from the messages (out:<id>),
// written and deleted in the same commits as they are, so that Enqueue
// finds the messages a new one may supersede, a peer's counts and the
// messages to drop past its cap without reading the queue. Peer ids and
// UIDs appear hashed (indexHash): the keys stay short whatever the UID,
// and free of the characters AscendKeys reads as a pattern.
//
//	outp:<peer>:<id>          the message's outMeta, in id (age) order
//	outu:<peer+uid>:<id>      "": the messages about one event for one peer
//	oute:<peer>:<ends>:<id>   "": the answers (RSVP) with a known end, by end
//	outc:<peer>:<id>          the UID of a whole event's cancellation
//	outn:<peer>               "<count> <bytes>": the peer's messages and their stored bytes
//
// A queue written before the index has no queueIndexKey: the first commit
// that changes the queue builds the index in the same commit
// (ensureQueueIndex). The message records themselves are unchanged.
const (
	outPeerPrefix   = "outp:"
	outUIDPrefix    = "outu:"
	outEndsPrefix   = "oute:"
	outCancelPrefix = "outc:"
	outCountPrefix  = "outn:"

	// queueIndexKey holds the version of the index the queue has.
	queueIndexKey     = "queueindex"
	queueIndexVersion = "1"
)

// Kinds of a queued message in its outMeta.
const (
	kindSendEvent = 's' // a SENDEVENT that cancels no whole event
	kindCancel    = 'c' // the cancellation of a whole event (cancellation)
	kindAnswer    = 'r' // an RSVP, or an iMIP REPLY
)

// outMeta is what the index keeps of a queued message: enough to count it
// against its peer's limits and rank it for dropping (capdrop.go).
type outMeta struct {
	kind  byte
	bytes int64 // the stored record's key and value
	ends  int64 // OutMessage.Ends
	uid   string
}

func (x outMeta) encode() string {
	return string(x.kind) + strconv.FormatInt(x.bytes, 10) + " " + strconv.FormatInt(x.ends, 10) + " " + x.uid
}

func decodeMeta(s string) (outMeta, error) {
	var x outMeta
	if len(s) < 1 {
		return x, errors.New("sched: empty queue index entry")
	}
	x.kind = s[0]
	b, rest, ok1 := strings.Cut(s[1:], " ")
	e, uid, ok2 := strings.Cut(rest, " ")
	var err1, err2 error
	x.bytes, err1 = strconv.ParseInt(b, 10, 64)
	x.ends, err2 = strconv.ParseInt(e, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return x, fmt.Errorf("sched: queue index entry %q is malformed", s)
	}
	x.uid = uid
	return x, nil
}

// verb is the message's command, as the log names it: RSVP for every
// answer (an iMIP REPLY too), SENDEVENT for the rest.
func (x outMeta) verb() string {
	if x.kind == kindAnswer {
		return VerbRSVP
	}
	return VerbSendEvent
}

// pastAnswer reports whether the message answers for an event already
// over at now, in Unix seconds.
func (x outMeta) pastAnswer(now int64) bool {
	return x.kind == kindAnswer && x.ends != 0 && x.ends <= now
}

// indexHash names a peer, or a peer and a UID, in index keys.
func indexHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:12])
}

// endsKey orders answers by Ends, negative ones first.
func endsKey(ph string, ends int64, id string) string {
	return fmt.Sprintf("%s%s:%016x:%s", outEndsPrefix, ph, uint64(ends)^(1<<63), id)
}

// derivedKeys returns the index keys of message id to peer ph other than
// its outp entry, with their values.
func (x outMeta) derivedKeys(to, ph, id string) (keys, vals []string) {
	keys = append(keys, outUIDPrefix+indexHash(to, x.uid)+":"+id)
	vals = append(vals, "")
	switch {
	case x.kind == kindAnswer && x.ends != 0:
		keys = append(keys, endsKey(ph, x.ends, id))
		vals = append(vals, "")
	case x.kind == kindCancel:
		keys = append(keys, outCancelPrefix+ph+":"+id)
		vals = append(vals, x.uid)
	}
	return keys, vals
}

// metaOf returns the outMeta of m, stored in size bytes. The text of a
// SENDEVENT is parsed only when it names a cancellation.
func metaOf(m *OutMessage, size int64) outMeta {
	x := outMeta{kind: kindSendEvent, bytes: size, ends: m.Ends, uid: m.UID}
	switch {
	case m.Verb == VerbRSVP || m.Verb == VerbMailReply:
		x.kind = kindAnswer
	case cancellation(m):
		x.kind = kindCancel
	}
	return x
}

// indexOut brings the index up to date with message id, just stored in
// size bytes: a new message is indexed and counted, a rewritten one (same
// event, peer and kind) only has its size updated.
func indexOut(tx *store.Tx, id string, m *OutMessage, size int64) error {
	ph := indexHash(m.To)
	pk := outPeerPrefix + ph + ":" + id
	val, err := tx.Get(pk)
	switch {
	case err == nil:
		x, err := decodeMeta(val)
		if err != nil {
			return err
		}
		delta := size - x.bytes
		x.bytes = size
		if err := tx.Set(pk, x.encode()); err != nil {
			return err
		}
		return addPeerCount(tx, ph, 0, delta)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	x := metaOf(m, size)
	if err := tx.Set(pk, x.encode()); err != nil {
		return err
	}
	keys, vals := x.derivedKeys(m.To, ph, id)
	for i, k := range keys {
		if err := tx.Set(k, vals[i]); err != nil {
			return err
		}
	}
	return addPeerCount(tx, ph, 1, size)
}

// deleteOut deletes message id to peer to and its index entries, and
// reports whether it was stored.
func deleteOut(tx *store.Tx, to, id string) (bool, error) {
	err := tx.Delete(outKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	ph := indexHash(to)
	pk := outPeerPrefix + ph + ":" + id
	val, err := tx.Get(pk)
	if err != nil {
		return true, fmt.Errorf("sched: queue index of message %s: %w", id, err)
	}
	x, err := decodeMeta(val)
	if err != nil {
		return true, err
	}
	keys, _ := x.derivedKeys(to, ph, id)
	for _, k := range append(keys, pk) {
		if err := tx.Delete(k); err != nil && !errors.Is(err, store.ErrNotFound) {
			return true, err
		}
	}
	return true, addPeerCount(tx, ph, -1, -x.bytes)
}

// peerCount returns the number of messages queued for the peer whose hash
// is ph and their stored bytes.
func peerCount(tx *store.Tx, ph string) (int, int64, error) {
	val, err := tx.Get(outCountPrefix + ph)
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, nil
	} else if err != nil {
		return 0, 0, err
	}
	c, b, ok := strings.Cut(val, " ")
	n, err1 := strconv.Atoi(c)
	bytes, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("sched: queue count %q is malformed", val)
	}
	return n, bytes, nil
}

// addPeerCount adds dn messages and db bytes to the counts of peer ph.
func addPeerCount(tx *store.Tx, ph string, dn int, db int64) error {
	n, bytes, err := peerCount(tx, ph)
	if err != nil {
		return err
	}
	n, bytes = n+dn, bytes+db
	if n <= 0 {
		if err := tx.Delete(outCountPrefix + ph); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
	return tx.Set(outCountPrefix+ph, strconv.Itoa(n)+" "+strconv.FormatInt(bytes, 10))
}

// queuedAbout returns the messages queued for peer to about the event
// uid, oldest first.
func queuedAbout(tx *store.Tx, to, uid string) ([]*OutMessage, error) {
	prefix := outUIDPrefix + indexHash(to, uid) + ":"
	var ids []string
	if err := tx.AscendKeys(prefix+"*", func(key, _ string) bool {
		ids = append(ids, key[len(prefix):])
		return true
	}); err != nil {
		return nil, err
	}
	out := make([]*OutMessage, 0, len(ids))
	for _, id := range ids {
		val, err := tx.Get(outKey(id))
		if err != nil {
			return nil, fmt.Errorf("sched: queue index names message %s: %w", id, err)
		}
		var m OutMessage
		if err := json.Unmarshal([]byte(val), &m); err != nil {
			return nil, fmt.Errorf("store: message %s: %w", id, err)
		}
		out = append(out, &m)
	}
	return out, nil
}

// ensureQueueIndex builds the index in tx when the queue has none yet (a
// queue written before it): every derived key left over is removed, then
// every stored message indexed and counted.
func ensureQueueIndex(tx *store.Tx) error {
	v, err := tx.Get(queueIndexKey)
	if err == nil && v == queueIndexVersion {
		return nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, p := range []string{outPeerPrefix, outUIDPrefix, outEndsPrefix, outCancelPrefix, outCountPrefix} {
		var stale []string
		if err := tx.AscendKeys(p+"*", func(key, _ string) bool {
			stale = append(stale, key)
			return true
		}); err != nil {
			return err
		}
		for _, k := range stale {
			if err := tx.Delete(k); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	type stored struct {
		id   string
		m    *OutMessage
		size int64
	}
	var all []stored
	var bad error
	err = tx.AscendKeys(outKeyPrefix+"*", func(key, val string) bool {
		var m OutMessage
		if err := json.Unmarshal([]byte(val), &m); err != nil {
			bad = fmt.Errorf("store: message %s: %w", key, err)
			return false
		}
		all = append(all, stored{key[len(outKeyPrefix):], &m, int64(len(key) + len(val))})
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return err
	}
	for _, s := range all {
		if err := indexOut(tx, s.id, s.m, s.size); err != nil {
			return err
		}
	}
	return tx.Set(queueIndexKey, queueIndexVersion)
}

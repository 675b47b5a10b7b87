package sched

import (
	"encoding/json"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// legacyOutPrefix is the key scheme of the queue before its index: one
// record "out:<id>" per message, its JSON as the value, and nothing else.
const legacyOutPrefix = "out:"

// putLegacy writes messages as a version without the queue's index did.
func putLegacy(t *testing.T, db *store.DB, msgs ...*OutMessage) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		for _, m := range msgs {
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := tx.Set(legacyOutPrefix+m.ID, string(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkQueueIndex verifies that the index describes the stored queue: each
// peer's counts and bytes, and one entry per message.
func checkQueueIndex(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.View(func(tx *store.Tx) error {
		count := map[string]int{}
		bytes := map[string]int64{}
		entries := 0
		if err := tx.AscendKeys(outKeyPrefix+"*", func(key, val string) bool {
			var m OutMessage
			if err := json.Unmarshal([]byte(val), &m); err != nil {
				t.Errorf("%s: %v", key, err)
			}
			count[m.To]++
			bytes[m.To] += int64(len(key) + len(val))
			return true
		}); err != nil {
			return err
		}
		if err := tx.AscendKeys(outPeerPrefix+"*", func(string, string) bool { entries++; return true }); err != nil {
			return err
		}
		total := 0
		for peer, n := range count {
			gn, gb, err := peerCount(tx, indexHash(peer))
			if err != nil {
				return err
			}
			if gn != n || gb != bytes[peer] {
				t.Errorf("peer %s: index counts %d messages, %d bytes; stored %d, %d", peer, gn, gb, n, bytes[peer])
			}
			total += n
		}
		if entries != total {
			t.Errorf("index holds %d entries for %d messages", entries, total)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A queue written before the index is indexed by the first commit that
// changes it: a new message coalesces with and narrows the old ones, the
// cap drops them in order (an answer for an event over, then the oldest),
// and a delivery deletes them, all with the counts kept right.
func TestQueueWrittenBeforeIndex(t *testing.T) {
	e := newSchedEnv(t)
	now := time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	msg := func(to, verb, uid string, ends int64, forIDs ...string) *OutMessage {
		seq++
		m := &OutMessage{ID: NewOutID(now.Add(-time.Hour), seq), To: to, Verb: verb, UID: uid, For: forIDs, Ends: ends,
			Data: "BEGIN:VCALENDAR\r\nUID:" + uid + "\r\nEND:VCALENDAR\r\n", State: OutQueued, Created: now.Unix(), NextTry: now.Unix()}
		if verb == "RSVP" {
			m.From = "room-1@rooms.test"
		}
		return m
	}
	past := now.Add(-24 * time.Hour).Unix()
	future := now.Add(24 * time.Hour).Unix()
	a := msg("y.test", "RSVP", "a@y.test", past, "p@y.test")
	b := msg("y.test", "RSVP", "b@y.test", future, "p@y.test")
	c := msg("y.test", "SENDEVENT", "c@rooms.test", future, "p@y.test", "q@y.test")
	d := msg("y.test", "RSVP", "d@y.test", future, "p@y.test")
	z := msg("z.test", "RSVP", "b@y.test", future, "r@z.test")
	putLegacy(t, e.db, a, b, c, d, z)

	nb := msg("y.test", "RSVP", "b@y.test", future, "p@y.test")
	nc := msg("y.test", "SENDEVENT", "c@rooms.test", future, "p@y.test")
	nf := msg("y.test", "RSVP", "f@y.test", future, "p@y.test")
	lim := QueueLimits{MaxPerPeer: 4}
	if err := e.db.Update(func(tx *store.Tx) error {
		return Enqueue(tx, []*OutMessage{nb, nc, nf}, now, lim, quietLog)
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range queueOf(t, e.db) {
		got = append(got, m.To+" "+m.UID+" "+strings.Join(m.For, ","))
	}
	// b is superseded; c narrowed to q, then dropped at the cap after a
	// (its event is over), as the oldest message left.
	want := []string{
		"y.test d@y.test p@y.test",
		"z.test b@y.test r@z.test",
		"y.test b@y.test p@y.test",
		"y.test c@rooms.test p@y.test",
		"y.test f@y.test p@y.test",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("queue:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st, err := ReadQueueStats(e.db); err != nil || st.Coalesced != 1 || st.Dropped != 2 {
		t.Fatalf("counters %+v, %v; want 1 coalesced, 2 dropped", st, err)
	}
	checkQueueIndex(t, e.db)

	// Tries recorded: one kept (its size changes), one delivered.
	q := queueOf(t, e.db)
	q[0].Tries, q[0].LastError = 1, "connection refused"
	for i, keep := range []bool{true, false} {
		if err := e.db.Update(func(tx *store.Tx) error {
			stored, err := RecordTry(tx, q[i], keep)
			if err == nil && !stored {
				t.Errorf("message %s not found", q[i].ID)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(queueOf(t, e.db)); n != 4 {
		t.Fatalf("%d messages after a delivery, want 4", n)
	}
	checkQueueIndex(t, e.db)
}

// The index follows every change of the queue: coalescing, narrowing,
// drops at the count and byte caps, tries and deliveries.
func TestQueueIndexFollowsTheQueue(t *testing.T) {
	e := newSchedEnv(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	for i := 0; i < 60; i++ {
		seq++
		to := []string{"y.test", "z.test"}[i%2]
		uid := []string{"a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"}[i%5]
		m := &OutMessage{ID: NewOutID(now, seq), To: to, Verb: []string{"RSVP", "SENDEVENT"}[i%3%2], UID: uid,
			For: []string{"p@" + to, "q@" + to}[:1+i%2], From: "room-1@rooms.test", Ends: now.Unix() + int64(i-30)*3600,
			Data: strings.Repeat("x", 10*i), State: OutQueued, Created: now.Unix(), NextTry: now.Unix()}
		lim := QueueLimits{MaxPerPeer: 4 + i%3, MaxBytesPerPeer: int64(1500 + 20*i)}
		if err := e.db.Update(func(tx *store.Tx) error { return Enqueue(tx, []*OutMessage{m}, now, lim, quietLog) }); err != nil {
			t.Fatal(err)
		}
		checkQueueIndex(t, e.db)
		if i%7 == 6 {
			q := queueOf(t, e.db)
			m := q[i%len(q)]
			m.Tries++
			if err := e.db.Update(func(tx *store.Tx) error { _, err := RecordTry(tx, m, i%2 == 0); return err }); err != nil {
				t.Fatal(err)
			}
			checkQueueIndex(t, e.db)
		}
	}
}

// modelQueue is the outgoing queue as Enqueue kept it before the index:
// every message of the peers concerned read and ranked on each commit.
// Sizes are the messages' stored sizes as they are now.
type modelQueue struct {
	msgs               []*OutMessage // in id order
	coalesced, dropped int
}

func modelSize(m *OutMessage) int64 {
	b, _ := json.Marshal(m)
	return int64(len(outKey(m.ID)) + len(b))
}

func (q *modelQueue) enqueue(msgs []*OutMessage, now time.Time, lim QueueLimits) {
	lim = lim.resolved()
	var kept []*OutMessage
	for _, old := range q.msgs {
		gone := false
		for _, n := range msgs {
			if !supersedes(n, old) {
				continue
			}
			if n.Verb == "SENDEVENT" {
				if left := without(old.For, n.For); len(left) > 0 {
					old.For = left
					continue
				}
			}
			gone = true
			break
		}
		if gone {
			q.coalesced++
		} else {
			kept = append(kept, old)
		}
	}
	fresh := map[*OutMessage]bool{}
	for _, m := range msgs {
		c := *m
		c.For = append([]string(nil), m.For...)
		kept = append(kept, &c)
		fresh[&c] = true
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].ID < kept[j].ID })
	for _, peer := range []string{"y.test", "z.test"} {
		if !slices.ContainsFunc(msgs, func(m *OutMessage) bool { return m.To == peer }) {
			continue // only the peers of this commit are capped
		}
		var mine []*OutMessage
		count, bytes := 0, int64(0)
		for _, m := range kept {
			if m.To == peer {
				mine = append(mine, m)
				count++
				bytes += modelSize(m)
			}
		}
		over := func() bool {
			return (lim.MaxPerPeer > 0 && count > lim.MaxPerPeer) || (lim.MaxBytesPerPeer > 0 && bytes > lim.MaxBytesPerPeer)
		}
		if !over() {
			continue
		}
		rank := map[*OutMessage]int{}
		cancelled := map[string]bool{}
		for _, m := range mine {
			if cancellation(m) {
				rank[m] = 3
				cancelled[m.UID] = true
			}
		}
		for _, m := range mine {
			switch {
			case rank[m] == 3:
			case m.Verb == "RSVP" && m.Ends != 0 && m.Ends <= now.Unix():
				rank[m] = 0
			case cancelled[m.UID]:
				rank[m] = 1
			default:
				rank[m] = 2
			}
		}
		sort.SliceStable(mine, func(i, j int) bool { return rank[mine[i]] < rank[mine[j]] })
		drop := map[*OutMessage]bool{}
		for _, m := range mine {
			if !over() {
				break
			}
			if fresh[m] || rank[m] == 3 {
				continue
			}
			drop[m] = true
			count--
			bytes -= modelSize(m)
			q.dropped++
		}
		kept = slices.DeleteFunc(kept, func(m *OutMessage) bool { return drop[m] })
	}
	q.msgs = kept
}

// Enqueue with the index keeps, coalesces and drops exactly the messages
// the reading of the whole queue did, over random commits of answers,
// events, cancellations and single occurrences for two peers.
func TestQueueIndexMatchesModel(t *testing.T) {
	e := newSchedEnv(t)
	now := time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewSource(17))
	var model modelQueue
	seq := uint64(0)
	pick := func(list ...string) string { return list[rng.Intn(len(list))] }
	for step := 0; step < 400; step++ {
		var msgs []*OutMessage
		for range 1 + rng.Intn(3) {
			seq++
			to := pick("y.test", "z.test")
			uid := pick("a@rooms.test", "b@rooms.test", "c@rooms.test", "d@rooms.test", "e@rooms.test", "f@rooms.test")
			m := &OutMessage{ID: NewOutID(now, seq), To: to, UID: uid, State: OutQueued, Created: now.Unix(), NextTry: now.Unix()}
			switch rng.Intn(5) {
			case 0, 1:
				m.Verb, m.From = "RSVP", pick("room-1@rooms.test", "carol@rooms.test", "")
				m.Ends = now.Unix() + int64(rng.Intn(9)-4)*86400
				m.For = []string{"p@" + to}
				m.Data = "BEGIN:VCALENDAR\r\nUID:" + uid + "\r\nEND:VCALENDAR\r\n"
			case 2:
				m.Verb, m.For = "SENDEVENT", []string{"p@" + to}
				m.Data = cancelEvent(uid, 1, stamp2, "alice@rooms.test", "p@"+to)
			default:
				m.Verb = "SENDEVENT"
				m.For = []string{pick("p@", "q@", "r@") + to}
				if rng.Intn(2) == 0 {
					m.For = append(m.For, "s@"+to)
				}
				m.Partial = rng.Intn(6) == 0
				m.Data = event(uid, 0, stamp1, "20270301T100000Z", "20270301T110000Z", "alice@rooms.test", m.For...)
			}
			msgs = append(msgs, m)
		}
		lim := QueueLimits{MaxPerPeer: 3 + rng.Intn(6), MaxBytesPerPeer: int64(2000 + rng.Intn(4000))}
		model.enqueue(msgs, now, lim)
		if err := e.db.Update(func(tx *store.Tx) error { return Enqueue(tx, msgs, now, lim, quietLog) }); err != nil {
			t.Fatal(err)
		}
		got := queueOf(t, e.db)
		if len(got) != len(model.msgs) {
			t.Fatalf("step %d: %d messages, the model %d", step, len(got), len(model.msgs))
		}
		for i, m := range got {
			w := model.msgs[i]
			if m.ID != w.ID || !slices.Equal(m.For, w.For) {
				t.Fatalf("step %d: message %d is %s for %v, the model's %s for %v", step, i, m.ID, m.For, w.ID, w.For)
			}
		}
		st, err := ReadQueueStats(e.db)
		if err != nil || st.Coalesced != uint64(model.coalesced) || st.Dropped != uint64(model.dropped) {
			t.Fatalf("step %d: counters %+v, %v; the model %d coalesced, %d dropped", step, st, err, model.coalesced, model.dropped)
		}
	}
	checkQueueIndex(t, e.db)
	if model.coalesced == 0 || model.dropped == 0 {
		t.Fatalf("the sequence coalesced %d and dropped %d: it tests nothing", model.coalesced, model.dropped)
	}
}

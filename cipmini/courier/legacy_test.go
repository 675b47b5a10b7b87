package courier

import (
	"context"
	"github.com/cipmini/cipmini/cipmini"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// toLegacyQueue rewrites the store as a version before the queue's index
// left it: one record "out:<id>" per message and no other queue record
// but the counters ("queuestats").
func toLegacyQueue(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		var extra []string
		if err := tx.AscendKeys("*", func(key, _ string) bool {
			if key == "queueindex" || (strings.HasPrefix(key, "out") && !strings.HasPrefix(key, "out:")) {
				extra = append(extra, key)
			}
			return true
		}); err != nil {
			return err
		}
		if len(extra) == 0 {
			t.Fatal("no queue index to remove")
		}
		for _, k := range extra {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A queue written before its index is tried, coalesced and delivered as
// before, oldest first, and leaves the store empty of messages.
func TestCourierDeliversQueueWrittenBeforeIndex(t *testing.T) {
	e := newCourierEnv(t)
	ctx := context.Background()
	e.bookRoom("l1@x.test", 1)
	e.sendVersion("l2@x.test", 0, 2)
	e.bookRoom("l3@x.test", 3)
	toLegacyQueue(t, e.db)
	e.restart()
	e.now = e.now.Add(time.Second)
	e.sched.Now = func() time.Time { return e.now }
	e.courier = New(e.db, e.dir, e.dial, quietLog)
	e.courier.Now = func() time.Time { return e.now }

	// x.test answers NO 007: every message is tried (a peer that answers
	// is up), every try fails and is recorded.
	peer := startPeer(t, "x.test", func(string, []byte) *cipmini.Reply {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeTempFailure, "busy")}
	})
	e.dial.set("x.test", peer.addr)
	e.courier.runDue(ctx)
	q := e.queue()
	if len(q) != 3 || q[0].Tries != 1 || q[2].Tries != 1 {
		t.Fatalf("after a failed try: %+v", q)
	}
	e.sendVersion("l2@x.test", 1, 2) // supersedes the queued answer for l2
	q = e.queue()
	if len(q) != 3 || q[0].UID != "l1@x.test" || q[1].UID != "l3@x.test" || q[2].UID != "l2@x.test" || !hasSequence(q[2].Data, 1) {
		t.Fatalf("after a newer version: %+v", q)
	}
	peer.mu.Lock()
	peer.answer, peer.got = okReply, nil
	peer.mu.Unlock()
	e.now = e.now.Add(time.Hour)
	e.courier.runDue(ctx)
	got := peer.received()
	if len(got) != 3 || !strings.Contains(got[0], "UID:l1@x.test") || !strings.Contains(got[1], "UID:l3@x.test") || !strings.Contains(got[2], "UID:l2@x.test") {
		t.Fatalf("peer got %q", got)
	}
	if q := e.queue(); len(q) != 0 {
		t.Fatalf("still queued: %+v", q)
	}
}

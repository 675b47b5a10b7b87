package sched

import (
	"context"
	"fmt"
	"github.com/cipmini/cipmini/store/storetest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/store"
)

// returnsWithin reports whether done is closed within d.
// Bookings sent together share fsyncs; an invitation answered from a
// booking whose fsync still runs (here its retransmission, which writes
// nothing) is answered only after that fsync.
func TestSchedulerGroupCommit(t *testing.T) {
	g := storetest.NewGate()
	defer g.Release()
	var fsync atomic.Pointer[func(*os.File) error]
	gated := g.Fsync
	fsync.Store(&gated)
	e := newSchedEnvWith(t, &store.Options{Logger: quietLog, Fsync: func(f *os.File) error { return (*fsync.Load())(f) }})
	ctx := context.Background()
	book := func(uid string) *cipmini.Reply {
		ev := event(uid, 0, stamp1, "20270501T100000Z", "20270501T110000Z", "tom@x.test", "room-1@rooms.test")
		return cip(e.sched).SendEvent(ctx, &cipmini.Request{Data: []byte(ev)})
	}
	first := make(chan *cipmini.Reply, 1)
	go func() { first <- book("first@x.test") }()
	<-g.Entered // booked, its fsync under way
	commits := e.db.Stats().Commits
	again := make(chan *cipmini.Reply, 1)
	go func() { again <- book("first@x.test") }()
	select {
	case r := <-again:
		t.Fatalf("answered %q before the booking it repeats was synced", answer(r, nil))
	case <-time.After(100 * time.Millisecond):
	}
	g.Open <- nil
	for _, ch := range []chan *cipmini.Reply{first, again} {
		select {
		case r := <-ch:
			if got := answer(r, nil); !strings.HasPrefix(got, "* CONFIRMED room-1") {
				t.Fatalf("answer %q", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no answer after the fsync")
		}
	}
	if got := e.db.Stats().Commits; got != commits {
		t.Fatalf("the retransmission committed (%d commits, want %d)", got, commits)
	}
	if got := g.Calls(); got != 1 {
		t.Fatalf("%d fsyncs, want 1", got)
	}

	// Sixteen at once, each at its own hour, over a slow card.
	slow := func(f *os.File) error {
		time.Sleep(2 * time.Millisecond)
		return f.Sync()
	}
	fsync.Store(&slow)
	s0 := e.db.Stats().Syncs
	const n = 16 * 8
	var wg sync.WaitGroup
	answers := make(chan string, n)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < n/16; j++ {
				k := i*(n/16) + j
				start := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(k) * time.Hour)
				ev := event(fmt.Sprintf("g%d@x.test", k), 0, stamp1, start.Format(utcLayout),
					start.Add(time.Hour).Format(utcLayout), "tom@x.test", "room-1@rooms.test")
				answers <- answer(cip(e.sched).SendEvent(ctx, &cipmini.Request{Data: []byte(ev)}), nil)
			}
		}(i)
	}
	wg.Wait()
	close(answers)
	for a := range answers {
		if !strings.HasPrefix(a, "* CONFIRMED room-1") {
			t.Fatalf("answer %q", a)
		}
	}
	fsyncs := e.db.Stats().Syncs - s0
	t.Logf("%d bookings, %d fsyncs", n, fsyncs)
	if fsyncs < 1 || fsyncs >= n {
		t.Fatalf("%d fsyncs for %d concurrent bookings: not shared", fsyncs, n)
	}
}

package sched

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/store"
)

// quotaEvent is an event of about size octets for room-1 organized by
// alice.
func quotaEvent(uid string, seq, hour, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:%s\r\n"+
		"DTSTAMP:20261201T000000Z\r\nSEQUENCE:%d\r\nDTSTART:20261210T%02d0000Z\r\nDTEND:20261210T%02d3000Z\r\n"+
		"ORGANIZER:mailto:alice@rooms.test\r\nATTENDEE:mailto:room-1@rooms.test\r\n", uid, seq, hour, hour)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "X-PAD-%d:%s\r\n", i, strings.Repeat("y", 64))
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return []byte(b.String())
}

// At MaxStoreBytes a new event is refused with NO 007 and nothing is
// stored, while updates of a stored one are taken; dead space is
// compacted away before a new event is refused for it.
func TestStoreCap(t *testing.T) {
	db, err := store.Open(t.TempDir(), &store.Options{Logger: quietLog, DisableAutoCompact: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := NewScheduler(db, testDirectory(t), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	s.MaxStoreBytes = 512 << 10
	alice := cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}
	send := func(data []byte) cipmini.Completion {
		return cip(s).SendEvent(context.Background(), &cipmini.Request{Identity: alice, Data: data}).Completion
	}
	// Twenty updates of one event: the file grows past the cap, the live
	// data does not; updates are never refused for space.
	for seq := 0; seq < 20; seq++ {
		if c := send(quotaEvent("u-0@rooms.test", seq, 8, 30<<10)); !c.OK {
			t.Fatalf("update %d: %v", seq, c)
		}
	}
	if file, _ := db.Size(); file <= s.MaxStoreBytes {
		t.Fatalf("file %d after twenty updates, want past the cap", file)
	}
	// A new event: the dead space is compacted and it is taken.
	if c := send(quotaEvent("u-1@rooms.test", 0, 9, 30<<10)); !c.OK {
		t.Fatalf("new event over dead space: %v", c)
	}
	if file, _ := db.Size(); file > s.MaxStoreBytes {
		t.Fatalf("file %d after the compaction", file)
	}
	refused := false
	for i := 2; i < 30 && !refused; i++ {
		c := send(quotaEvent(fmt.Sprintf("u-%d@rooms.test", i), 0, 10, 30<<10))
		if !c.OK {
			if c.Code != cipmini.CodeTempFailure || !strings.Contains(c.Text, "storage full") {
				t.Fatalf("event %d: %v", i, c)
			}
			refused = true
			err := db.View(func(tx *store.Tx) error {
				if _, err := tx.Get(eventKeyPrefix + fmt.Sprintf("u-%d@rooms.test", i)); err != store.ErrNotFound {
					t.Errorf("the refused event is stored: %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if file, _ := db.Size(); file > s.MaxStoreBytes {
			t.Fatalf("file %d over the cap after event %d", file, i)
		}
	}
	if !refused {
		t.Fatal("no new event refused at the cap")
	}
	if c := send(quotaEvent("u-1@rooms.test", 1, 9, 30<<10)); !c.OK {
		t.Fatalf("an update at the cap: %v", c)
	}
}

package store

import (
	"testing"

	"github.com/tidwall/buntdb"
)

// A booking writes at most 3 times its record's size, checksum included:
// the record and its commit marker, appended once and synced.
func TestBookingWriteBound(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	before := e.db.Stats()
	ev := event("w1@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "booking", e.send(anon, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	after := e.db.Stats()
	var stored string
	e.db.bdb.View(func(tx *buntdb.Tx) error {
		stored, _ = tx.Get(eventKey("w1@x.test"))
		return nil
	})
	if _, ok := unseal(eventKey("w1@x.test"), stored); !ok {
		t.Fatal("the stored record carries no valid checksum")
	}
	record := setRecordSize(len(eventKey("w1@x.test")), len(stored))
	written := after.BytesWritten - before.BytesWritten
	t.Logf("record %d bytes (checksum included), booking wrote %d bytes, %d fsyncs", record, written, after.Syncs-before.Syncs)
	if written > 3*record || written < record {
		t.Fatalf("a booking wrote %d bytes for a record of %d", written, record)
	}
}

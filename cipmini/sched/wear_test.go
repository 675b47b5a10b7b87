package sched

import (
	"errors"
	"testing"

	"github.com/cipmini/cipmini/store"
)

// A booking writes at most 3 times its record's size, checksum included:
// the record and its commit marker, appended once and synced. (The first
// commit after the store's open also writes the zeros it reserves ahead of
// the data, and so does one commit in about 192 KiB of data.)
func TestBookingWriteBound(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	expect(t, "first booking", e.send(anon, event("w0@x.test", 0, stamp1, "20270302T100000Z", "20270302T110000Z", "tom@x.test", "room-1@rooms.test")),
		"* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	before := e.db.Stats()
	ev := event("w1@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "booking", e.send(anon, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	after := e.db.Stats()
	var stored string
	err := e.db.View(func(tx *store.Tx) error {
		var err error
		stored, err = tx.Get(eventKey("w1@x.test"))
		return err
	})
	if errors.Is(err, store.ErrDamaged) {
		t.Fatal("the stored record carries no valid checksum")
	} else if err != nil {
		t.Fatal(err)
	}
	record := store.RecordSize(eventKey("w1@x.test"), stored)
	written := after.BytesWritten - before.BytesWritten
	t.Logf("record %d bytes (checksum included), booking wrote %d bytes, %d fsyncs", record, written, after.Syncs-before.Syncs)
	if written > 3*record || written < record {
		t.Fatalf("a booking wrote %d bytes for a record of %d", written, record)
	}
}

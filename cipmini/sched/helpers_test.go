package sched

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// quietLog is a logger that discards everything.
var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustOpen opens dir with opts (quiet logger unless set) or fails the test.
func mustOpen(t testing.TB, dir string, opts *store.Options) *store.DB {
	t.Helper()
	var o store.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = quietLog
	}
	db, err := store.Open(dir, &o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return db
}

// dbContents returns every visible key and value of db.
func dbContents(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := db.View(func(tx *store.Tx) error {
		return tx.Ascend("", func(k, v string) bool {
			m[k] = v
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mustSet stores key=value in its own commit.
func mustSet(t testing.TB, db *store.DB, kv ...string) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if err := tx.Set(kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// busy returns the user's busy periods overlapping [from, to), in fresh
// buffers: what the tests ask of the index.
func (x *busyIndex) busy(user string, from, to time.Time, except string) ([]period, error) {
	return x.appendBusy(&walkBufs{}, user, from, to, except, DefaultMaxInstances)
}

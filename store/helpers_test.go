package store

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tidwall/buntdb"
)

// rawRecord builds one record from its elements, exactly as buntdb writes them.
func rawRecord(elems ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(elems)) + "\r\n")
	for _, e := range elems {
		b = appendBulk(b, e)
	}
	return b
}

// joinRecords concatenates records.
func joinRecords(recs ...[]byte) []byte { return bytes.Join(recs, nil) }

// writeTempFile writes data to name in a new temporary directory.
func writeTempFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// quietLog is a logger that discards everything.
var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// buntKeys opens path with plain buntdb and returns its keys and values,
// reserved keys included.
func buntKeys(t testing.TB, path string) map[string]string {
	t.Helper()
	b, err := buntdb.Open(path)
	if err != nil {
		t.Fatalf("buntdb.Open(%s): %v", path, err)
	}
	defer b.Close()
	m := map[string]string{}
	b.View(func(tx *buntdb.Tx) error {
		return tx.Ascend("", func(k, v string) bool {
			m[k] = v
			return true
		})
	})
	return m
}

// mustOpen opens dir with opts (quiet logger unless set) or fails the test.
func mustOpen(t testing.TB, dir string, opts *Options) *DB {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = quietLog
	}
	db, err := Open(dir, &o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return db
}

// dbContents returns every visible key and value of db.
func dbContents(t testing.TB, db *DB) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := db.View(func(tx *Tx) error {
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
func mustSet(t testing.TB, db *DB, kv ...string) {
	t.Helper()
	err := db.Update(func(tx *Tx) error {
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

// dataEnd returns the size of the file at path and where its data ends:
// before the zeros an open DB reserves after it (reserve.go).
func dataEnd(t testing.TB, path string) (size, end int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(b)), int64(len(b) - zeroTail(b))
}

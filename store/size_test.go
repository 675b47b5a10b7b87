package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// The data file's size the DB counts for its commits (FileSize,
// BytesWritten) is the size of the file: sets, replacements, deletes, a
// key set and deleted in one commit, a key deleted and set again, values
// whose length has one to six digits, and failed commits that write
// nothing.
func TestCountedSizeIsFileSize(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, &Options{DisableAutoCompact: true, Sync: SyncNever})
	defer db.Close()
	r := rand.New(rand.NewPCG(1, 2))
	keys := func() string { return fmt.Sprintf("k%d", r.IntN(40)) }
	w0 := db.Stats().BytesWritten
	s0 := db.Stats().FileSize
	mustSet(t, db, "first", "commit") // the first commit makes the reserve
	w0 += ReserveBytes
	check := func(step int) {
		t.Helper()
		size, end := dataEnd(t, db.path)
		st := db.Stats()
		if st.FileSize != end {
			t.Fatalf("step %d: counted %d bytes, the file has %d", step, st.FileSize, end)
		}
		// The reserve is renewed before it runs out (reserve.go), and a
		// renewal writes only zeros that were not there.
		if size-end < reserveLow && size-end < st.FileSize-s0 {
			t.Fatalf("step %d: %d bytes of reserve after %d of data", step, size-end, end)
		}
		// BytesWritten counts the data and the zeros, which are only
		// ever written past the file's end.
		if data, grown := st.FileSize-s0, size-(s0+RecordSize("first", "commit")+ReserveBytes); st.BytesWritten-w0 < data || st.BytesWritten-w0 > data+grown {
			t.Fatalf("step %d: BytesWritten grew by %d, the data by %d, the file by %d", step, st.BytesWritten-w0, data, grown)
		}
	}
	for step := 0; step < 400; step++ {
		err := db.Update(func(tx *Tx) error {
			for n := r.IntN(4); n >= 0; n-- {
				k := keys()
				switch r.IntN(5) {
				case 0, 1:
					if err := tx.Set(k, strings.Repeat("v", r.IntN(200000)%(1<<r.IntN(18)))); err != nil {
						return err
					}
				case 2:
					tx.Delete(k)
				case 3:
					tx.Set(k, "x")
					tx.Delete(k)
				case 4:
					tx.Delete(k)
					tx.Set(k, "again")
				}
			}
			if r.IntN(10) == 0 {
				return fmt.Errorf("rolled back")
			}
			return nil
		})
		if err != nil && err.Error() != "rolled back" {
			t.Fatal(err)
		}
		check(step)
	}
	db.Close()
	if fi, err := os.Stat(db.path); err != nil || fi.Size() != db.Stats().FileSize {
		t.Fatalf("closed: the file has %v bytes (%v), counted %d", fi.Size(), err, db.Stats().FileSize)
	}
}

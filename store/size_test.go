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
	check := func(step int) {
		t.Helper()
		fi, err := os.Stat(db.path)
		if err != nil {
			t.Fatal(err)
		}
		st := db.Stats()
		if st.FileSize != fi.Size() {
			t.Fatalf("step %d: counted %d bytes, the file has %d", step, st.FileSize, fi.Size())
		}
	}
	w0 := db.Stats().BytesWritten
	s0 := db.Stats().FileSize
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
	if st := db.Stats(); st.BytesWritten-w0 != st.FileSize-s0 {
		t.Fatalf("BytesWritten grew by %d, the file by %d", st.BytesWritten-w0, st.FileSize-s0)
	}
}

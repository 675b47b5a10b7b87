package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lastOK returns the number in the last "ok N" line, or -1.
func lastOK(lines []string) int {
	last := -1
	for _, l := range lines {
		if n, ok := strings.CutPrefix(l, "ok "); ok {
			if i, err := strconv.Atoi(n); err == nil {
				last = i
			}
		}
	}
	return last
}

// TestCrashWhileWriting kills a writer with SIGKILL at random moments: right
// after it acknowledged a write, and at a random time. Every acknowledged
// commit must survive whole, and no commit may survive in part. The writer
// compacts by itself as it goes, so some kills land in a compaction.
func TestCrashWhileWriting(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFileName)
	next := 0
	acked := -1
	for run := 0; run < 8; run++ {
		w := startHelper(t, "writer", dir, helperStartEnv+"="+strconv.Itoa(next))
		first := w.expect(t, "ok ")
		if run%2 == 0 {
			// Kill right after an acknowledgement.
			target := next + 5 + rng.IntN(60)
			for {
				n, _ := strconv.Atoi(strings.TrimPrefix(first, "ok "))
				if n >= target {
					break
				}
				first = w.expect(t, "ok ")
			}
		} else {
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		}
		lines := w.kill()
		if n := lastOK(lines); n > acked {
			acked = n
		}
		if _, err := CheckFile(path); err != nil {
			t.Fatalf("run %d: check after kill: %v", run, err)
		}
		db := mustOpen(t, dir, nil)
		got := dbContents(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path + compactSuffix); err == nil {
			t.Fatalf("run %d: Open left the temporary file", run)
		}
		for i := 0; i <= acked; i++ {
			if got[crashKey(i)] != writerValue(i) || got[crashPair(i)] != writerValue(i) {
				t.Fatalf("run %d: acknowledged write %d lost (acked up to %d)", run, i, acked)
			}
		}
		// At most the one unacknowledged commit in flight may be there,
		// and whole.
		extra := acked + 1
		_, k := got[crashKey(extra)]
		_, p := got[crashPair(extra)]
		if k != p {
			t.Fatalf("run %d: commit %d survived in part", run, extra)
		}
		if _, ok := got[crashKey(extra+1)]; ok {
			t.Fatalf("run %d: write %d present, but only %d were started", run, extra+1, extra)
		}
		hot, _ := strconv.Atoi(strings.TrimRight(got["hot"], "h"))
		if hot < acked || (hot == extra) != k {
			t.Fatalf("run %d: hot = %d with acked %d; its commit is not whole", run, hot, acked)
		}
		if k {
			acked = extra
		}
		next = acked + 1
	}
	t.Logf("%d commits acknowledged over 8 crashes", acked+1)
}

// TestCrashWhileCompacting kills a process in the middle of compactions of
// a 3 MB dataset: every key must be there afterwards.
func TestCrashWhileCompacting(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFileName)
	var took time.Duration
	leftovers := 0
	for run := 0; run < 5; run++ {
		c := startHelper(t, "compactor", dir)
		c.expect(t, "ready")
		if took == 0 {
			// Measure one compaction to aim the kills inside one.
			c.expect(t, "compact")
			line := c.expect(t, "compacted ")
			us, _ := strconv.Atoi(strings.TrimPrefix(line, "compacted "))
			took = time.Duration(us) * time.Microsecond
			t.Logf("a compaction takes %v", took)
		}
		c.expect(t, "compact")
		time.Sleep(time.Duration(rng.Int64N(int64(took) + 1)))
		c.kill()
		if _, err := os.Stat(path + compactSuffix); err == nil {
			leftovers++
		}
		rep, err := CheckFile(path)
		if err != nil || !rep.Marked || rep.DroppedBytes != 0 {
			t.Fatalf("run %d: check after kill: %+v, %v", run, rep, err)
		}
		db := mustOpen(t, dir, nil)
		got := dbContents(t, db)
		db.Close()
		if len(got) != compactKeys {
			t.Fatalf("run %d: %d keys after the crash, want %d", run, len(got), compactKeys)
		}
		for i := 0; i < compactKeys; i++ {
			if got[crashKey(i)] != crashValue(i) {
				t.Fatalf("run %d: key %s lost or wrong", run, crashKey(i))
			}
		}
		if _, err := os.Stat(path + compactSuffix); err == nil {
			t.Fatalf("run %d: Open left the temporary file", run)
		}
	}
	t.Logf("%s: %d of 5 kills left a half-written compaction behind", fmt.Sprint(took), leftovers)
}

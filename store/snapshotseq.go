package store

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A snapshot's name carries a sequence number after its time:
// "cipmini-20060102T150405Z-000042.db". Snapshots are ordered by it, not by
// the time: a device without a battery-backed clock may start in 1970
// before NTP, or with a clock years ahead, and must neither remove newer
// snapshots as old ones nor restore an older one as the latest. The time
// stays in the name for people. The number is one more than the largest in
// any of the directories written; names from before it (time only) rank
// below every numbered one, by time.

// snapshotSeqDigits is the width the number is padded to, so that ls sorts
// the names of one clock's era in order.
const snapshotSeqDigits = 6

// snapshotName is the name of the snapshot taken at at with number seq.
func snapshotName(at time.Time, seq uint64) string {
	return fmt.Sprintf("%s%s-%0*d%s", snapshotPrefix, at.UTC().Format(snapshotLayout), snapshotSeqDigits, seq, snapshotExt)
}

// parseSnapshotName reads a snapshot's file name: its number (0 for a name
// without one) and time. ok is false for any other name.
func parseSnapshotName(name string) (seq uint64, at time.Time, ok bool) {
	if !strings.HasPrefix(name, snapshotPrefix) || !strings.HasSuffix(name, snapshotExt) {
		return 0, time.Time{}, false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(name, snapshotPrefix), snapshotExt)
	stamp := mid
	if i := strings.LastIndexByte(mid, '-'); i >= 0 {
		n, err := strconv.ParseUint(mid[i+1:], 10, 64)
		if err != nil {
			return 0, time.Time{}, false
		}
		stamp, seq = mid[:i], n
	}
	at, err := time.Parse(snapshotLayout, stamp)
	if err != nil {
		return 0, time.Time{}, false
	}
	return seq, at, true
}

// sortSnapshots orders snapshot paths newest first: by number, then time,
// then name.
func sortSnapshots(paths []string) {
	type key struct {
		seq  uint64
		at   time.Time
		name string
	}
	keys := make(map[string]key, len(paths))
	for _, p := range paths {
		k := key{name: filepath.Base(p)}
		k.seq, k.at, _ = parseSnapshotName(k.name)
		keys[p] = k
	}
	sort.SliceStable(paths, func(i, j int) bool {
		a, b := keys[paths[i]], keys[paths[j]]
		switch {
		case a.seq != b.seq:
			return a.seq > b.seq
		case !a.at.Equal(b.at):
			return a.at.After(b.at)
		}
		return a.name > b.name
	})
}

// nextSnapshotSeq is one more than the largest number of a snapshot in
// dirs; a directory that cannot be read counts as empty (writing to it
// fails on its own).
func nextSnapshotSeq(dirs []string) uint64 {
	var max uint64
	for _, d := range dirs {
		all, _ := Snapshots(d)
		if len(all) > 0 {
			if seq, _, _ := parseSnapshotName(filepath.Base(all[0])); seq > max {
				max = seq
			}
		}
	}
	return max + 1
}

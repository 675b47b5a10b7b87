package store

import (
	"github.com/cipmini/cipmini/cipmini"
)

// DefaultMaxStoreBytes is Scheduler.MaxStoreBytes's default: 64 MiB, some
// hundred times a busy room's year. A board profile sets its own.
const DefaultMaxStoreBytes = 64 << 20

// storeRecordOverhead is what storing an event adds beyond twice its text:
// the record's fields, index keys, commit marker, queued answers.
const storeRecordOverhead = 4 << 10

// Size returns the data file's size and the size it would have after a
// compaction (its live data), in bytes. It reads two counters: cheap, safe
// for concurrent use.
func (db *DB) Size() (file, live int64) {
	return db.fileSize.Load(), db.liveBytes.Load()
}

func (s *Scheduler) maxStoreBytes() int64 {
	if s.MaxStoreBytes == 0 {
		return DefaultMaxStoreBytes
	}
	return s.MaxStoreBytes
}

// storeFull says whether a new event of n octets would take the data file
// past MaxStoreBytes: such an invitation is refused, and nothing stored is
// touched. Only new events are judged: updates, cancellations and answers
// of stored events are taken at the cap (a cancellation is never refused
// for space), bounded by the clients' hourly quotas and reclaimed by
// compaction. When the file is over the mark but a quarter of the cap or
// more of it is dead space, it is compacted first. The caller holds s.mu.
func (s *Scheduler) storeFull(uid string, n int) bool {
	limit := s.maxStoreBytes()
	if limit < 0 {
		return false
	}
	need := 2*int64(n) + storeRecordOverhead
	file, live := s.db.Size()
	if file+need <= limit {
		return false
	}
	if file-live >= limit/4 {
		if err := s.db.Compact(); err != nil {
			s.log.Error("store: compacting a full store", "err", err)
		}
		file, live = s.db.Size()
		if file+need <= limit {
			return false
		}
	}
	s.log.Warn("store: the store is full: new invitation refused", "uid", uid, "octets", n,
		"file_bytes", file, "live_bytes", live, "max_store_bytes", limit)
	return true
}

// storeFullReply is the answer to an invitation refused by storeFull.
func storeFullReply() *cipmini.Reply {
	return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeTempFailure,
		"Calendar storage full: new invitations are refused until space is freed")}
}

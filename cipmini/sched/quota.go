package sched

// DefaultMaxStoreBytes is Scheduler.MaxStoreBytes's default: 64 MiB, some
// hundred times a busy room's year. A board profile sets its own.
const DefaultMaxStoreBytes = 64 << 20

// storeRecordOverhead is what storing an event adds beyond twice its text:
// the record's fields, index keys, commit marker, queued answers.
const storeRecordOverhead = 4 << 10

func (s *Scheduler) maxStoreBytes() int64 {
	if s.MaxStoreBytes == 0 {
		return DefaultMaxStoreBytes
	}
	return s.MaxStoreBytes
}

// DefaultAnonymousStoreShare is Scheduler.AnonymousStoreShare's default:
// anonymous clients may fill three quarters of MaxStoreBytes, the last
// quarter is kept for logged-in users and peers.
const DefaultAnonymousStoreShare = 0.75

// storeMark is how far a client may fill the data file: MaxStoreBytes for
// logged-in users and peers, AnonymousStoreShare of it for anonymous
// sessions; negative means no cap.
func (s *Scheduler) storeMark(id Identity) int64 {
	limit := s.maxStoreBytes()
	if limit < 0 || id.Kind != Anonymous {
		return limit
	}
	share := s.AnonymousStoreShare
	if share <= 0 || share > 1 {
		share = DefaultAnonymousStoreShare
	}
	return int64(float64(limit) * share)
}

// storeFull says whether a change that adds n octets of text, from the
// client id, would take the data file past the client's mark (storeMark):
// such a change is refused, and nothing stored is touched. New
// invitations are judged by their data's size, changes of stored events
// (updates, added occurrences, answers) by how much their stored record
// grows; what leaves a record as large or smaller (cancellations above
// all: a cancellation is never refused for space) is taken at the cap,
// bounded by the clients' hourly quotas and reclaimed by compaction. When
// the file is over the mark but a quarter of the cap or more of it is
// dead space, it is compacted first. what names the change in the log
// line. The caller holds s.mu.
func (s *Scheduler) storeFull(id Identity, uid, what string, n int64) bool {
	limit := s.storeMark(id)
	if limit < 0 || n <= 0 {
		return false
	}
	need := 2*n + storeRecordOverhead
	file, live := s.db.Size()
	if file+need <= limit {
		return false
	}
	if file-live >= s.maxStoreBytes()/4 {
		if err := s.db.Compact(); err != nil {
			s.log.Error("store: compacting a full store", "err", err)
		}
		file, live = s.db.Size()
		if file+need <= limit {
			return false
		}
	}
	s.log.Warn("store: the store is full: "+what+" refused", "uid", uid, "octets", n,
		"file_bytes", file, "live_bytes", live, "max_store_bytes", s.maxStoreBytes(),
		"mark", limit, "anonymous", id.Kind == Anonymous)
	return true
}

// growth is how many octets longer r's stored form is than old's (0 or
// less when it is not longer).
func growth(old, r *eventRecord) int64 {
	a, err1 := old.marshal()
	b, err2 := r.marshal()
	if err1 != nil || err2 != nil {
		return 0 // saving fails the same way
	}
	return int64(len(b) - len(a))
}

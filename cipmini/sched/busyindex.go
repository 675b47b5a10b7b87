package sched

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
)

// busyIndex answers "what is busy for user U between A and B" without
// scanning every event. It lives in memory only, derived from the event
// records at start and kept up to date as they change, so that nothing but
// the records themselves is ever written to flash (one event, one key).
//
// It is safe for concurrent use.
type busyIndex struct {
	mu     sync.RWMutex
	byUser map[string]*userBusy
	byUID  map[string][]string // uid -> users it is indexed under
	// loading is set while the start fills the index (startLoad): spans
	// are appended, and sorted once by endLoad.
	loading bool
}

// userBusy is one user's busy time: single spans sorted by start, then
// UID, then end (spanCmp), and the recurring events, expanded when asked.
type userBusy struct {
	spans     []span
	maxLen    int64 // the longest span, to bound the search
	recurring map[string]*recurringEntry
}

// span is one busy period of one event, in Unix seconds.
type span struct {
	start, end int64
	uid        string
	tentative  bool
}

// recurringEntry is a recurring event as one user holds it.
type recurringEntry struct {
	uid       string
	tentative bool
	first     int64 // start of the first instance
	last      int64 // end of the last instance; meaningless when unbounded
	unbounded bool
	// expand appends the instances in [from, to), at most max (see
	// vcal.Event.AppendInstances).
	expand func(dst []caltime.Instance, from, to time.Time, max int) ([]caltime.Instance, error)
	except map[int64]bool // occurrences this user declined one by one
}

// period is one busy instance as the index reports it.
type period struct {
	Start, End time.Time
	UID        string
	Tentative  bool
}

func newBusyIndex() *busyIndex {
	return &busyIndex{byUser: map[string]*userBusy{}, byUID: map[string][]string{}}
}

// indexEntry is what an event contributes to one user's busy time.
type indexEntry struct {
	user      string
	tentative bool
	except    map[int64]bool // occurrences declined one by one
}

// put replaces everything indexed for uid. single holds the event's periods
// when it does not recur; rec describes it when it does.
func (x *busyIndex) put(uid string, entries []indexEntry, single []period, rec *recurringEntry) {
	// The UID and the users may be substrings of the data block they were
	// parsed from; the index keeps copies of its own, not the block.
	uid = strings.Clone(uid)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(uid)
	users := make([]string, 0, len(entries))
	for _, e := range entries {
		e.user = strings.Clone(e.user)
		ub := x.byUser[e.user]
		if ub == nil {
			ub = &userBusy{recurring: map[string]*recurringEntry{}}
			x.byUser[e.user] = ub
		}
		users = append(users, e.user)
		if rec != nil {
			r := *rec
			r.uid, r.tentative, r.except = uid, e.tentative, e.except
			ub.recurring[uid] = &r
			continue
		}
		for _, p := range single {
			s := span{start: p.Start.Unix(), end: p.End.Unix(), uid: uid, tentative: e.tentative}
			if l := s.end - s.start; l > ub.maxLen {
				ub.maxLen = l
			}
			if x.loading {
				ub.spans = append(ub.spans, s)
				continue
			}
			i, _ := slices.BinarySearchFunc(ub.spans, s, spanCmp)
			ub.spans = slices.Insert(ub.spans, i, s)
		}
	}
	if len(users) > 0 {
		x.byUID[uid] = users
	}
}

// spanCmp orders spans by start, then UID, then end, so that a user's
// spans are in one order however the events arrived.
func spanCmp(a, b span) int {
	return cmp.Or(cmp.Compare(a.start, b.start), strings.Compare(a.uid, b.uid), cmp.Compare(a.end, b.end))
}

// startLoad lets the start fill the index without keeping each user's
// spans sorted as they come (inserting each into a sorted list moved half
// of a busy user's spans every time: a seventh of a campus's start, whose
// people hold 6,250 bookings each); endLoad sorts them once. No query may
// run in between.
func (x *busyIndex) startLoad() {
	x.mu.Lock()
	x.loading = true
	x.mu.Unlock()
}

// endLoad sorts what was put since startLoad.
func (x *busyIndex) endLoad() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.loading = false
	for _, ub := range x.byUser {
		slices.SortFunc(ub.spans, spanCmp)
	}
}

// remove forgets uid.
func (x *busyIndex) remove(uid string) {
	x.mu.Lock()
	x.removeLocked(uid)
	x.mu.Unlock()
}

func (x *busyIndex) removeLocked(uid string) {
	for _, u := range x.byUID[uid] {
		ub := x.byUser[u]
		if ub == nil {
			continue
		}
		delete(ub.recurring, uid)
		kept := ub.spans[:0]
		for _, s := range ub.spans {
			if s.uid != uid {
				kept = append(kept, s)
			}
		}
		clear(ub.spans[len(kept):])
		ub.spans = kept
	}
	delete(x.byUID, uid)
}

// appendBusy returns the user's busy periods that overlap [from, to), whole
// (not cut to the window), sorted by start, leaving out the event except.
// A period of no length overlaps nothing (RFC 5545 free/busy). Recurring
// events are expanded within the window, at most max (and chunkMax)
// instances each, with caltime.ErrTooManyInstances beyond. The
// periods are w.ps, valid until the next call with w.
func (x *busyIndex) appendBusy(w *walkBufs, user string, from, to time.Time, except string, max int) ([]period, error) {
	w.ps, w.recs = w.ps[:0], w.recs[:0]
	x.mu.RLock()
	ub := x.byUser[user]
	if ub == nil {
		x.mu.RUnlock()
		return w.ps, nil
	}
	f, t := from.Unix(), to.Unix()
	lo := sort.Search(len(ub.spans), func(i int) bool { return ub.spans[i].start >= f-ub.maxLen })
	hi := lo + sort.Search(len(ub.spans)-lo, func(i int) bool { return ub.spans[lo+i].start >= t })
	for _, r := range ub.recurring {
		if r.uid == except || r.first >= t || (!r.unbounded && r.last <= f) {
			continue
		}
		w.recs = append(w.recs, r)
	}
	// Room for the spans and an instance of each recurring event at once,
	// rather than growing by doubling (bounded as a chunk's instances).
	w.ps = slices.Grow(w.ps, min(hi-lo+len(w.recs), chunkMax))
	for _, s := range ub.spans[lo:hi] {
		if s.end > f && s.uid != except {
			w.ps = append(w.ps, period{Start: time.Unix(s.start, 0).UTC(), End: time.Unix(s.end, 0).UTC(),
				UID: s.uid, Tentative: s.tentative})
		}
	}
	x.mu.RUnlock()
	single := len(w.ps)
	for _, r := range w.recs {
		var err error
		w.ins, err = w.expand(r, from, to, max)
		if err != nil {
			clear(w.recs)
			return w.ps, err
		}
		for _, in := range w.ins {
			if in.Free || r.except[in.RecurrenceID.Unix()] {
				continue
			}
			w.ps = append(w.ps, period{Start: in.Start, End: in.End, UID: r.uid, Tentative: r.tentative})
		}
	}
	clear(w.recs) // drop the references until the next call
	w.sortBusy(single)
	return w.ps, nil
}

func cmpPeriodStart(a, b period) int { return a.Start.Compare(b.Start) }

// sortBusy sorts w.ps by start, stably, knowing that its first single
// periods (the spans) are sorted already: the recurring ones after them are
// sorted on their own, by small keys rather than by moving whole periods,
// then the two runs merged, a span before a recurring instance of the same
// start.
func (w *walkBufs) sortBusy(single int) {
	rec := w.ps[single:]
	if slices.IsSortedFunc(rec, cmpPeriodStart) {
		if single == 0 || len(rec) == 0 || !rec[0].Start.Before(w.ps[single-1].Start) {
			return
		}
		w.tmp = append(w.tmp[:0], rec...)
	} else {
		w.keys = slices.Grow(w.keys[:0], len(rec))
		for i, p := range rec {
			w.keys = append(w.keys, sortKey{sec: p.Start.Unix(), nsec: int32(p.Start.Nanosecond()), i: int32(i)})
		}
		slices.SortFunc(w.keys, cmpSortKey)
		w.tmp = slices.Grow(w.tmp[:0], len(rec))
		for _, k := range w.keys {
			w.tmp = append(w.tmp, rec[k.i])
		}
	}
	// Merge from the back, the recurring run set aside in w.tmp.
	i, k := single-1, len(w.ps)-1
	for j := len(w.tmp) - 1; j >= 0; k-- {
		if i >= 0 && w.ps[i].Start.After(w.tmp[j].Start) {
			w.ps[k] = w.ps[i]
			i--
		} else {
			w.ps[k] = w.tmp[j]
			j--
		}
	}
	clear(w.tmp) // drop the references until the next call
}

// sortKey is a period's start and its place, to sort periods stably.
type sortKey struct {
	sec     int64
	nsec, i int32
}

func cmpSortKey(a, b sortKey) int {
	switch {
	case a.sec != b.sec:
		return cmp.Compare(a.sec, b.sec)
	case a.nsec != b.nsec:
		return cmp.Compare(a.nsec, b.nsec)
	}
	return cmp.Compare(a.i, b.i)
}

// mergePeriods merges overlapping or touching periods of one kind, sorted by
// start, into the fewest periods covering the same time.
func mergePeriods(ps []period) []period {
	var out []period
	for _, p := range ps {
		if n := len(out); n > 0 && !p.Start.After(out[n-1].End) {
			if p.End.After(out[n-1].End) {
				out[n-1].End = p.End
			}
			continue
		}
		out = append(out, period{Start: p.Start, End: p.End})
	}
	return out
}

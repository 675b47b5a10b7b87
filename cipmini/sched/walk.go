package sched

import (
	"errors"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// Dense series (FREQ=MINUTELY, say) hold more instances in a year than one
// expansion may return (DefaultMaxInstances). Rather than give up, the
// decisions and FREEBUSY walk a window in chunks small enough for each
// expansion, in start order, so that memory stays bounded by one chunk.

const (
	// firstChunk is the length of the first chunk of a walk.
	firstChunk = 7 * 24 * time.Hour
	// minChunk is the shortest chunk; a window that still holds too many
	// instances in a minute is refused.
	minChunk = time.Minute
	// maxChunk is the longest chunk a walk grows to.
	maxChunk = 64 * 24 * time.Hour
	// chunkTarget is the instances a chunk should hold at most.
	chunkTarget = 2048
	// chunkMax is the most instances of one event a chunk expands; a chunk
	// holding more is retried shorter. It bounds a walk's buffers (about
	// 80 bytes an instance).
	chunkMax = 2 * chunkTarget
)

// walkBufs are the buffers one walk reuses from chunk to chunk, so that it
// allocates with the chunk size, never with the instances walked.
type walkBufs struct {
	ins  []caltime.Instance
	ps   []period
	tmp  []period  // the recurring periods while they are merged into ps
	keys []sortKey // to sort them
	recs []*recurringEntry
}

// smallChunk is the instances the buffers first take: most walks hold few.
const smallChunk = 64

// expand appends r's instances in [from, to) to w.ins[:0], at most max
// (at most chunkMax). The buffer starts small; an expansion that overflows
// it is done again in one eight times as large, up to a whole chunk, so
// that a dense walk allocates its buffers a few times, never grows them
// instance by instance.
func (w *walkBufs) expand(r *recurringEntry, from, to time.Time, max int) ([]caltime.Instance, error) {
	max = min(max, chunkMax)
	if cap(w.ins) == 0 {
		w.ins = make([]caltime.Instance, 0, smallChunk+2) // DTSTART and a rule's max+1
	}
	for {
		lim := min(max, cap(w.ins)-2)
		ins, err := r.expand(w.ins[:0], from, to, lim)
		if !errors.Is(err, caltime.ErrTooManyInstances) || lim == max {
			return ins, err
		}
		n := min(max, 8*lim)
		w.ins = make([]caltime.Instance, 0, n+2)
		if cap(w.ps) < len(w.ps)+n+1 {
			w.ps = append(make([]period, 0, len(w.ps)+n+1), w.ps...)
		}
	}
}

// walkBudget bounds the instances one walk examines (a quarter of a second
// on a server core, a few seconds on a small ARM board): a FREQ=SECONDLY
// series over a year holds 31 million, one every 30 minutes 17,520.
const walkBudget = 1 << 18

// errTooDense is returned when even the shortest chunk holds too many
// instances.
var errTooDense = errors.New("store: too many occurrences in one minute")

// errStopWalk ends a walk whose fn returned false; the walk returns nil.
var errStopWalk = errors.New("store: walk stopped")

// budgetError is returned by walkChunks when the walk examined walkBudget
// instances; the window from At on was not walked.
type budgetError struct{ At time.Time }

func (e *budgetError) Error() string { return "store: too many occurrences to walk" }

// walkChunks calls step for consecutive chunks [a, b) covering [from, to).
// A step that returns caltime.ErrTooManyInstances is retried on a chunk an
// eighth as long; a chunk that held few instances lets the next one grow.
// Other errors end the walk.
func walkChunks(from, to time.Time, step func(a, b time.Time) (int, error)) error {
	size := firstChunk
	spent := 0
	for a := from; a.Before(to); {
		if spent >= walkBudget {
			return &budgetError{At: a}
		}
		b := a.Add(size)
		if b.After(to) || b.Before(a) {
			b = to
		}
		n, err := step(a, b)
		if errors.Is(err, caltime.ErrTooManyInstances) {
			if size <= minChunk {
				return errTooDense
			}
			size = max((size / 8).Truncate(time.Second), minChunk)
			continue
		}
		if err != nil {
			return err
		}
		spent += n
		// Chunks of a few thousand instances keep the buffers small.
		switch {
		case n < chunkTarget/4 && size < maxChunk:
			size *= 2
		case n > chunkTarget && size > minChunk:
			size = (size / 2).Truncate(time.Second)
		}
		a = b
	}
	return nil
}

// firstIn reports whether a period that overlaps the walk starting at from
// belongs to the chunk [a, b): the chunk holding its start, or the first
// chunk for a period that began before from. Each period is so reported
// exactly once.
func firstIn(start, from, a, b time.Time) bool {
	if start.Before(from) {
		start = from
	}
	return !start.Before(a) && start.Before(b)
}

// walkInstances calls fn with the busy instances of ev (Free ones left
// out) overlapping [from, to), in start order, until fn returns false.
func walkInstances(ev *vcal.Event, from, to time.Time, fn func(caltime.Instance) bool) error {
	return walkInstancesOf(ev, from, to, false, fn)
}

func walkInstancesOf(ev *vcal.Event, from, to time.Time, withFree bool, fn func(caltime.Instance) bool) error {
	w := walkPool.Get().(*walkBufs)
	defer w.recycle()
	r := &recurringEntry{expand: ev.AppendInstances}
	err := walkChunks(from, to, func(a, b time.Time) (int, error) {
		ins, err := w.expand(r, a, b, chunkMax)
		if err != nil {
			return 0, err
		}
		for _, in := range ins {
			if in.Free && !withFree || !firstIn(in.Start, from, a, b) {
				continue
			}
			if !fn(in) {
				return 0, errStopWalk
			}
		}
		return len(ins), nil
	})
	if err == errStopWalk {
		return nil
	}
	return err
}

// walkBusy calls fn with the user's busy periods overlapping [from, to),
// whole, in start order, leaving out the event except (see busyIndex.appendBusy),
// until fn returns false. It holds one chunk at a time in reused buffers.
func (x *busyIndex) walkBusy(user string, from, to time.Time, except string, fn func(period) bool) error {
	w := walkPool.Get().(*walkBufs)
	defer w.recycle()
	return x.walkBusyIn(w, user, from, to, except, fn)
}

// walkPool keeps the buffers of finished walks for the next ones, so that
// a FREEBUSY query allocates none once the server has answered a few.
var walkPool = sync.Pool{New: func() any { return new(walkBufs) }}

// pooledMax is the most periods or instances the buffers of a walk may
// hold to go back to walkPool; those of a dense walk are left to the
// collector.
const pooledMax = 1024

// recycle puts w back in walkPool, without the references it holds.
func (w *walkBufs) recycle() {
	if cap(w.ps) > pooledMax || cap(w.ins) > pooledMax || cap(w.tmp) > pooledMax {
		return
	}
	clear(w.ps[:cap(w.ps)])
	clear(w.ins[:cap(w.ins)])
	w.ps, w.ins = w.ps[:0], w.ins[:0]
	walkPool.Put(w)
}

// walkBusyIn is walkBusy in the buffers w, for a caller that walks again.
func (x *busyIndex) walkBusyIn(w *walkBufs, user string, from, to time.Time, except string, fn func(period) bool) error {
	err := walkChunks(from, to, func(a, b time.Time) (int, error) {
		ps, err := x.appendBusy(w, user, a, b, except, chunkMax)
		if err != nil {
			return 0, err
		}
		for _, p := range ps {
			if !firstIn(p.Start, from, a, b) {
				continue
			}
			if !fn(p) {
				return 0, errStopWalk
			}
		}
		return len(ps), nil
	})
	if err == errStopWalk {
		return nil
	}
	return err
}

// busyCovering returns the user's busy and tentative periods in [from, to),
// clipped to the window and merged within each kind, at most budget of
// them in all. When more remain after merging, neighbouring periods are
// joined in pairs, then pairs of pairs, and so on, until they fit: each
// answered period then covers 2, 4, 8... busy periods and the gaps between
// them, so that the answer shows more time busy than is, but never busy
// time as free. For the same reason, the part of the window a walk cannot
// reach within walkBudget instances is answered busy.
func (x *busyIndex) busyCovering(user string, from, to time.Time, budget int) (busy, tentative []period, err error) {
	budget = max(budget, 2)
	var b, t coarseList
	err = x.walkBusy(user, from, to, "", func(p period) bool {
		p.Start, p.End = maxTime(p.Start, from), minTime(p.End, to)
		if !p.End.After(p.Start) {
			return true
		}
		if p.Tentative {
			t.add(p)
		} else {
			b.add(p)
		}
		fitCoarse(&b, &t, budget)
		return true
	})
	var be *budgetError
	if errors.As(err, &be) {
		b.add(period{Start: be.At, End: to})
		fitCoarse(&b, &t, budget)
		err = nil
	}
	return b.list, t.list, err
}

// coarseList is a sorted list of disjoint periods, each covering up to
// 2^level merged periods.
type coarseList struct {
	list  []period
	count []int // merged periods in each
	level uint
}

func (c *coarseList) add(p period) {
	if n := len(c.list); n > 0 {
		last := &c.list[n-1]
		touching := !p.Start.After(last.End)
		if touching || c.count[n-1] < 1<<c.level {
			last.End = maxTime(last.End, p.End)
			if !touching {
				c.count[n-1]++
			}
			return
		}
	}
	c.list = append(c.list, period{Start: p.Start, End: p.End})
	c.count = append(c.count, 1)
}

// halve joins neighbours in pairs and raises the level, in place.
func (c *coarseList) halve() {
	c.level++
	n := 0
	for i := range c.list {
		if n > 0 && c.count[n-1]+c.count[i] <= 1<<c.level {
			c.list[n-1].End = maxTime(c.list[n-1].End, c.list[i].End)
			c.count[n-1] += c.count[i]
			continue
		}
		c.list[n], c.count[n] = c.list[i], c.count[i]
		n++
	}
	c.list, c.count = c.list[:n], c.count[:n]
}

// fitCoarse halves the longer list until both fit the budget together.
func fitCoarse(b, t *coarseList, budget int) {
	for len(b.list)+len(t.list) > budget {
		if len(b.list) >= len(t.list) {
			b.halve()
		} else {
			t.halve()
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// walkAllInstances is walkInstances with the Free instances too.
func walkAllInstances(ev *vcal.Event, from, to time.Time, fn func(caltime.Instance) bool) error {
	return walkInstancesOf(ev, from, to, true, fn)
}

// clashBatch is how many instances of a new event are checked against the
// calendar at once.
const clashBatch = 1024

// clashes returns the RECURRENCE-IDs (Unix seconds) of ev's busy instances
// in [from, to) that overlap an accepted booking of user other than ev
// itself, at most max of them, and the start of the first. The instances
// are checked in batches against the bookings within each batch's span,
// so the work grows with the instances and bookings in the window, never
// with a series' whole length; the bookings are streamed, merged as they
// come, so that memory holds one batch and one merged booking.
func (s *Scheduler) clashes(user string, ev *vcal.Event, from, to time.Time, max int) ([]int64, time.Time, error) {
	var out []int64
	var first time.Time
	// The batch grows with the instances: most new events have one, and
	// a booking must not clear clashBatch instances' worth of memory.
	batch := make([]caltime.Instance, 0, 8)
	w := walkPool.Get().(*walkBufs)
	defer w.recycle()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		lo, hi := batch[0].Start, batch[0].End
		for _, in := range batch {
			if in.End.After(hi) {
				hi = in.End
			}
		}
		if !hi.After(lo) {
			hi = lo.Add(time.Second)
		}
		// Accepted bookings come in start order and are merged into
		// disjoint blocks as they come. The first block ending after an
		// instance's start is the only one that can overlap it; a block's
		// end only grows while it is merged, and instances are sorted by
		// start, so each instance is decided as soon as the current block
		// reaches past its start, and the walk stops once all are.
		i := 0
		var cur period
		open := false
		err := s.index.walkBusyIn(w, user, lo, hi, ev.UID, func(p period) bool {
			if p.Tentative {
				return true
			}
			if open && !p.Start.After(cur.End) {
				cur.End = maxTime(cur.End, p.End)
			} else {
				cur, open = period{Start: p.Start, End: p.End}, true
			}
			for ; i < len(batch) && batch[i].Start.Before(cur.End); i++ {
				if in := batch[i]; cur.Start.Before(in.End) {
					if first.IsZero() {
						first = in.Start
					}
					if len(out) < max {
						out = append(out, in.RecurrenceID.Unix())
					}
				}
			}
			return i < len(batch) && len(out) < max
		})
		if err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	var ferr error
	err := walkInstances(ev, from, to, func(in caltime.Instance) bool {
		batch = append(batch, in)
		if len(batch) == clashBatch {
			ferr = flush()
		}
		return ferr == nil && len(out) < max
	})
	if err == nil {
		err = ferr
	}
	if err == nil && len(out) < max {
		err = flush()
	}
	return out, first, err
}

package caltime

import (
	"errors"
	"slices"
	"time"
)

// DefaultMaxInstances is the instance limit Between uses when given a
// limit of zero or less.
const DefaultMaxInstances = 10000

// Recurrence is a recurring component: DTSTART, its length, and the RRULE,
// RDATE, EXDATE and RECURRENCE-ID overrides that shape its recurrence set.
// Times compare as instants, so the caller should give EXDATE, RDATE and
// RECURRENCE-ID values in the same zone reading as DTSTART (for DATE values:
// midnight in Start's location). A Recurrence is not modified by its
// methods, which are safe for concurrent use.
type Recurrence struct {
	// Start is DTSTART in its location; rules repeat its wall-clock time
	// in that location (for a floating time, a location the caller chose).
	Start time.Time
	// Duration is the length of each instance (from DTEND-DTSTART, see
	// DurationBetween, or DURATION). A negative Duration counts as zero.
	Duration Duration
	// AllDay is set when DTSTART is a DATE.
	AllDay bool
	// Transparent marks the master TRANSP:TRANSPARENT: its instances are
	// Free unless an override says otherwise.
	Transparent bool
	// RRules are the RRULE values.
	RRules []string
	// RDates are the RDATE values: a date-time, or a period with its own end.
	RDates []Period
	// ExDates are the EXDATE values.
	ExDates []time.Time
	// Overrides are the components with a RECURRENCE-ID, keyed by that
	// instant in Unix seconds.
	Overrides map[int64]Override
}

// Period is an RDATE value. A zero End means the instance lasts the
// recurrence's Duration.
type Period struct{ Start, End time.Time }

// Override replaces the instance whose start is its RECURRENCE-ID. A zero
// End means Start plus the recurrence's Duration. A cancelled override
// removes the instance. An override whose RECURRENCE-ID matches no
// instance adds one, as clients show it. Transparent is the override's own
// TRANSP: it decides whether its instance is Free, whatever the master says.
//
// With ThisAndFuture (RECURRENCE-ID;RANGE=THISANDFUTURE, RFC 5545 3.8.4.4)
// the override also applies to every later instance of the rules and
// RDATEs (up to the next ThisAndFuture override): each moves by the
// wall-clock time between the RECURRENCE-ID and Start read in the series'
// location (so a move from 10:00 to 11:00 stays one from 10:00 to 11:00
// across a daylight-saving change, as the series itself keeps its time of
// day), lasts Duration (when Start is set), takes Transparent, and
// disappears when Cancelled. Instances with an override of their own keep
// it.
type Override struct {
	Start, End    time.Time
	Cancelled     bool
	Transparent   bool
	ThisAndFuture bool
	Duration      Duration
}

// Instance is one occurrence, in UTC. RecurrenceID is its start before any
// override moved it. Free marks an instance that makes no one busy
// (TRANSP:TRANSPARENT of its own component, or of the master).
type Instance struct {
	RecurrenceID, Start, End time.Time
	Free                     bool
}

var errNoStart = errors.New("caltime: recurrence without start")

// Validate checks that the recurrence can be expanded: a start within the
// years 1 to 9999, rules that parse, and ThisAndFuture overrides that move
// the later instances by at most MaxDurationDays.
func (r *Recurrence) Validate() error {
	var p Prepared
	return r.prepareInto(&p, true)
}

func (r *Recurrence) rules() ([]*rule, error) {
	if r.Start.IsZero() {
		return nil, errNoStart
	}
	if y := r.Start.Year(); y < minYear || y > maxYear {
		return nil, errors.New("caltime: recurrence start outside the years 1 to 9999")
	}
	out := make([]*rule, 0, len(r.RRules))
	for _, s := range r.RRules {
		rr, err := parseRule(s)
		if err != nil {
			return nil, err
		}
		out = append(out, rr)
	}
	return out, nil
}

// Between returns the instances that overlap [from, to), sorted by start:
// DTSTART and the RRULE and RDATE instances without the EXDATEs, with the
// overrides applied (an override may move an instance into or out of the
// window; a cancelled one disappears). An instance of zero length overlaps
// when its start lies in the window. Duplicate starts count once.
//
// At most max instances are returned (DefaultMaxInstances when max <= 0);
// when more overlap the window, the first max are returned together with
// ErrTooManyInstances. A rule that needs too much work to reach the window
// gives ErrExpansionLimit. Unbounded rules stop at the window, and rules
// with a simple fixed interval jump to it arithmetically.
func (r *Recurrence) Between(from, to time.Time, max int) ([]Instance, error) {
	out, err := r.AppendBetween(nil, from, to, max)
	switch {
	case errors.Is(err, ErrTooManyInstances):
		return out[:len(out):len(out)], err
	case err != nil:
		return nil, err
	}
	return out, nil
}

// AppendBetween is Between appending the instances to dst, so that a caller
// walking a long window in chunks reuses one buffer: it allocates nothing
// per instance once dst has room for max+1 of them. dst's own elements are
// left as they are. With ErrTooManyInstances the first max instances are
// appended; with another error, dst is returned unchanged. A caller that
// expands the same recurrence again and again should Prepare it once.
func (r *Recurrence) AppendBetween(dst []Instance, from, to time.Time, max int) ([]Instance, error) {
	if len(r.RRules) == 0 && len(r.RDates) == 0 && len(r.ExDates) == 0 && len(r.Overrides) == 0 {
		// DTSTART alone: what the query finds, without building it.
		if _, err := r.rules(); err != nil {
			return dst, err
		}
		if from.Before(to) {
			if end := r.Duration.AddTo(r.Start); overlaps(r.Start, end, from, to) {
				dst = append(dst, Instance{RecurrenceID: time.Unix(r.Start.Unix(), 0).UTC(), Start: r.Start.UTC(), End: end.UTC(), Free: r.Transparent})
			}
		}
		return dst, nil
	}
	// Without the check of the THISANDFUTURE shifts, which AppendBetween
	// has never made.
	var p Prepared
	if err := r.prepareInto(&p, false); err != nil {
		return dst, err
	}
	return p.AppendBetween(dst, from, to, max)
}

// futureReach returns the longest instance and the largest shift (either
// way) that the ThisAndFuture overrides give, to widen the expansion.
func (q *query) futureReach() (span, shift time.Duration) {
	span = q.r.Duration.maxSpan()
	for _, f := range q.future {
		span = max(span, f.o.Duration.maxSpan())
		shift = max(shift, f.shift)
	}
	return span, shift
}

// futureOverride is a ThisAndFuture override with the wall-clock shift
// (seconds) it gives the instances it governs, and a bound of the exact
// time that shift moves an instance.
type futureOverride struct {
	id    int64
	o     Override
	wall  int64
	shift time.Duration
}

// offsetSlack bounds the change of a location's UTC offset between two
// instants (a zone that skipped a whole day changed it by 24 hours).
const offsetSlack = 26 * time.Hour

// futureOverrides returns the ThisAndFuture overrides sorted by
// RECURRENCE-ID.
func (r *Recurrence) futureOverrides() []futureOverride {
	var out []futureOverride
	for id, o := range r.Overrides {
		if !o.ThisAndFuture {
			continue
		}
		f := futureOverride{id: id, o: o}
		if !o.Start.IsZero() {
			loc := r.Start.Location()
			f.wall = civilOf(o.Start.In(loc)) - civilOf(time.Unix(id, 0).In(loc))
			if f.wall != 0 {
				// Validate refuses more; the bound keeps the window arithmetic
				// within a time.Duration.
				abs := min(max(f.wall, -f.wall), MaxDurationDays*secondsPerDay)
				f.shift = time.Duration(abs)*time.Second + offsetSlack
			}
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b futureOverride) int { return cmpInt64(a.id, b.id) })
	return out
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// governing returns the ThisAndFuture override that applies to the
// instance with RECURRENCE-ID id, or nil.
func (q *query) governing(id int64) *futureOverride {
	i, _ := slices.BinarySearchFunc(q.future, id, func(f futureOverride, id int64) int { return cmpInt64(f.id, id+1) })
	if i == 0 {
		return nil
	}
	return &q.future[i-1]
}

// query collects the instances of one Between call.
type query struct {
	r        *Recurrence
	from, to time.Time
	max      int
	exdates  map[int64]struct{} // shared with the Prepared, read only
	future   []futureOverride   // likewise
	out      []Instance
	base     int // out[:base] belongs to the caller
	kept     int // instances kept from the current source
}

// addBase considers an instance of the recurrence set that starts at
// start (Unix seconds id); it returns false once the current source gave
// more than max instances.
func (q *query) addBase(id int64, start time.Time) bool {
	if q.excluded(id) {
		return true
	}
	return q.addGoverned(id, start, q.r.Duration.AddTo(start))
}

// addGoverned adds an instance of the rules or RDATEs after applying the
// ThisAndFuture override that governs it, if any.
func (q *query) addGoverned(id int64, start, end time.Time) bool {
	f := q.governing(id)
	if f == nil {
		return q.add(time.Unix(id, 0), start, end, q.r.Transparent)
	}
	if f.o.Cancelled {
		return true
	}
	if !f.o.Start.IsZero() {
		if f.wall != 0 {
			loc := q.r.Start.Location()
			start = time.Unix(wallToUnix(civilOf(start.In(loc))+f.wall, loc), 0).In(loc)
		}
		end = f.o.Duration.AddTo(start)
	}
	return q.add(time.Unix(id, 0), start, end, f.o.Transparent)
}

// addPeriod considers an RDATE period.
func (q *query) addPeriod(id int64, start, end time.Time) bool {
	if q.excluded(id) {
		return true
	}
	return q.addGoverned(id, start, end)
}

func (q *query) excluded(id int64) bool {
	if _, ok := q.exdates[id]; ok {
		return true
	}
	_, ok := q.r.Overrides[id]
	return ok
}

func (q *query) add(id, start, end time.Time, free bool) bool {
	if !overlaps(start, end, q.from, q.to) {
		return true
	}
	q.out = append(q.out, Instance{RecurrenceID: id.UTC(), Start: start.UTC(), End: end.UTC(), Free: free})
	q.kept++
	return q.kept <= q.max
}

// sourceDone starts counting the next source of instances.
func (q *query) sourceDone() { q.kept = 0 }

// result sorts, removes duplicate starts and applies the limit, to the
// instances after q.base. A single rule's instances usually come sorted.
func (q *query) result() ([]Instance, error) {
	own := q.out[q.base:]
	if !slices.IsSortedFunc(own, cmpInstance) {
		slices.SortStableFunc(own, cmpInstance)
	}
	own = slices.CompactFunc(own, func(a, b Instance) bool {
		return a.RecurrenceID.Equal(b.RecurrenceID) && a.Start.Equal(b.Start)
	})
	if len(own) > q.max {
		return q.out[:q.base+q.max], ErrTooManyInstances
	}
	return q.out[:q.base+len(own)], nil
}

func cmpInstance(a, b Instance) int {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c
	}
	return a.RecurrenceID.Compare(b.RecurrenceID)
}

// overlaps reports whether [start, end) overlaps [from, to); an instance of
// zero (or negative) length overlaps when its start lies in the window.
func overlaps(start, end, from, to time.Time) bool {
	if !start.Before(to) {
		return false
	}
	if end.After(start) {
		return end.After(from)
	}
	return !start.Before(from)
}

// minOffsetAfter returns the smallest UTC offset of loc in the two days
// from t, so that no instant from t on has a wall clock before
// t + that offset.
func minOffsetAfter(t time.Time, loc *time.Location) int64 {
	u := t.Unix()
	off := offsetAt(u, loc)
	for _, h := range []int64{13, 26, 52} {
		off = min(off, offsetAt(u+h*3600, loc))
	}
	return off
}

// maxOffsetBefore returns the largest UTC offset of loc in the two days
// before t.
func maxOffsetBefore(t time.Time, loc *time.Location) int64 {
	u := t.Unix()
	off := offsetAt(u, loc)
	for _, h := range []int64{13, 26, 52} {
		off = max(off, offsetAt(u-h*3600, loc))
	}
	return off
}

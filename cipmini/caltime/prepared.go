package caltime

import (
	"errors"
	"time"
)

// Prepared is a Recurrence made ready to be expanded again and again: its
// rules parsed and its EXDATEs and RANGE=THISANDFUTURE overrides indexed
// once, not on every query. It reads the Recurrence it was prepared from,
// which must not change afterwards. It is safe for concurrent use.
type Prepared struct {
	r       *Recurrence
	rules   []*rule
	exdates map[int64]struct{}
	future  []futureOverride
}

// Prepare validates the recurrence (see Validate) and prepares it for
// expansion. r must not change while the result is in use.
func (r *Recurrence) Prepare() (*Prepared, error) {
	p := new(Prepared)
	if err := r.prepareInto(p, true); err != nil {
		return nil, err
	}
	return p, nil
}

// prepareInto prepares r into p; with check, it also refuses the
// THISANDFUTURE overrides that Validate refuses.
func (r *Recurrence) prepareInto(p *Prepared, check bool) error {
	rules, err := r.rules()
	if err != nil {
		return err
	}
	*p = Prepared{r: r, rules: rules, future: r.futureOverrides()}
	for _, f := range p.future {
		if check && max(f.wall, -f.wall) > MaxDurationDays*secondsPerDay {
			return errors.New("caltime: RANGE=THISANDFUTURE moves the instances by more than 100 years")
		}
	}
	if len(r.ExDates) > 0 {
		p.exdates = make(map[int64]struct{}, len(r.ExDates))
		for _, t := range r.ExDates {
			p.exdates[t.Unix()] = struct{}{}
		}
	}
	return nil
}

// AppendBetween is Recurrence.AppendBetween for the prepared recurrence.
func (p *Prepared) AppendBetween(dst []Instance, from, to time.Time, max int) ([]Instance, error) {
	return p.appendBetween(dst, from, to, max, true)
}

// appendBetween is AppendBetween; without fast, every rule is expanded by
// the general expansion (for tests that compare the two).
func (p *Prepared) appendBetween(dst []Instance, from, to time.Time, max int, fast bool) ([]Instance, error) {
	if max <= 0 {
		max = DefaultMaxInstances
	}
	if !from.Before(to) {
		return dst, nil
	}
	r := p.r
	q := &query{r: r, from: from, to: to, max: max, exdates: p.exdates, future: p.future}
	q.out, q.base = dst, len(dst)
	q.addBase(r.Start.Unix(), r.Start)
	q.sourceDone()
	if len(p.rules) > 0 {
		loc := r.Start.Location()
		span, shift := q.futureReach()
		low := from.Add(-span - shift)
		lo := low.Unix() + minOffsetAfter(low, loc)
		high := to.Add(shift)
		hi := high.Unix() + maxOffsetBefore(high, loc) + 1
		work := int64(expansionWork)
		for _, rr := range p.rules {
			var err error
			if step := rr.simpleStep(); fast && step > 0 {
				err = q.runSimple(rr, step, lo, hi, &work)
			} else {
				err = q.runRule(rr, lo, hi, &work)
			}
			if err != nil {
				return q.out[:q.base], err
			}
			q.sourceDone()
		}
	}
	for _, rd := range r.RDates {
		if rd.End.IsZero() {
			q.addBase(rd.Start.Unix(), rd.Start)
		} else {
			q.addPeriod(rd.Start.Unix(), rd.Start, rd.End)
		}
	}
	q.sourceDone()
	for id, o := range r.Overrides {
		if !o.Cancelled {
			end := o.End
			if end.IsZero() {
				end = r.Duration.AddTo(o.Start)
			}
			q.add(time.Unix(id, 0), o.Start, end, o.Transparent)
		}
	}
	return q.result()
}

// runRule adds the occurrences of rr with lo <= civil time < hi by the
// general expansion. Its callbacks work on copies of q and of the budget,
// copied back after, so that only this path puts them on the heap.
func (q *query) runRule(rr *rule, lo, hi int64, work *int64) error {
	h, budget := new(query), new(int64)
	*h, *budget = *q, *work
	loc := h.r.Start.Location()
	e := expansion{
		r:      rr,
		start:  civilOf(h.r.Start),
		toUnix: func(cs int64) int64 { return wallToUnix(cs, loc) },
		lo:     lo,
		hi:     hi,
		work:   budget,
		emit: func(cs int64) bool {
			u := wallToUnix(cs, loc)
			return h.addBase(u, time.Unix(u, 0).In(loc))
		},
	}
	err := e.run()
	*q, *work = *h, *budget
	return err
}

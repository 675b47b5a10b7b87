package caltime

import (
	"math"
	"time"
)

// Bounds returns, for indexing, the start of the first instance and an
// upper bound of the end of the last one, in UTC. unbounded is set (and
// last is zero) when a rule has neither COUNT nor UNTIL, when a rule does
// not parse, or when finding the last instance of a COUNT rule would take
// more work than the expansion limit. EXDATEs are not subtracted, so the
// bounds may be wider than the instances.
func (r *Recurrence) Bounds() (first, last time.Time, unbounded bool) {
	first = r.Start.UTC()
	last = r.Duration.AddTo(r.Start).UTC()
	widen := func(s, e time.Time) {
		if s.Before(first) {
			first = s.UTC()
		}
		if e.After(last) {
			last = e.UTC()
		}
	}
	for _, p := range r.RDates {
		end := p.End
		if end.IsZero() {
			end = r.Duration.AddTo(p.Start)
		}
		widen(p.Start, end)
	}
	for _, o := range r.Overrides {
		if o.Cancelled {
			continue
		}
		end := o.End
		if end.IsZero() {
			end = r.Duration.AddTo(o.Start)
		}
		widen(o.Start, end)
	}
	rules, err := r.rules()
	if err != nil {
		return first.UTC(), time.Time{}, true
	}
	loc := r.Start.Location()
	for _, rr := range rules {
		end, ok := r.ruleEnd(rr, loc)
		if !ok {
			return first.UTC(), time.Time{}, true
		}
		widen(r.Start, end)
	}
	// ThisAndFuture overrides move and stretch the later instances.
	q := query{r: r, future: r.futureOverrides()}
	if span, shift := q.futureReach(); len(q.future) > 0 {
		first, last = first.Add(-shift), last.Add(shift+span)
	}
	return first, last, false
}

// ruleEnd returns an upper bound of the end of the rule's last instance.
func (r *Recurrence) ruleEnd(rr *rule, loc *time.Location) (time.Time, bool) {
	span := r.Duration.maxSpan()
	switch rr.untilKind {
	case untilInstant:
		if rr.count == 0 {
			return time.Unix(rr.until, 0).Add(span), true
		}
	case untilCivil, untilDateEnd:
		if rr.count == 0 {
			return time.Unix(wallToUnix(rr.until, loc), 0).Add(span), true
		}
	}
	if rr.count == 0 {
		return time.Time{}, false
	}
	var lastCS int64
	found := false
	work := int64(expansionWork)
	e := expansion{
		r:        rr,
		start:    civilOf(r.Start),
		toUnix:   func(cs int64) int64 { return wallToUnix(cs, loc) },
		lo:       math.MinInt64,
		hi:       math.MaxInt64,
		work:     &work,
		seekLast: true,
		emit: func(cs int64) bool {
			lastCS, found = cs, true
			return true
		},
	}
	if err := e.run(); err != nil {
		return time.Time{}, false
	}
	if !found {
		return r.Start, true
	}
	return r.Duration.AddTo(time.Unix(wallToUnix(lastCS, loc), 0).In(loc)), true
}

package sched

import (
	"fmt"
	"sort"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// A room is never accepted twice for the same time (docs/PROTOCOL.md section
// 10.3): whatever changes the busy time of a stored event (a new SEQUENCE, an
// equal SEQUENCE with a later DTSTAMP, a moved or added occurrence, a longer
// DTEND, an event made opaque) puts a resource's answer back to be judged by
// its policy, under the Scheduler's lock, in the same step that stores the
// change.

// timeChange is how the busy time of an event's new version differs from
// the stored one's, from now to the conflict horizon.
type timeChange struct {
	// changed is set when the new version makes its holders busy at a time
	// the stored one did not.
	changed bool
	// added are the instances of the new version that the stored version
	// does not have for the same occurrence with the same start and end.
	added []caltime.Instance
}

// judgeWindow is the window in which a resource's answers are judged:
// from now to the conflict horizon, stretched to the end of a single event.
func (s *Scheduler) judgeWindow(ev *vcal.Event) (from, to time.Time) {
	from = s.Now()
	to = from.Add(DefaultConflictHorizon)
	if !ev.Recurring && ev.End.After(to) {
		to = ev.End
	}
	return from, to
}

// busyEvent reports whether an event makes its holders busy at all.
func busyEvent(ev *vcal.Event) bool { return ev != nil && !ev.NeverBusy() }

// compareTime compares the busy time of the stored version oldEv (nil when
// its text is not kept) with the new version newEv.
func (s *Scheduler) compareTime(oldEv, newEv *vcal.Event) timeChange {
	if !busyEvent(newEv) {
		return timeChange{}
	}
	from, to := s.judgeWindow(newEv)
	ins, err := newEv.Instances(from, to, DefaultMaxInstances)
	busy := ins[:0] // an occurrence made transparent makes nobody busy
	for _, in := range ins {
		if !in.Free {
			busy = append(busy, in)
		}
	}
	ins = busy
	if err != nil || oldEv == nil || !busyEvent(oldEv) {
		return timeChange{changed: true, added: ins}
	}
	if _, oldTo := s.judgeWindow(oldEv); oldTo.After(to) {
		to = oldTo
	}
	prev, err := oldEv.Instances(from, to, DefaultMaxInstances)
	if err != nil {
		return timeChange{changed: true, added: ins}
	}
	// An instance is the same when its occurrence (RECURRENCE-ID) and its
	// time are: an occurrence moved onto the time of another that was
	// declined there is new.
	type span struct{ rid, start, end int64 }
	had := make(map[span]bool, len(prev))
	for _, in := range prev {
		had[span{in.RecurrenceID.Unix(), in.Start.Unix(), in.End.Unix()}] = true
	}
	var tc timeChange
	for _, in := range ins {
		if !had[span{in.RecurrenceID.Unix(), in.Start.Unix(), in.End.Unix()}] {
			tc.added = append(tc.added, in)
		}
	}
	tc.changed = len(tc.added) > 0
	return tc
}

// judgeOccurrences judges again, for a resource that accepted a series,
// the instances an update of single occurrences moved or added: each that
// breaks a limit or clashes with another accepted booking is declined on
// its own. It returns the resource's declined occurrences after the change
// (the stored ones, less those judged again, plus those declined now) and
// the reason for the first declined now, "" when none was.
func (s *Scheduler) judgeOccurrences(u *directory.User, uid string, added []caltime.Instance, stored []int64) ([]int64, string) {
	judged := map[int64]bool{}
	for _, in := range added {
		judged[in.RecurrenceID.Unix()] = true
	}
	var out []int64
	for _, rid := range stored {
		if !judged[rid] {
			out = append(out, rid)
		}
	}
	reason := ""
	for _, in := range added {
		why := s.instanceProblem(u, uid, in)
		if why == "" {
			continue
		}
		out = append(out, in.RecurrenceID.Unix())
		if reason == "" {
			reason = why
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, reason
}

// instanceProblem returns why the resource cannot take one instance of the
// event uid (a limit, or a clash with another accepted booking), or "".
func (s *Scheduler) instanceProblem(u *directory.User, uid string, in caltime.Instance) string {
	lim := &u.Limits
	loc := lim.Location
	if loc == nil {
		loc = time.UTC
	}
	when := in.Start.In(loc).Format("2006-01-02 15:04 MST")
	if max := lim.MaxDurationMinutes; max > 0 && in.End.Sub(in.Start) > time.Duration(max)*time.Minute {
		return fmt.Sprintf("Meetings in %s may last at most %d minutes.", u.ID, max)
	}
	if w := lim.WorkingHours; w != nil && !w.Holds(in.Start.In(loc), in.End.In(loc)) {
		return fmt.Sprintf("%s can be booked %s (%s) only; the meeting at %s is outside.", u.ID, w.String(), loc, when)
	}
	if lim.BookingWindowDays > 0 && in.Start.After(s.Now().AddDate(0, 0, lim.BookingWindowDays)) {
		return fmt.Sprintf("%s can be booked at most %d days ahead.", u.ID, lim.BookingWindowDays)
	}
	if u.Policy != directory.PolicyAcceptIfFree {
		return ""
	}
	clash := false
	err := s.index.walkBusy(u.ID, in.Start, in.End, uid, func(b period) bool {
		clash = !b.Tentative && b.Start.Before(in.End) && b.End.After(in.Start)
		return !clash
	})
	switch {
	case err != nil:
		return fmt.Sprintf("The calendar of %s has too many occurrences to check.", u.ID)
	case clash:
		return fmt.Sprintf("%s is already booked at %s.", u.ID, when)
	}
	return ""
}

// acceptClash returns why the resource u cannot accept the event uid now
// (an answer ACCEPTED given by hand or through the panel): the first of its
// instances, other than those it declined, that clashes with another
// accepted booking; "" when none does or u does not judge clashes.
func (s *Scheduler) acceptClash(u *directory.User, ev *vcal.Event, declined []int64) string {
	if u == nil || !u.Kind.Resource() || u.Policy == directory.PolicyAcceptAlways || !busyEvent(ev) {
		return ""
	}
	skip := map[int64]bool{}
	for _, rid := range declined {
		skip[rid] = true
	}
	from, to := s.judgeWindow(ev)
	ins, err := ev.Instances(from, to, DefaultMaxInstances)
	if err != nil {
		return fmt.Sprintf("The meeting has too many occurrences for %s to check.", u.ID)
	}
	free := *u
	free.Policy = directory.PolicyAcceptIfFree
	free.Limits = directory.Limits{Location: u.Limits.Location}
	for _, in := range ins {
		if skip[in.RecurrenceID.Unix()] {
			continue
		}
		if why := s.instanceProblem(&free, ev.UID, in); why != "" {
			return why
		}
	}
	return ""
}

// setAnswer sets the reason and the occurrences declined one by one of a
// resource's answer on a record, replacing those of an earlier answer.
func setAnswer(r *eventRecord, user, reason string, declined []int64) {
	delete(r.Comments, user)
	delete(r.Declines, user)
	if reason != "" {
		if r.Comments == nil {
			r.Comments = map[string]string{}
		}
		r.Comments[user] = reason
	}
	if len(declined) > 0 {
		if r.Declines == nil {
			r.Declines = map[string][]int64{}
		}
		r.Declines[user] = declined
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyDeclines(m map[string][]int64) map[string][]int64 {
	if m == nil {
		return nil
	}
	out := make(map[string][]int64, len(m))
	for k, v := range m {
		out[k] = append([]int64(nil), v...)
	}
	return out
}

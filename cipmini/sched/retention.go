package sched

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
	"github.com/emersion/go-ical"
)

// Defaults of the nightly maintenance.
const (
	// DefaultKeepHistory is how long an event stays in the live store after
	// its last occurrence ended: 400 days, a year and a month of history.
	DefaultKeepHistory = 400 * 24 * time.Hour
	// FailedKeep is how long a message that failed for good stays in the
	// queue to be seen (cipmini queue) before Maintain removes it.
	FailedKeep = 7 * 24 * time.Hour
	// retireBatch bounds the events archived and deleted in one commit.
	retireBatch = 500
)

// retireEntry is what the nightly step needs to know of one live record.
type retireEntry struct {
	ends      int64 // end of the last occurrence, Unix seconds; see known
	known     bool  // ends is known; false: parse the record to find it
	unbounded bool  // recurs for ever
	cancelled bool
	textless  bool // a declined invitation kept as its answer, or a tombstone
	updated   int64
}

// retireIndex maps every live event to its retireEntry, so that the
// nightly step finds what is due without reading every record. It holds
// one small entry per live event: it is bounded by the live store. Safe
// for concurrent use.
type retireIndex struct {
	mu sync.Mutex
	m  map[string]retireEntry
}

func newRetireIndex() *retireIndex { return &retireIndex{m: map[string]retireEntry{}} }

// note records the state of a record just stored or loaded.
func (x *retireIndex) note(r *eventRecord) {
	e := retireEntry{cancelled: r.Cancelled, textless: r.textless(), updated: r.Updated}
	switch {
	case e.textless:
		e.ends, e.known, e.unbounded = r.Ends, true, r.Ends == 0
	case r.Span != nil:
		e.ends, e.known = r.Span[1], true
	}
	x.mu.Lock()
	x.m[r.UID] = e
	x.mu.Unlock()
}

func (x *retireIndex) forget(uid string) {
	x.mu.Lock()
	delete(x.m, uid)
	x.mu.Unlock()
}

// Len returns the number of live events, tombstones included.
func (x *retireIndex) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.m)
}

// MaintenanceReport says what one run of Maintain did.
type MaintenanceReport struct {
	// Archived counts events written to the archive: retired ones and
	// cancelled ones turned into tombstones.
	Archived int
	// Retired counts events (tombstones included) deleted from the live
	// store.
	Retired int
	// Tombstones counts cancelled events reduced to tombstones.
	Tombstones int
	// FailedRemoved counts failed queue messages removed after FailedKeep.
	FailedRemoved int
	// Live is the number of events in the live store afterwards.
	Live int
}

// LiveEvents returns the number of events in the live store, tombstones
// included. It is safe for concurrent use.
func (s *Scheduler) LiveEvents() int { return s.retire.Len() }

// retirement is one record's fate in a run of Maintain.
type retirement struct {
	uid   string
	year  int
	text  string       // to archive; "" for a tombstone already archived
	keep  *eventRecord // the tombstone to store instead, or nil to delete
	entry retireEntry  // the new entry for a kept tombstone
}

// retireHooks are called by a run of Maintain, for tests: synced after a
// batch's archive append is fsynced and before its live records change,
// under s.mu (an error ends the run there, as a crash would); between
// after a batch's commit, without s.mu; batch, if > 0, replaces
// retireBatch.
type retireHooks struct {
	synced  func() error
	between func()
	batch   int
}

// Maintain is the nightly step (README, Retention). With KeepHistory > 0:
// an event whose last occurrence ended more than KeepHistory before now
// is appended to the yearly archive of the data directory (the year its
// last occurrence ended) and deleted from the live store; a cancelled
// event is archived and kept as a tombstone (a record without text,
// textless.go: UID, SEQUENCE, DTSTAMP, owner, answers, history, end),
// which keeps refusing older versions until both the event's time and
// KeepHistory after its last change are past (an older version may carry
// a later time), and is then deleted; a declined invitation kept without
// text is deleted the same way, with nothing to archive. The archive is
// fsynced before the live records change: a crash in between leaves at
// worst an event twice in the archive, never lost. Whatever the setting,
// failed queue messages older than FailedKeep are removed. Maintain
// lists the UIDs due, then loads, archives and commits them in batches
// of 500, each under the Scheduler's lock, which it releases between
// batches so that bookings go on; each record is judged again in its
// batch, as it may have changed meanwhile. It is safe for concurrent use.
func (s *Scheduler) Maintain(now time.Time) (MaintenanceReport, error) {
	var rep MaintenanceReport
	defer s.notifyChanged()
	s.mu.Lock()
	n, err := s.removeFailed(now)
	s.unlock()
	rep.FailedRemoved = n
	if err != nil {
		return rep, err
	}
	if s.KeepHistory > 0 {
		due := s.dueForRetirement(now)
		size := retireBatch
		if s.retireHooks.batch > 0 {
			size = s.retireHooks.batch
		}
		for len(due) > 0 {
			batch := due[:min(size, len(due))]
			due = due[len(batch):]
			if err := s.retireUIDs(batch, now, &rep); err != nil {
				return rep, err
			}
			if len(due) > 0 && s.retireHooks.between != nil {
				s.retireHooks.between()
			}
		}
	}
	rep.Live = s.retire.Len()
	if rep.Archived+rep.Retired+rep.FailedRemoved > 0 {
		s.log.Info("store: nightly maintenance", "archived", rep.Archived, "retired", rep.Retired,
			"tombstones", rep.Tombstones, "failed_messages_removed", rep.FailedRemoved, "live_events", rep.Live)
	}
	return rep, nil
}

// dueForRetirement lists, in order, the UIDs the retirement index finds
// due (or must read to know): only UIDs, so that the list costs little
// however many are due.
func (s *Scheduler) dueForRetirement(now time.Time) []string {
	keepUntil := now.Add(-s.KeepHistory).Unix()
	s.retire.mu.Lock()
	var due []string
	for uid, e := range s.retire.m {
		switch {
		case !e.known, e.cancelled && !e.textless:
			due = append(due, uid)
		case e.textless:
			// Kept until both its time and KeepHistory after its last
			// change are past: an older version may carry a later time,
			// and a late replay of it must still meet the record.
			if e.updated <= keepUntil && (!e.unbounded && e.ends <= now.Unix() || e.unbounded) {
				due = append(due, uid)
			}
		case !e.unbounded && e.ends <= keepUntil:
			due = append(due, uid)
		}
	}
	s.retire.mu.Unlock()
	sort.Strings(due)
	return due
}

// retireUIDs judges, archives and retires one batch of UIDs under s.mu.
func (s *Scheduler) retireUIDs(uids []string, now time.Time, rep *MaintenanceReport) error {
	s.mu.Lock()
	defer s.unlock()
	plan, err := s.planRetirement(uids, now)
	if err != nil || len(plan) == 0 {
		return err
	}
	return s.retireBatch(plan, rep)
}

// planRetirement reads the records of uids and says what becomes of each
// now; the caller holds s.mu.
func (s *Scheduler) planRetirement(uids []string, now time.Time) ([]retirement, error) {
	keepUntil := now.Add(-s.KeepHistory).Unix()
	var plan []retirement
	for _, uid := range uids {
		rec, err := s.load(uid)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			s.retire.forget(uid)
			continue
		}
		if rec.textless() {
			// A tombstone's text is archived already; a declined
			// invitation kept none. Judged again: it may have changed
			// since the list was made.
			if rec.Updated > keepUntil || rec.Ends != 0 && rec.Ends > now.Unix() {
				s.retire.note(rec)
				continue
			}
			plan = append(plan, retirement{uid: uid})
			continue
		}
		ev, err := parseStored(rec)
		if err != nil {
			s.log.Error("store: nightly maintenance: a stored event is unreadable; left in place", "uid", uid, "err", err)
			continue
		}
		ends, unbounded := lastEnd(rec, ev)
		if !rec.Cancelled && (unbounded || ends > keepUntil) {
			e := retireEntry{ends: ends, known: true, unbounded: unbounded, updated: rec.Updated}
			s.retire.mu.Lock()
			s.retire.m[uid] = e
			s.retire.mu.Unlock()
			continue
		}
		text, err := s.archiveText(rec, ev)
		if err != nil {
			s.log.Error("store: nightly maintenance: cannot write an event for the archive; left in place", "uid", uid, "err", err)
			continue
		}
		year := now.UTC().Year()
		if !unbounded {
			year = time.Unix(ends, 0).UTC().Year()
		}
		r := retirement{uid: uid, year: year, text: text}
		if rec.Cancelled && (unbounded || ends > now.Unix()) {
			keep := *rec
			keep.dropText(textEnds(rec, ev, now.Unix()))
			keep.Updated = now.Unix()
			r.keep = &keep
			r.entry = retireEntry{ends: keep.Ends, known: true, unbounded: unbounded, cancelled: true, textless: true, updated: now.Unix()}
		}
		plan = append(plan, r)
	}
	return plan, nil
}

// lastEnd returns the end of an event's last occurrence.
func lastEnd(rec *eventRecord, ev *vcal.Event) (int64, bool) {
	if rec.Span != nil {
		return rec.Span[1], false
	}
	_, last, unbounded := ev.Bounds()
	if unbounded {
		return 0, true
	}
	if last.IsZero() { // a todo without dates: its last change stands in
		return rec.Updated, false
	}
	return last.Unix(), false
}

// retireBatch archives a batch (fsynced), then deletes or replaces its
// records in one commit; the caller holds s.mu.
func (s *Scheduler) retireBatch(batch []retirement, rep *MaintenanceReport) error {
	byYear := map[int][]string{}
	var years []int
	for _, r := range batch {
		if r.text == "" {
			continue
		}
		if _, ok := byYear[r.year]; !ok {
			years = append(years, r.year)
		}
		byYear[r.year] = append(byYear[r.year], r.text)
	}
	for _, y := range years {
		if err := appendArchive(s.db.Dir(), y, byYear[y], s.archived, s.log); err != nil {
			return err
		}
	}
	if s.retireHooks.synced != nil {
		if err := s.retireHooks.synced(); err != nil {
			return err
		}
	}
	err := s.db.Update(func(tx *store.Tx) error {
		for _, r := range batch {
			if r.keep != nil {
				val, err := r.keep.marshal()
				if err != nil {
					return err
				}
				if err := tx.Set(eventKey(r.uid), val); err != nil {
					return err
				}
				continue
			}
			if err := tx.Delete(eventKey(r.uid)); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range batch {
		if r.text != "" {
			rep.Archived++
		}
		s.index.remove(r.uid)
		if r.keep != nil {
			rep.Tombstones++
			s.retire.mu.Lock()
			s.retire.m[r.uid] = r.entry
			s.retire.mu.Unlock()
			continue
		}
		rep.Retired++
		s.retire.forget(r.uid)
	}
	if len(batch) > 0 {
		s.noteChange()
	}
	return nil
}

// archiveText writes a record for the archive: its iCalendar text with the
// local participants' answers (and the remote ones the owner's copy got)
// in their ATTENDEE's PARTSTAT, STATUS:CANCELLED when it was cancelled,
// and its history (archivehistory.go).
func (s *Scheduler) archiveText(rec *eventRecord, ev *vcal.Event) (string, error) {
	cal := ev.Calendar
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent && c.Name != ical.CompToDo {
			continue
		}
		if rec.Cancelled && c.Props.Get(ical.PropRecurrenceID) == nil {
			c.Props.SetText(ical.PropStatus, "CANCELLED")
		}
		for i := range c.Props[ical.PropAttendee] {
			p := &c.Props[ical.PropAttendee][i]
			if st := rec.status(s.dir.Canonical(p.Value)); st != "" {
				p.Params.Set(ical.ParamParticipationStatus, st)
			}
		}
	}
	setArchivedHistory(cal, rec)
	text, err := vcal.EncodeString(cal)
	if err != nil {
		return "", fmt.Errorf("store: encoding event %s for the archive: %w", rec.UID, err)
	}
	return text, nil
}

// removeFailed deletes failed queue messages older than FailedKeep; the
// caller holds s.mu.
func (s *Scheduler) removeFailed(now time.Time) (int, error) {
	msgs, err := Queue(s.db)
	if err != nil {
		return 0, err
	}
	var old []*OutMessage
	for _, m := range msgs {
		if m.State == OutFailed && now.Sub(time.Unix(m.Created, 0)) > FailedKeep {
			old = append(old, m)
		}
	}
	if len(old) == 0 {
		return 0, nil
	}
	err = s.db.Update(func(tx *store.Tx) error {
		if err := ensureQueueIndex(tx); err != nil {
			return err
		}
		for _, m := range old {
			if _, err := deleteOut(tx, m.To, m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return len(old), err
}

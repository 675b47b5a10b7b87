package sched

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// Booking is one busy period of a user as the free/busy index holds it,
// with what the event says about itself. Read methods return copies.
type Booking struct {
	UID        string
	Start, End time.Time // UTC; the whole period, not cut to a window
	Tentative  bool      // the user has not accepted (BUSY-TENTATIVE)
	Recurring  bool      // an instance of a recurring event
	Summary    string    // SUMMARY of the event (at most MaxTitleBytes), "" when it has none
	Organizer  string    // the event's owner
	Sequence   int       // SEQUENCE of the stored version
}

// MaxBookings is how many bookings Bookings returns at most.
const MaxBookings = 1000

// Bookings returns the user's busy periods that overlap [from, to), sorted by
// start, each with its event's summary (at most MaxTitleBytes of it) and
// owner: the same periods FREEBUSY reports, before clipping and merging. At most MaxBookings are returned,
// the first by start (see BookingsUpTo). It reads the in-memory index and
// the stored records, and is safe for concurrent use.
func (s *Scheduler) Bookings(user string, from, to time.Time) ([]Booking, error) {
	bs, _, err := s.BookingsUpTo(user, from, to, MaxBookings)
	return bs, err
}

// BookingsUpTo is Bookings with at most limit bookings (at least 1), the
// first by start; more reports that the window holds others after them.
// Recurring events are walked in chunks, one held at a time, so that the
// cost grows with limit, never with how dense a series is: a window a walk
// cannot finish (see walkBudget) ends the list early with more set, never
// with an error.
func (s *Scheduler) BookingsUpTo(user string, from, to time.Time, limit int) (bs []Booking, more bool, err error) {
	limit = max(limit, 1)
	type info struct {
		summary, owner string
		seq            int
		recurring      bool
	}
	seen := map[string]*info{}
	var lerr error
	err = s.index.walkBusy(s.dir.Canonical(user), from, to, "", func(p period) bool {
		if len(bs) == limit {
			more = true
			return false
		}
		in := seen[p.UID]
		if in == nil {
			in = &info{}
			f, err := s.loadFacts(p.UID)
			if err != nil {
				lerr = err
				return false
			}
			if f != nil {
				in.owner, in.seq, in.recurring, in.summary = f.Owner, f.Sequence, f.Span == nil, f.title
			}
			seen[p.UID] = in
		}
		if len(bs) == cap(bs) { // doubling: append grows large slices by a quarter
			bs = append(make([]Booking, 0, min(max(2*cap(bs), 16), limit)), bs...)
		}
		bs = append(bs, Booking{UID: p.UID, Start: p.Start, End: p.End, Tentative: p.Tentative,
			Recurring: in.recurring, Summary: in.summary, Organizer: in.owner, Sequence: in.seq})
		return true
	})
	var be *budgetError
	if errors.As(err, &be) || errors.Is(err, errTooDense) {
		err, more = nil, true
	}
	if err == nil {
		err = lerr
	}
	if err != nil {
		return nil, false, err
	}
	return bs, more, nil
}

// recordFacts is what Bookings shows of an event record: the fields of
// eventRecord by the same JSON names, decoded without the others (the
// text, the answers, the history).
type recordFacts struct {
	Owner    string    `json:"owner"`
	Sequence int       `json:"seq"`
	Span     *[2]int64 `json:"span"`
	Title    *string   `json:"title"`
	title    string
}

// loadFacts returns what Bookings shows of uid's record, or nil when none
// is stored. The title is the record's; only a record written before
// records kept titles is read whole and its text parsed (eventRecord.title).
func (s *Scheduler) loadFacts(uid string) (*recordFacts, error) {
	var f *recordFacts
	err := s.readRecord(uid, func(key, val string) error {
		var r eventRecord
		if decodeRecord(val, &r) {
			f = &recordFacts{Owner: r.Owner, Sequence: r.Sequence, Span: r.Span, Title: r.Title}
			return nil
		}
		f = &recordFacts{}
		if err := json.Unmarshal([]byte(val), f); err != nil {
			return fmt.Errorf("store: record %s: %w", key, err)
		}
		return nil
	})
	switch {
	case err != nil || f == nil:
		return nil, err
	case f.Title != nil:
		f.title = *f.Title
		return f, nil
	}
	rec, err := s.load(uid)
	if err != nil || rec == nil {
		return nil, err
	}
	f.title = rec.title()
	return f, nil
}

// FreeBusyComponent returns the user's VFREEBUSY for [from, to) with DTSTAMP
// stamp, built by the same code as the FREEBUSY command's answer: periods
// clipped to the window and merged within each FBTYPE. It does not apply
// access rules (see MayReadFreeBusy). It is safe for concurrent use.
func (s *Scheduler) FreeBusyComponent(user string, from, to, stamp time.Time) (*ical.Component, error) {
	id := s.dir.Canonical(user)
	busy, tentative, err := s.index.busyCovering(id, from.UTC(), to.UTC(), FreeBusyBudget)
	if err != nil {
		return nil, err
	}
	return vfreebusy(id, from.UTC(), to.UTC(), stamp.UTC(), busy, tentative), nil
}

// MayReadFreeBusy reports whether a client with identity id may read the
// local user u's free/busy time: the rule FREEBUSY applies
// (docs/PROTOCOL.md section 7.4).
func MayReadFreeBusy(id Identity, u *directory.User) bool { return mayReadFreeBusy(id, u) }

// StoredEvent returns the stored, parsed event with this UID and its owner,
// or nil when none is stored or it keeps no text (an invitation declined
// as a whole keeps only the answer to it; a cancelled event reduced to a
// tombstone by Maintain). A cancelled event is returned with Cancelled set.
// It is safe for concurrent use.
func (s *Scheduler) StoredEvent(uid string) (*vcal.Event, error) {
	rec, err := s.load(uid)
	if err != nil || rec == nil || rec.textless() {
		return nil, err // no text left to show
	}
	ev, err := parseStored(rec)
	if err != nil {
		return nil, err
	}
	if rec.Cancelled {
		ev.Cancelled = true
	}
	return ev, nil
}

package sched

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// Defaults of the Scheduler.
const (
	// DefaultMaxInstances bounds the instances of recurring events expanded
	// for one free/busy answer or one conflict check.
	DefaultMaxInstances = 10000
	// DefaultConflictHorizon is how far ahead a resource judges an
	// invitation's instances; later ones are not checked for conflicts.
	DefaultConflictHorizon = 366 * 24 * time.Hour
)

// Scheduler carries out what SENDEVENT, RSVP and FREEBUSY ask (Deliver,
// Answer, FreeBusy) over a DB, with the users, peers and rules of a
// Directory (docs/PROTOCOL.md sections 5 to 10). It is safe for concurrent
// use: changes are serialized, so that a resource's decision and its
// booking are one atomic step, and free/busy answers read an in-memory
// index.
type Scheduler struct {
	db    *store.DB
	dir   *directory.Directory
	log   *slog.Logger
	index *busyIndex
	// retire knows when each live event is due for the archive;
	// archived caches the archive files' checked sizes, under mu.
	retire   *retireIndex
	archived map[string]int64
	// retireHooks lets tests cut or interleave a run of Maintain.
	retireHooks retireHooks
	// Now returns the current time; tests may replace it before use.
	Now func() time.Time
	// Queued, when set, is called after messages for other servers were
	// queued, with whom each is for (OutMessage.To, in queue order): a
	// Courier's WakeFor. It is called under the Scheduler's lock and must
	// not block.
	Queued func(to []string)
	// MaxStoreBytes caps the data file for new invitations and changes that
	// grow a stored event (quota.go).
	// Default DefaultMaxStoreBytes (64 MiB); negative means no cap. Set
	// before use.
	MaxStoreBytes int64
	// AnonymousStoreShare is the part of MaxStoreBytes anonymous sessions
	// may fill (quota.go); the rest is kept for logged-in users and peers.
	// Default DefaultAnonymousStoreShare (0.75); values outside (0, 1]
	// mean the default. Set before use.
	AnonymousStoreShare float64
	// QueueLimits bound the outgoing queue per peer; set before use. The
	// zero value means the defaults.
	QueueLimits QueueLimits
	// KeepHistory is how long after its last occurrence ended an event
	// stays in the live store before Maintain archives it; 0 keeps all.
	// NewScheduler sets DefaultKeepHistory; change it before use.
	KeepHistory time.Duration

	mu     sync.Mutex // serializes every change to the event records
	outSeq uint64     // numbers the messages queued, under mu
	// decisions are the audit log's records of the changes made under mu,
	// written by unlock once mu is released (logDecisions).
	decisions []slog.Record

	subMu   sync.Mutex  // guards subs
	subs    []func()    // called after a change (OnChange)
	pending atomic.Bool // a change was committed and not yet told
}

// NewScheduler returns a Scheduler over db, reading every stored event once
// to build its free/busy index. A nil logger means slog.Default().
func NewScheduler(db *store.DB, dir *directory.Directory, log *slog.Logger) (*Scheduler, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Scheduler{db: db, dir: dir, log: log, index: newBusyIndex(), retire: newRetireIndex(), archived: map[string]int64{}, Now: time.Now, KeepHistory: DefaultKeepHistory}
	// An unreadable record stops the start rather than vanish from the
	// calendar: the file's framing checked out, so its content was damaged.
	n, err := s.loadIndexes()
	if err != nil {
		return nil, fmt.Errorf("%w (restore a backup)", err)
	}
	s.keepQuarantinedBusy()
	log.Info("store: events loaded", "events", n)
	return s, nil
}

// storedParses counts the calls of parseStored since the start, so that
// tests and benchmarks can tell how often stored text is parsed again.
var storedParses atomic.Int64

// parseStored parses the iCalendar text of a record.
func parseStored(r *eventRecord) (*vcal.Event, error) {
	storedParses.Add(1)
	evs, err := vcal.ParseEvents([]byte(r.ICal), storedLimits)
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		if ev.UID == r.UID {
			return ev, nil
		}
	}
	return nil, fmt.Errorf("store: stored text of %s holds no such UID", r.UID)
}

// storedLimits are the parser's limits for text this server wrote itself:
// the defaults, with room for anything it accepted on the wire.
var storedLimits = &vcal.Limits{MaxBytes: 4 << 20}

// load returns the record for uid, or nil.
func (s *Scheduler) load(uid string) (*eventRecord, error) {
	var rec *eventRecord
	err := s.readRecord(uid, func(key, val string) (err error) {
		rec, err = unmarshalRecord(key, val)
		return err
	})
	return rec, err
}

// readRecord calls decode with the key and stored value of uid's record,
// unless none is stored.
func (s *Scheduler) readRecord(uid string, decode func(key, val string) error) error {
	return s.db.View(func(tx *store.Tx) error {
		val, err := tx.Get(eventKey(uid))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return decode(eventKey(uid), val)
	})
}

// save writes a record; it is on disk (as the DB's sync policy says) once
// the caller, after releasing s.mu, has waited in durable.
func (s *Scheduler) save(r *eventRecord) error { return s.saveWith(r, nil) }

// saveWith writes a record and queues messages for other servers in one
// commit, so that a crash keeps both or neither. Like save, it does not
// wait for the storage device: the caller answers after durable.
func (s *Scheduler) saveWith(r *eventRecord, out []*OutMessage) error {
	now := s.Now()
	r.Updated = now.Unix()
	val, err := r.marshal()
	if err != nil {
		return err
	}
	ends := messageEnds(r, len(out) > 0)
	for _, m := range out {
		s.outSeq++
		m.ID = NewOutID(now, s.outSeq)
		m.State, m.Created, m.NextTry = OutQueued, now.Unix(), now.Unix()
		m.Ends = ends
	}
	err = s.db.Commit(func(tx *store.Tx) error {
		if err := tx.Set(eventKey(r.UID), val); err != nil {
			return err
		}
		return Enqueue(tx, out, now, s.QueueLimits, s.log)
	})
	if err == nil {
		s.retire.note(r)
		s.noteChange()
	}
	if err == nil && len(out) > 0 && s.Queued != nil {
		to := make([]string, len(out))
		for i, m := range out {
			to[i] = m.To
		}
		s.Queued(to)
	}
	return err
}

// durable holds back an answer, given after s.mu is released, until every
// commit it may rest on is on the storage device: the change it made and
// the ones its decision read. Bookings answered together share one fsync.
// When that fsync fails, the answer becomes a temporary failure: the
// result and error res and err point at are replaced by that error.
func durable[T any](s *Scheduler, res **T, err *error) {
	if werr := s.db.WaitDurable(); werr != nil {
		*res, *err = nil, tempFailure(s.log, "syncing the store", werr)
	}
}

// reindex brings the free/busy index up to date with a record. ev is the
// record's parsed text, or nil: it is parsed only when the record does not
// say its busy time itself (a recurring event).
func (s *Scheduler) reindex(r *eventRecord, ev *vcal.Event) error {
	if r.Cancelled || r.Free || r.textless() {
		s.index.remove(r.UID)
		return nil
	}
	var entries []indexEntry
	for user, st := range r.Holders {
		if st == Declined || st == Delegated {
			continue
		}
		e := indexEntry{user: user, tentative: st != Accepted}
		if ids := r.Declines[user]; len(ids) > 0 {
			e.except = map[int64]bool{}
			for _, id := range ids {
				e.except[id] = true
			}
		}
		entries = append(entries, e)
	}
	if r.Span != nil {
		s.index.put(r.UID, entries, []period{{Start: time.Unix(r.Span[0], 0).UTC(), End: time.Unix(r.Span[1], 0).UTC()}}, nil)
		return nil
	}
	if ev == nil {
		var err error
		if ev, err = parseStored(r); err != nil {
			return fmt.Errorf("store: stored event %s is unreadable: %w", r.UID, err)
		}
	}
	first, last, unbounded := ev.Bounds()
	rec := &recurringEntry{first: first.Unix(), last: last.Unix(), unbounded: unbounded,
		expand: ev.AppendInstances}
	s.index.put(r.UID, entries, nil, rec)
	return nil
}

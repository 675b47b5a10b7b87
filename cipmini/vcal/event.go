package vcal

import (
	"errors"
	"io"
	"slices"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/emersion/go-ical"
)

var (
	errDuplicateMaster   = errors.New("vcal: two components with this UID and no RECURRENCE-ID")
	errDuplicateOverride = errors.New("vcal: two components with this UID and RECURRENCE-ID")
	errMixedKinds        = errors.New("vcal: VEVENT and VTODO share this UID")
)

// Event is one scheduled event or todo: the components of one UID, that is the
// master and its RECURRENCE-ID overrides, normalized (docs/PROTOCOL.md section
// 6.3). All times are UTC. The fields describe the master; when the data holds
// only overrides (an iTIP message about one occurrence), they describe the
// first override and RecurrenceID is set.
//
// An Event is not modified by this package after ParseEvents returns it; it
// is safe for concurrent reads.
type Event struct {
	UID      string
	Sequence int // SEQUENCE of the master, 0 when absent
	// DTStamp is the DTSTAMP in UTC, or 1970-01-01T00:00:00Z when the data
	// has none (the draft's bare lines), which is also what Encode writes.
	DTStamp time.Time
	Method  string // METHOD of the calendar in upper case, "" when absent
	Kind    string // "VEVENT" or "VTODO"

	// Cancelled: STATUS:CANCELLED or METHOD:CANCEL. Transparent:
	// TRANSP:TRANSPARENT (the event does not make anyone busy). AllDay:
	// DTSTART is a DATE. Floating: DTSTART has no zone, so Start and End were
	// computed in Limits.Floating.
	Cancelled, Transparent, AllDay, Floating bool

	// Start and End bound the first instance. End is DTEND (DUE for a
	// VTODO), else DTSTART plus DURATION, else one day after a DATE start,
	// else Start. A VTODO with neither DTSTART nor DUE has both zero.
	Start, End time.Time

	Organizer Participant   // the ORGANIZER or vCalendar owner
	Attendees []Participant // in data order, one per address
	Summary   string        // SUMMARY (or the draft's SUBJECT) as plain text

	// Recurring reports an RRULE or RDATE on the master.
	Recurring bool
	// RecurrenceID is the RECURRENCE-ID of the described component when the
	// data has no master; zero otherwise.
	RecurrenceID time.Time
	// Overrides lists the RECURRENCE-ID components in data order.
	Overrides []Override

	// Calendar is the normalized iCalendar 2.0 form: VERSION 2.0, PRODID,
	// METHOD, the VTIMEZONEs used, the master and the overrides. It keeps
	// the original local times with their TZID. Offset forms
	// ("19961231T2000-0500") and vCalendar 1.0 local times are written in
	// UTC, except the DTSTART of a recurring component, which keeps its
	// local time in a VTIMEZONE made for it ("UTC-0500", "vCalendar+0100")
	// so that the rule repeats local wall-clock time.
	Calendar *ical.Calendar

	rec   *caltime.Recurrence // nil without a master, else &recur
	recur caltime.Recurrence
	prep  *caltime.Prepared // rec prepared once when it has a rule, else nil
}

// Override is one RECURRENCE-ID component of an event. Transparent is its
// own TRANSP; ThisAndFuture marks RANGE=THISANDFUTURE (see
// caltime.Override).
type Override struct {
	RecurrenceID  time.Time // the original start of the occurrence, UTC
	Start, End    time.Time // UTC
	Sequence      int
	Cancelled     bool
	Transparent   bool
	ThisAndFuture bool
	Attendees     []Participant
}

// ParseEvents parses a SENDEVENT data block into events, one per UID in
// order of first appearance. The block may be the draft's bare property
// lines, vCalendar 1.0 or iCalendar 2.0; lines may end in CRLF or LF.
// Components other than VEVENT and VTODO (VJOURNAL, VFREEBUSY) are ignored;
// a block without any event is a *MissingError for VEVENT.
//
// Every event must have UID, an owner (ORGANIZER, or ATTENDEE;ROLE=OWNER),
// an attendee and, for a VEVENT, DTSTART: a missing one is a *MissingError
// naming it. A bad value is a *PropError, malformed data a *SyntaxError, a
// breached limit a *LimitError. lim nil means the default Limits.
// ParseEvents is safe for concurrent use.
func ParseEvents(data []byte, lim *Limits) ([]*Event, error) {
	l := lim.resolved()
	doc, err := decodeBytes(data, &l)
	if err != nil {
		return nil, err
	}
	return eventsFromDoc(doc, l)
}

func eventsFromDoc(doc document, l Limits) ([]*Event, error) {
	n, err := newNormalizer(doc, l)
	if err != nil {
		return nil, err
	}
	type group struct {
		uid       string
		master    *compInfo
		overrides []*compInfo
		used      []string
	}
	// groups are in order of first appearance; a data block holds few
	// UIDs, so they are looked up in order, through byUID only when many.
	var groupArr [1]group
	groups := groupArr[:0]
	var byUID map[string]int
	const fewGroups = 8
	find := func(uid string) int {
		if byUID != nil {
			if i, ok := byUID[uid]; ok {
				return i
			}
		} else {
			for i := range groups {
				if groups[i].uid == uid {
					return i
				}
			}
		}
		groups = append(groups, group{uid: uid})
		if byUID == nil && len(groups) > fewGroups {
			byUID = make(map[string]int, 2*len(groups))
			for i := range groups {
				byUID[groups[i].uid] = i
			}
		} else if byUID != nil {
			byUID[uid] = len(groups) - 1
		}
		return len(groups) - 1
	}
	for _, c := range doc.root.Children {
		if c.Name != ical.CompEvent && c.Name != ical.CompToDo {
			continue
		}
		n.used = nil
		ci, err := n.normComponent(c)
		if err != nil {
			return nil, err
		}
		g := &groups[find(ci.uid)]
		for _, z := range n.used {
			g.used = appendUnique(g.used, z)
		}
		kind := ""
		if g.master != nil {
			kind = g.master.kind
		} else if len(g.overrides) > 0 {
			kind = g.overrides[0].kind
		}
		if kind != "" && kind != ci.kind {
			return nil, propErr("UID", ci.uid, errMixedKinds)
		}
		if !ci.hasRecurID {
			if g.master != nil {
				return nil, propErr("UID", ci.uid, errDuplicateMaster)
			}
			g.master = ci
			continue
		}
		for _, o := range g.overrides {
			if o.recurID.Equal(ci.recurID) {
				return nil, propErr("UID", ci.uid, errDuplicateOverride)
			}
		}
		g.overrides = append(g.overrides, ci)
	}
	if len(groups) == 0 {
		return nil, &MissingError{Prop: "VEVENT"}
	}
	var events []*Event
	for i := range groups {
		g := &groups[i]
		n.used = g.used
		var compArr [4]*ical.Component
		comps := compArr[:0]
		if g.master != nil {
			comps = append(comps, g.master.comp)
		}
		for _, o := range g.overrides {
			comps = append(comps, o.comp)
		}
		// The event, its calendar and (for the first) the list returned
		// are one allocation.
		t := &eventTree{}
		if i == 0 {
			events = t.list[:0]
			if len(groups) > 1 {
				events = make([]*Event, 0, len(groups))
			}
		}
		e := buildEvent(&t.ev, n, g.master, g.overrides, n.calendar(&t.cal, comps))
		if e.rec != nil {
			var err error
			if len(e.recur.RRules) > 0 {
				e.prep, err = e.rec.Prepare()
			} else {
				err = e.rec.Validate()
			}
			if err != nil {
				return nil, propErr("RRULE", firstValue(g.master.comp, ical.PropRecurrenceRule), err)
			}
		}
		events = append(events, e)
	}
	return events, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// eventTree holds an event with its calendar, and the list of one event.
type eventTree struct {
	ev   Event
	cal  calendarTree
	list [1]*Event
}

// buildEvent fills e from its components and returns it.
func buildEvent(e *Event, n *normalizer, master *compInfo, overrides []*compInfo, cal *ical.Calendar) *Event {
	d := master
	if d == nil {
		d = overrides[0]
	}
	*e = Event{
		UID:         d.uid,
		Sequence:    d.seq,
		DTStamp:     d.stamp,
		Method:      n.method,
		Kind:        d.kind,
		Cancelled:   d.cancelled,
		Transparent: d.transparent,
		AllDay:      d.hasStart && d.start.date,
		Floating:    d.hasStart && d.start.floating,
		Organizer:   d.organizer,
		Attendees:   d.attendees,
		Summary:     d.summary,
		Calendar:    cal,
	}
	if d.hasStart {
		e.Start, e.End = d.start.utc(), d.end
	}
	if master == nil {
		e.RecurrenceID = d.recurID
	}
	for _, o := range overrides {
		ov := Override{RecurrenceID: o.recurID, Sequence: o.seq, Cancelled: o.cancelled,
			Transparent: o.transparent, ThisAndFuture: o.future, Attendees: o.attendees}
		if o.hasStart {
			ov.Start, ov.End = o.start.utc(), o.end
		}
		e.Overrides = append(e.Overrides, ov)
	}
	if master != nil && master.hasStart {
		e.Recurring = len(master.rrules) > 0 || len(master.rdates) > 0
		e.recur = caltime.Recurrence{
			Start:       master.start.local,
			Duration:    master.dur,
			AllDay:      master.start.date,
			Transparent: master.transparent,
			RRules:      master.rrules,
			RDates:      master.rdates,
			ExDates:     master.exdates,
		}
		rec := &e.recur
		if len(overrides) > 0 {
			rec.Overrides = make(map[int64]caltime.Override, len(overrides))
			for _, o := range overrides {
				co := caltime.Override{Cancelled: o.cancelled, Transparent: o.transparent, ThisAndFuture: o.future}
				if o.hasStart && !o.cancelled {
					co.Start, co.End, co.Duration = o.start.utc(), o.end, o.dur
				}
				if o.hasStart || o.cancelled {
					rec.Overrides[overrideKey(master, o)] = co
				}
			}
		}
		e.rec = rec
	}
	return e
}

// Instances returns the instances of the event that overlap [from, to), in
// start order, at most max of them (max <= 0: caltime.DefaultMaxInstances).
// RRULE, RDATE, EXDATE and RECURRENCE-ID overrides are applied; cancelled
// overrides are left out, but a cancelled event still returns its
// instances (check Cancelled). Without a master, the overrides themselves
// are the instances. When more than max instances overlap the window, the
// first max are returned with caltime.ErrTooManyInstances; a rule that needs
// too much work gives caltime.ErrExpansionLimit. It is safe for concurrent
// use.
func (e *Event) Instances(from, to time.Time, max int) ([]caltime.Instance, error) {
	out, err := e.AppendInstances(nil, from, to, max)
	if errors.Is(err, caltime.ErrTooManyInstances) {
		out = out[:len(out):len(out)]
	}
	return out, err
}

// AppendInstances is Instances appending to dst, so that a walk over a long
// window in chunks reuses one buffer (see caltime.Recurrence.AppendBetween).
// It is safe for concurrent use.
func (e *Event) AppendInstances(dst []caltime.Instance, from, to time.Time, max int) ([]caltime.Instance, error) {
	if max <= 0 {
		max = caltime.DefaultMaxInstances
	}
	if e.prep != nil {
		return e.prep.AppendBetween(dst, from, to, max)
	}
	if e.rec != nil {
		return e.rec.AppendBetween(dst, from, to, max)
	}
	base := len(dst)
	for _, o := range e.Overrides {
		if o.Cancelled || o.Start.IsZero() {
			continue
		}
		if o.Start.Before(to) && (o.End.After(from) || o.End.Equal(o.Start) && !o.Start.Before(from)) {
			dst = append(dst, caltime.Instance{RecurrenceID: o.RecurrenceID, Start: o.Start, End: o.End, Free: o.Transparent})
		}
	}
	own := dst[base:]
	slices.SortStableFunc(own, func(a, b caltime.Instance) int { return a.Start.Compare(b.Start) })
	if len(own) > max {
		return dst[:base+max], caltime.ErrTooManyInstances
	}
	return dst, nil
}

// Bounds returns, for indexing, the start of the first instance and an upper
// bound of the end of the last one, in UTC, overrides included. unbounded is
// set (and last is zero) for a recurrence without end. See
// caltime.Recurrence.Bounds. It is safe for concurrent use.
func (e *Event) Bounds() (first, last time.Time, unbounded bool) {
	if e.rec != nil {
		return e.rec.Bounds()
	}
	first, last = e.Start, e.End
	for _, o := range e.Overrides {
		if o.Cancelled || o.Start.IsZero() {
			continue
		}
		if o.Start.Before(first) || first.IsZero() {
			first = o.Start
		}
		if o.End.After(last) {
			last = o.End
		}
	}
	return first, last, false
}

// Encode writes the event's normalized calendar (see the package Encode).
func (e *Event) Encode(w io.Writer) error { return Encode(w, e.Calendar) }

// overrideKey returns the instant, in Unix seconds, of the instance an
// override replaces (see instanceOf).
func overrideKey(master, o *compInfo) int64 {
	return instanceOf(master.start, o.recurTV).Unix()
}

// instanceOf returns the start of the instance that a RECURRENCE-ID or
// EXDATE value v names in a series starting at start. Values match by
// instant; where the producer mixed DATE and DATE-TIME (Exchange 2010
// writes a DATE-TIME RECURRENCE-ID for an all-day series), they match
// leniently: a DATE-TIME names the all-day instance of its own wall-clock
// date, and a DATE names the instance of a timed series that starts on
// that date at DTSTART's time of day in DTSTART's zone.
func instanceOf(start, v timeVal) time.Time {
	switch {
	case start.date && !v.date:
		y, m, d := v.local.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, start.local.Location())
	case !start.date && v.date:
		y, m, d := v.local.Date()
		h, mi, s := start.local.Clock()
		return time.Date(y, m, d, h, mi, s, 0, start.local.Location())
	}
	return v.local
}

// NeverBusy reports whether no instance of the event makes anyone busy: a
// VTODO, or a VEVENT whose master and overrides are all transparent or
// cancelled. It is safe for concurrent use.
func (e *Event) NeverBusy() bool {
	if e.Kind != ical.CompEvent {
		return true
	}
	if e.rec != nil && !e.Transparent {
		return false
	}
	if e.rec == nil && len(e.Overrides) == 0 && !e.Transparent {
		return false
	}
	for _, o := range e.Overrides {
		if !o.Cancelled && !o.Transparent {
			return false
		}
	}
	return true
}

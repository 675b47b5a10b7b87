package sched

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/cipmini/cipmini/cipmini/vcal"
)

// eventKeyPrefix starts the key of every event record: "event:" + UID.
const eventKeyPrefix = "event:"

// PartStat values as stored (RFC 5545 PARTSTAT).
const (
	NeedsAction = "NEEDS-ACTION"
	Accepted    = "ACCEPTED"
	Declined    = "DECLINED"
	Tentative   = "TENTATIVE"
	Delegated   = "DELEGATED"
)

// eventRecord is one event as stored: everything about one UID in one key,
// so that a crash can never leave an event half written. It holds the event
// as normalized iCalendar text, the copies of the local users that hold it
// with their answers, and, when the owner is local, the answers of the other
// attendees as RSVPs brought them.
type eventRecord struct {
	UID      string `json:"uid"`
	Sequence int    `json:"seq"`
	// DTStamp is the event's DTSTAMP in Unix seconds, 0 when it had none.
	DTStamp int64  `json:"dtstamp,omitempty"`
	Owner   string `json:"owner"`
	// Cancelled events free their time and are kept so that a late copy of
	// an older version is recognized as stale.
	Cancelled bool `json:"cancelled,omitempty"`
	// ICal is the event as normalized iCalendar 2.0 text.
	ICal string `json:"ical"`
	// Holders maps each local user holding a copy to its PARTSTAT.
	Holders map[string]string `json:"holders"`
	// Answers maps remote attendees to the PARTSTAT their RSVPs carried;
	// only for events owned here.
	Answers map[string]string `json:"answers,omitempty"`
	// Comments keeps the reason a resource gave with its answer.
	Comments map[string]string `json:"comments,omitempty"`
	// Declines maps a local resource that accepted a series to the
	// occurrences it declined one by one (RECURRENCE-IDs, Unix seconds).
	Declines map[string][]int64 `json:"declines,omitempty"`
	// Updated is when the record last changed, Unix seconds.
	Updated int64 `json:"updated"`
	// Span is the one busy period, Unix seconds, of an event that does not
	// recur; Free marks one that never makes anyone busy (TRANSP:TRANSPARENT,
	// a VTODO). Either lets the free/busy index be built at start without
	// parsing ICal; a recurring event has neither.
	Span *[2]int64 `json:"span,omitempty"`
	Free bool      `json:"free,omitempty"`
	// Title is the event's SUMMARY, at most MaxTitleBytes of it, "" when
	// it has none, so that Bookings (the panel, the feed) never parses
	// ICal. Only a record with text has one; nil on a record written
	// before titles were kept, whose ICal is parsed instead (title).
	Title *string `json:"title,omitempty"`
	// History is the newest MaxHistory changes, oldest first, as a JSON
	// array of HistoryEntry (history.go): decoded only when it is read or
	// added to, so that loading every record at start stays cheap.
	History json.RawMessage `json:"history,omitempty"`
	// Ends is set on a record that keeps no text (textless.go): the end of
	// the event's last occurrence, Unix seconds, 0 for never. It says when
	// the record is no longer needed and Maintain may retire it.
	Ends int64 `json:"ends,omitempty"`
	// Mail is set when the event's organizer speaks by mail (mail.go):
	// every answer of a local user for it is an iMIP REPLY. Nil on a
	// record of an event that came over CIP, and on records written
	// before it was kept.
	Mail *mailRecord `json:"mail,omitempty"`

	// ev is ICal parsed, kept while the record is in use (never stored):
	// set by describe, or by parsed on first use.
	ev *vcal.Event
}

// MaxTitleBytes bounds the title a record keeps: longer summaries are cut
// at a character boundary.
const MaxTitleBytes = 256

// describe sets Span, Free and Title from ev, the record's text parsed, and
// keeps ev with the record.
func (r *eventRecord) describe(ev *vcal.Event) {
	r.Span, r.Free = nil, ev.NeverBusy()
	if !r.Free && !ev.Recurring && len(ev.Overrides) == 0 {
		r.Span = &[2]int64{ev.Start.Unix(), ev.End.Unix()}
	}
	title := capTitle(ev.Summary)
	r.Title, r.ev = &title, ev
}

// describedAs gives r the description of old, a record with the same
// text: Span, Free, Title and the parsed text when old has them.
func (r *eventRecord) describedAs(old *eventRecord) {
	r.Span, r.Free, r.Title, r.ev = old.Span, old.Free, old.Title, old.ev
}

// parsed returns the record's text parsed: the event describe was given,
// else ICal parsed now (and kept with the record for its next use).
func (r *eventRecord) parsed() (*vcal.Event, error) {
	if r.ev == nil {
		ev, err := parseStored(r)
		if err != nil {
			return nil, err
		}
		r.ev = ev
	}
	return r.ev, nil
}

// title returns the event's title: Title, or for a record written before
// titles were kept, the SUMMARY of its text parsed ("" when it is
// unreadable or has none).
func (r *eventRecord) title() string {
	if r.Title != nil {
		return *r.Title
	}
	if r.textless() {
		return ""
	}
	ev, err := r.parsed()
	if err != nil {
		return ""
	}
	return capTitle(ev.Summary)
}

// capTitle cuts s to at most MaxTitleBytes, at the start of a character.
func capTitle(s string) string {
	if len(s) <= MaxTitleBytes {
		return s
	}
	i := MaxTitleBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func eventKey(uid string) string { return eventKeyPrefix + uid }

func (r *eventRecord) marshal() (string, error) {
	j := jsonBufs.Get().(*jsonBuf)
	defer j.put()
	if b, ok := j.appendRecord(j.b[:0], r); ok {
		j.b = b
		return string(b), nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("store: encoding event %s: %w", r.UID, err)
	}
	return string(b), nil
}

// unmarshalRecord decodes the stored record val of key: with decodeRecord,
// else (a record it declines) with encoding/json. Either reads val in
// place rather than copy it, and the strings they decode are their own, so
// nothing of the record shares memory with the store's value.
func unmarshalRecord(key, val string) (*eventRecord, error) {
	var r eventRecord
	if !decodeRecord(val, &r) {
		r = eventRecord{}
		if err := json.Unmarshal(unsafe.Slice(unsafe.StringData(val), len(val)), &r); err != nil {
			return nil, fmt.Errorf("store: record %s: %w", key, err)
		}
	}
	if r.Holders == nil {
		r.Holders = map[string]string{}
	}
	return &r, nil
}

// status returns what the event says of a participant: the local holder's
// answer, else the RSVP'd answer, else "".
func (r *eventRecord) status(user string) string {
	if s, ok := r.Holders[user]; ok {
		return s
	}
	return r.Answers[user]
}

package sched

import (
	"encoding/json"
	"fmt"

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
	// History is the newest MaxHistory changes, oldest first, as a JSON
	// array of HistoryEntry (history.go): decoded only when it is read or
	// added to, so that loading every record at start stays cheap.
	History json.RawMessage `json:"history,omitempty"`
	// Ends is set on a record that keeps no text (textless.go): the end of
	// the event's last occurrence, Unix seconds, 0 for never. It says when
	// the record is no longer needed and Maintain may retire it.
	Ends int64 `json:"ends,omitempty"`
}

// describe sets Span and Free from the parsed event.
func (r *eventRecord) describe(ev *vcal.Event) {
	r.Span, r.Free = nil, ev.NeverBusy()
	if !r.Free && !ev.Recurring && len(ev.Overrides) == 0 {
		r.Span = &[2]int64{ev.Start.Unix(), ev.End.Unix()}
	}
}

func eventKey(uid string) string { return eventKeyPrefix + uid }

func (r *eventRecord) marshal() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("store: encoding event %s: %w", r.UID, err)
	}
	return string(b), nil
}

func unmarshalRecord(key, val string) (*eventRecord, error) {
	var r eventRecord
	if err := json.Unmarshal([]byte(val), &r); err != nil {
		return nil, fmt.Errorf("store: record %s: %w", key, err)
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

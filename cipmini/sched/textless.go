package sched

import "github.com/cipmini/cipmini/cipmini/vcal"

// A record without text keeps what versioning and answering need: the UID,
// SEQUENCE, DTSTAMP, organizer, the local holders' answers and reasons, the
// history, and Ends, when the event's last occurrence ends. Two things
// become one: an invitation every local holder declined (slim.go), and a
// tombstone, a cancelled event whose text went to the archive (Maintain).
// Either refuses an older version (compareVersion), is changed only by its
// organizer (authority.go), is judged anew from the text of a newer version
// (there is no stored time to compare it with), frees no time and is busy
// nowhere, and is retired by Maintain once Ends is past.

// textless reports whether the record keeps no text: a declined invitation
// kept as its answer, or a tombstone.
func (r *eventRecord) textless() bool { return r.ICal == "" }

// tombstone reports whether the record is a cancelled event without text.
func (r *eventRecord) tombstone() bool { return r.Cancelled && r.textless() }

// dropText reduces r to a record without text whose event ends at ends
// (Unix seconds; 0 for never, see textEnds). The title goes with the text:
// nothing reads it without text (such a record is busy nowhere), and a
// declined invitation keeps no word of what it was about.
func (r *eventRecord) dropText(ends int64) {
	r.ICal, r.Span, r.Free, r.Declines, r.Ends = "", nil, false, nil, ends
	r.Title, r.ev = nil, nil
}

// textEnds returns, for a record with text and ev its text parsed, the end
// of the event's last occurrence as Ends keeps it: 0 when it recurs for
// ever; now for a to-do without dates.
func textEnds(r *eventRecord, ev *vcal.Event, now int64) int64 {
	ends, unbounded := lastEnd(r, ev)
	switch {
	case unbounded:
		return 0
	case ends == 0:
		return now
	}
	return ends
}

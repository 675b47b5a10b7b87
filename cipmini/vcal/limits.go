package vcal

import "time"

// Default limits, used for every Limits field left at zero. They follow
// docs/PROTOCOL.md section 6.9: a data block is at most 256 KiB, an event has
// at most 500 attendees and 1000 recurrence values, components nest at most 4
// deep.
const (
	DefaultMaxBytes      = 256 << 10 // octets of data, line ends included
	DefaultMaxLineBytes  = 64 << 10  // octets of one content line after unfolding
	DefaultMaxDepth      = 4         // nesting of BEGIN/END (VCALENDAR, VEVENT, VALARM is 3)
	DefaultMaxProperties = 10000     // content lines in all, BEGIN and END included
	DefaultMaxParams     = 64        // parameters on one content line
	DefaultMaxAttendees  = 500       // ATTENDEE lines in one component
	DefaultMaxRecurrence = 1000      // RRULE lines plus RDATE/EXDATE values in one component
	DefaultMaxTimezones  = 16        // VTIMEZONEs used by one data block
)

// Limits bounds the work done on one data block. A zero or negative field
// means its default (the Default* constants); a nil *Limits means all
// defaults. DefaultMaxLineBytes is 64 KiB, well above the 8192-octet wire line
// of docs/PROTOCOL.md section 3.1, because a folded property such as Outlook's
// HTML description may legitimately unfold to tens of kilobytes.
//
// A Limits value is only read, so one may be shared by concurrent parses.
type Limits struct {
	// MaxBytes is the largest data block, counting every octet read.
	MaxBytes int
	// MaxLineBytes is the longest content line after unfolding, without its
	// line end. It also bounds each physical line.
	MaxLineBytes int
	// MaxDepth is the deepest component nesting.
	MaxDepth int
	// MaxProperties is the most content lines in the block.
	MaxProperties int
	// MaxParams is the most parameters on one content line.
	MaxParams int
	// MaxAttendees is the most ATTENDEE lines in one component.
	MaxAttendees int
	// MaxRecurrence is the most RRULE lines plus RDATE and EXDATE values (each
	// comma-separated value counts) in one component.
	MaxRecurrence int
	// MaxTimezones is the most VTIMEZONEs of the data that properties refer
	// to; each one becomes a *time.Location.
	MaxTimezones int
	// Floating is the location in which floating times and DATE values are
	// turned into UTC instants. Nil means UTC. A vCalendar 1.0 calendar with a
	// TZ property uses that zone instead.
	Floating *time.Location
}

// resolved returns a copy of l with every default filled in.
func (l *Limits) resolved() Limits {
	var r Limits
	if l != nil {
		r = *l
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&r.MaxBytes, DefaultMaxBytes)
	def(&r.MaxLineBytes, DefaultMaxLineBytes)
	def(&r.MaxDepth, DefaultMaxDepth)
	def(&r.MaxProperties, DefaultMaxProperties)
	def(&r.MaxParams, DefaultMaxParams)
	def(&r.MaxAttendees, DefaultMaxAttendees)
	def(&r.MaxRecurrence, DefaultMaxRecurrence)
	def(&r.MaxTimezones, DefaultMaxTimezones)
	if r.Floating == nil {
		r.Floating = time.UTC
	}
	return r
}

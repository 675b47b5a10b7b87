package sched

import (
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// FreeBusyAnswer is what FreeBusy found: a VFREEBUSY for each user the
// client may see, and an Outcome for each of the others.
type FreeBusyAnswer struct {
	// Components are the VFREEBUSY components, in the order the users
	// were asked.
	Components []*ical.Component
	// Refused are the users without one, in the order asked:
	// OutcomeNotFound (no such user here, or a user of another server),
	// OutcomeRedirected (moved; To is the new id) or OutcomePermDenied (the
	// client may not read it).
	Refused []Outcome
}

// FreeBusy answers a free/busy request of the client id (docs/PROTOCOL.md
// section 7): a VFREEBUSY per user the client may see, built from the
// in-memory index with busy periods clipped to the window and merged, and
// stamped now. An *Error refuses the request as a whole: ErrInvalid for a
// window that does not end after it starts, ErrTooLarge for one longer than
// vcal.MaxFreeBusyWindow or with more occurrences than FreeBusyBudget
// covers. It is safe for concurrent use.
func (s *Scheduler) FreeBusy(id Identity, fr *vcal.FreeBusyRequest) (FreeBusyAnswer, error) {
	if fr.End.Sub(fr.Start) > vcal.MaxFreeBusyWindow {
		return FreeBusyAnswer{}, WindowTooLarge(nil)
	}
	if !fr.End.After(fr.Start) {
		return FreeBusyAnswer{}, refusal(ErrInvalid, "Free/busy window is empty")
	}
	var a FreeBusyAnswer
	stamp := s.Now().UTC().Truncate(time.Second)
	for _, user := range fr.Users {
		switch {
		case !s.dir.IsLocal(user):
			a.Refused = append(a.Refused, Outcome{User: user, Kind: OutcomeNotFound})
			continue
		case s.dir.Redirect(user) != "":
			a.Refused = append(a.Refused, Outcome{User: user, Kind: OutcomeRedirected, To: s.dir.Redirect(user)})
			continue
		}
		u := s.dir.User(user)
		if u == nil {
			a.Refused = append(a.Refused, Outcome{User: user, Kind: OutcomeNotFound})
			continue
		}
		if !mayReadFreeBusy(id, u) {
			a.Refused = append(a.Refused, Outcome{User: user, Kind: OutcomePermDenied})
			continue
		}
		busy, tentative, err := s.index.busyCovering(u.ID, fr.Start, fr.End, FreeBusyBudget/max(len(fr.Users), 1))
		if err != nil {
			return FreeBusyAnswer{}, refusal(ErrTooLarge, "Too many occurrences in the window")
		}
		a.Components = append(a.Components, vfreebusy(u.ID, fr.Start, fr.End, stamp, busy, tentative))
	}
	return a, nil
}

// WindowTooLarge is the refusal of a free/busy window longer than
// vcal.MaxFreeBusyWindow (ErrTooLarge), with its cause when there is one
// (a vcal.ErrWindowTooLarge from the parser).
func WindowTooLarge(cause error) *Error {
	return &Error{Kind: ErrTooLarge, Text: "Free/busy window over 366 days", Err: cause}
}

// mayReadFreeBusy applies a user's freebusy setting (docs/PROTOCOL.md
// section 7.4).
func mayReadFreeBusy(id Identity, u *directory.User) bool {
	switch u.FreeBusy {
	case directory.FreeBusyPublic:
		return true
	case directory.FreeBusyAuthenticated:
		return authenticated(id)
	}
	return id.Kind == User && id.Name == u.ID
}

// FreeBusyBudget is how many FREEBUSY periods one answer carries at most,
// shared evenly by the users asked for: about 170 KB, within the 256 KiB
// data block every peer takes. A window with more busy periods, even after
// merging contiguous ones, is answered with periods that cover them (see
// busyCovering): never busy time shown as free.
const FreeBusyBudget = 3000

// vfreebusy builds one user's VFREEBUSY from busy and tentative periods
// clipped to the window and merged (busyCovering), in UTC.
func vfreebusy(user string, from, to, stamp time.Time, busy, tentative []period) *ical.Component {
	c := ical.NewComponent(ical.CompFreeBusy)
	c.Props.SetText(ical.PropUID, "freebusy-"+user+"-"+from.UTC().Format(utcLayout))
	c.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
	attendee := ical.NewProp(ical.PropAttendee)
	attendee.Value = "mailto:" + user
	c.Props.Add(attendee)
	c.Props.SetDateTime(ical.PropDateTimeStart, from.UTC())
	c.Props.SetDateTime(ical.PropDateTimeEnd, to.UTC())
	add := func(fbtype string, ps []period) {
		params := ical.Params{} // shared by the kind's periods: encoding only reads it
		params.Set(ical.ParamFreeBusyType, fbtype)
		for _, p := range ps {
			prop := &ical.Prop{Name: ical.PropFreeBusy, Params: params}
			prop.Value = p.Start.UTC().Format(utcLayout) + "/" + p.End.UTC().Format(utcLayout)
			c.Props.Add(prop)
		}
	}
	add("BUSY", busy)
	add("BUSY-TENTATIVE", tentative)
	return c
}

// utcLayout is the layout of an iCalendar UTC date-time.
const utcLayout = caltime.UTCLayout

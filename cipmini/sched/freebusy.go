package sched

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// FreeBusy answers a free/busy request (docs/PROTOCOL.md section 7): one
// VCALENDAR with a VFREEBUSY per user the client may see, then "* NOTFOUND",
// "* REDIRECT USER" or "* PERMDENIED" for the others.
func (s *Scheduler) FreeBusy(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	fr, err := vcal.ParseFreeBusyRequest(req.Data, nil)
	if errors.Is(err, vcal.ErrWindowTooLarge) || err == nil && fr.End.Sub(fr.Start) > vcal.MaxFreeBusyWindow {
		return errorReply(refusal(ErrTooLarge, "Free/busy window over 366 days"))
	}
	if err != nil {
		return errorReply(parseError(err))
	}
	cal := vcal.NewCalendar("REPLY")
	var info []cipmini.Info
	stamp := s.Now().UTC().Truncate(time.Second)
	for _, user := range fr.Users {
		switch {
		case !s.dir.IsLocal(user):
			info = append(info, cipmini.UserInfo(cipmini.InfoNotFound, user))
			continue
		case s.dir.Redirect(user) != "":
			info = append(info, cipmini.RedirectUser(user, s.dir.Redirect(user)))
			continue
		}
		u := s.dir.User(user)
		if u == nil {
			info = append(info, cipmini.UserInfo(cipmini.InfoNotFound, user))
			continue
		}
		if !mayReadFreeBusy(req.Identity, u) {
			info = append(info, cipmini.UserInfo(cipmini.InfoPermDenied, user))
			continue
		}
		busy, tentative, err := s.index.busyCovering(u.ID, fr.Start, fr.End, FreeBusyBudget/max(len(fr.Users), 1))
		if err != nil {
			return errorReply(refusal(ErrTooLarge, "Too many occurrences in the window"))
		}
		cal.Children = append(cal.Children, vfreebusy(u.ID, fr.Start, fr.End, stamp, busy, tentative))
	}
	if len(cal.Children) == 0 {
		return &cipmini.Reply{Info: info, Completion: cipmini.NO(cipmini.CodeNone, "No free/busy information for these users")}
	}
	var buf bytes.Buffer
	if err := vcal.Encode(&buf, cal); err != nil {
		return errorReply(tempFailure(s.log, "encoding free/busy", err))
	}
	code := cipmini.CodeNone
	if len(info) > 0 {
		code = cipmini.CodePartial
	}
	return &cipmini.Reply{Data: buf.Bytes(), Info: info, Completion: cipmini.OK(code, "Free/busy follows")}
}

// mayReadFreeBusy applies a user's freebusy setting (docs/PROTOCOL.md
// section 7.4).
func mayReadFreeBusy(id cipmini.Identity, u *directory.User) bool {
	switch u.FreeBusy {
	case directory.FreeBusyPublic:
		return true
	case directory.FreeBusyAuthenticated:
		return authenticated(id)
	}
	return id.Kind == cipmini.User && id.Name == u.ID
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

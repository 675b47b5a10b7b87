package imip

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-ical"
)

// Door judges one message and hands what passes to a Backend
// (docs/PROTOCOL.md sections 16.3 and 16.4). Its fields are set before use;
// a Door is then safe for concurrent use.
type Door struct {
	// Backend carries out the SENDEVENT or RSVP a message stands for.
	Backend cipmini.Backend
	// ServerID is this server's id, which its own mail names (Screen).
	ServerID string
	// Users maps local users' mail addresses, in lower case, to their
	// user ids (email on a [[user]]).
	Users map[string]string
	// RequireAuth demands an Authentication-Results header of AuthServID
	// with DKIM or SPF passing for the From address (imip_require_auth).
	RequireAuth bool
	AuthServID  string
	// Limits bound the reading of a message; nil means the defaults.
	Limits *Limits
	// Log receives a line for every message: applied, or dropped and why.
	// Nil means slog.Default().
	Log *slog.Logger
}

// ErrUnreadable is returned by Handle for a message whose header cannot be
// read at all: the only mail the listener refuses after DATA.
var ErrUnreadable = errors.New("imip: the message header cannot be read")

// Outcome is what became of one message.
type Outcome struct {
	// Dropped is why the message was not applied; "" when it was.
	Dropped string
	// Reply is the Backend's answer when the message was applied.
	Reply *cipmini.Reply
}

// Handle reads one message that came with the envelope sender returnPath
// and applies it, or drops it with a reason; either way the message is
// logged. Only an unreadable header is an error (ErrUnreadable).
func (d *Door) Handle(ctx context.Context, returnPath string, r io.Reader) (Outcome, error) {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	h, part, err := Extract(r, d.Limits)
	log = log.With("message_id", h.Get("Message-Id"), "from", address(h, "From"), "return_path", returnPath)
	drop := func(why string) (Outcome, error) {
		log.Warn("imip: message dropped", "reason", why)
		return Outcome{Dropped: why}, nil
	}
	if err != nil && h.Len() == 0 {
		log.Warn("imip: message refused", "err", err)
		return Outcome{Dropped: err.Error()}, ErrUnreadable
	}
	if why := Screen(returnPath, h, d.ServerID); why != "" {
		return drop(why)
	}
	if err != nil {
		return drop(err.Error())
	}
	from := address(h, "From")
	if from == "" {
		return drop("no From address")
	}
	if d.RequireAuth && !Authenticated(h, d.AuthServID, from) {
		return drop("no Authentication-Results of " + d.AuthServID + " with dkim=pass or spf=pass for " + from)
	}
	id := cipmini.Identity{Kind: cipmini.Mail, Name: from}
	log = log.With("method", part.Method)
	switch part.Method {
	case "REQUEST", "CANCEL":
		evs, err := vcal.ParseEvents(part.Data, nil)
		if err != nil {
			return drop("calendar data: " + err.Error())
		}
		if len(evs) != 1 {
			return drop("one event (one UID) per message")
		}
		ev := evs[0]
		if !SenderMatches(from, ev.Organizer.Address) {
			return drop("From " + from + " is not the ORGANIZER " + ev.Organizer.Address)
		}
		data, addrs, err := d.localize(ev)
		if err != nil {
			return drop("calendar data: " + err.Error())
		}
		ctx = sched.WithMailOrigin(ctx, sched.MailOrigin{MessageID: h.Get("Message-Id"), Addresses: addrs})
		reply := d.Backend.SendEvent(ctx, &cipmini.Request{Identity: id, Data: data})
		log.Info("imip: applied", "uid", ev.UID, "answer", reply.Completion.String(), "info", infoText(reply))
		return Outcome{Reply: reply}, nil
	case "REPLY":
		rp, err := vcal.ParseReply(part.Data, nil)
		if err != nil {
			return drop("calendar data: " + err.Error())
		}
		if len(rp.Attendees) != 1 || !SenderMatches(from, rp.Attendees[0].Address) {
			return drop("From " + from + " is not the one ATTENDEE of the REPLY")
		}
		reply := d.Backend.RSVP(ctx, &cipmini.Request{Identity: id, Data: part.Data})
		log.Info("imip: applied", "uid", rp.UID, "answer", reply.Completion.String(), "info", infoText(reply))
		return Outcome{Reply: reply}, nil
	}
	return drop("method " + part.Method + " is not acted on")
}

// localize rewrites the ORGANIZER and ATTENDEE addresses that are local
// users' mail addresses into their user ids, and returns the calendar data
// with the user id to address map the REPLY names them by.
func (d *Door) localize(ev *vcal.Event) ([]byte, map[string]string, error) {
	addrs := map[string]string{}
	for _, c := range ev.Calendar.Children {
		for _, name := range []string{ical.PropOrganizer, ical.PropAttendee} {
			props := c.Props[name]
			for i := range props {
				addr := strings.ToLower(strings.TrimSpace(props[i].Value))
				if len(addr) > 7 && addr[:7] == "mailto:" {
					addr = addr[7:]
				}
				if user, ok := d.Users[addr]; ok {
					props[i].Value = "mailto:" + user
					addrs[user] = addr
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := vcal.Encode(&buf, ev.Calendar); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), addrs, nil
}

// infoText joins a reply's informational lines for the log.
func infoText(r *cipmini.Reply) string {
	var b strings.Builder
	for i, in := range r.Info {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(in.String())
	}
	return b.String()
}

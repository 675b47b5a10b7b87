package sched

import (
	"context"
	"strings"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// VerbMailReply is the Verb of an outgoing message that is an iMIP REPLY
// (docs/PROTOCOL.md section 16.5): a resource's answer to an invitation
// that came by mail, for the mail courier rather than a CIP peer.
const VerbMailReply = "IMIP-REPLY"

// MailOrigin is what the mail door tells the Scheduler about the message
// a delivery from a Mail identity came in: the Message-ID to answer,
// and the mail address each local user was invited by (user id to
// address), which its REPLY names it by.
type MailOrigin struct {
	MessageID string
	Addresses map[string]string
}

type mailOriginKey struct{}

// WithMailOrigin returns a context that carries o to SendEvent and Deliver.
func WithMailOrigin(ctx context.Context, o MailOrigin) context.Context {
	return context.WithValue(ctx, mailOriginKey{}, o)
}

// mailIsOwner reports whether a mail identity is the address addr: a mail
// sender speaks only for itself, and never for a local user (docs/PROTOCOL.md
// section 16.4).
func mailIsOwner(dir *directory.Directory, id Identity, addr string) bool {
	return id.Kind == Mail && !dir.IsLocal(addr) && strings.EqualFold(id.Name, dir.Canonical(addr))
}

// refuseMail refuses a delivery from a mail identity that is not the
// event's organizer: a mail sender may organize its own events only. It
// returns nil when the delivery may go on.
func (s *Scheduler) refuseMail(from Origin, ev *vcal.Event) *Delivery {
	if from.Identity.Kind != Mail || mailIsOwner(s.dir, from.Identity, ev.Organizer.Address) {
		return nil
	}
	s.log.Warn("store: decision", "uid", ev.UID, "by", who(from), "organizer", ev.Organizer.Address,
		"answer", OutcomePermDenied.String(), "reason", "a mail sender may organize its own events only")
	return &Delivery{Result: ResultNotStored, Reason: "the sender is not the organizer"}
}

// byMail turns the answers outgoing queued for the organizer's server into
// iMIP REPLYs to the organizer's mail address when the event came by mail:
// a mail organizer has no CIP server to answer to. Other messages pass
// unchanged.
func (s *Scheduler) byMail(ctx context.Context, id Identity, ev *vcal.Event, d *delivery, out []*OutMessage) ([]*OutMessage, error) {
	if id.Kind != Mail {
		return out, nil
	}
	origin, _ := ctx.Value(mailOriginKey{}).(MailOrigin)
	for _, m := range out {
		if m.Verb != VerbRSVP || m.From == "" {
			continue
		}
		user := m.From
		addr := origin.Addresses[user]
		if addr == "" {
			addr = user
		}
		text, err := replyText(ev.UID, ev.Sequence, d.rec.Owner, addr, d.rec.Holders[user], d.rec.Comments[user], d.rec.Declines[user], s.Now())
		if err != nil {
			return nil, err
		}
		m.Verb, m.To, m.Data = VerbMailReply, id.Name, text
		m.InReplyTo, m.Subject = origin.MessageID, ev.Summary
	}
	return out, nil
}

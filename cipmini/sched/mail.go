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

// Bounds on what a record keeps of the mail an event came by: a longer
// Message-ID is not kept (the REPLY then names none), a longer address not
// either (the REPLY then names the user id). RFC 5321 section 4.5.3.1
// bounds a path to 256 octets; real Message-IDs are far shorter.
const (
	maxMailMessageID = 256
	maxMailAddress   = 254
)

// mailRecord is what an event's stored record keeps when its organizer
// speaks by mail (its latest version came by the mail door): every later
// answer of a local user for it goes to Organizer as an iMIP REPLY
// (VerbMailReply), never as a CIP RSVP to the organizer's domain.
type mailRecord struct {
	// Organizer is the organizer's mail address, as its message's From.
	Organizer string `json:"organizer"`
	// MessageID is the Message-ID of the latest invitation, which REPLYs
	// answer (In-Reply-To); "" when it had none or it was too long.
	MessageID string `json:"message_id,omitempty"`
	// Addresses maps each local holder to the mail address it was invited
	// by, which its REPLY names it by; only holders of the event.
	Addresses map[string]string `json:"addresses,omitempty"`
}

// address returns the mail address user was invited by, else fallback.
func (m *mailRecord) address(user, fallback string) string {
	if a := m.Addresses[user]; a != "" {
		return a
	}
	return fallback
}

// keepMail sets the mail record of rec, the new version of old delivered
// by id: a version that came by mail records its message (ctx's
// MailOrigin), keeping the addresses old knew for holders the message did
// not name; one from the organizer's server over CIP clears it (answers go
// back by CIP); any other change keeps old's.
func keepMail(ctx context.Context, id Identity, old, rec *eventRecord) {
	var prev *mailRecord
	if old != nil {
		prev = old.Mail
	}
	switch id.Kind {
	case Mail:
	case Peer:
		rec.Mail = nil
		return
	default:
		rec.Mail = prev
		return
	}
	origin, _ := ctx.Value(mailOriginKey{}).(MailOrigin)
	m := &mailRecord{Organizer: id.Name}
	if len(origin.MessageID) <= maxMailMessageID {
		m.MessageID = origin.MessageID
	}
	for user := range rec.Holders {
		a := origin.Addresses[user]
		if (a == "" || len(a) > maxMailAddress) && prev != nil {
			a = prev.Addresses[user]
		}
		if a == "" || len(a) > maxMailAddress {
			continue
		}
		if m.Addresses == nil {
			m.Addresses = map[string]string{}
		}
		m.Addresses[user] = a
	}
	rec.Mail = m
}

// asMailReply makes m, an answer of a local user queued for the
// organizer's server, the iMIP REPLY to the organizer's mail address that
// rec's mail record asks for; data is the REPLY's calendar text and
// subject the event's summary.
func (r *mailRecord) asMailReply(m *OutMessage, data, subject string) {
	m.Verb, m.To, m.Data = VerbMailReply, r.Organizer, data
	m.InReplyTo, m.Subject = r.MessageID, subject
}

// byMail turns the answers outgoing queued for the organizer's server into
// iMIP REPLYs to the organizer's mail address when the event's organizer
// speaks by mail (rec.Mail): a mail organizer has no CIP server to answer
// to. Other messages pass unchanged.
func (s *Scheduler) byMail(rec *eventRecord, subject string, out []*OutMessage) ([]*OutMessage, error) {
	if rec.Mail == nil {
		return out, nil
	}
	for _, m := range out {
		if m.Verb != VerbRSVP || m.From == "" {
			continue
		}
		user := m.From
		text, err := replyText(rec.UID, rec.Sequence, rec.Owner, rec.Mail.address(user, user), rec.Holders[user], rec.Comments[user], rec.Declines[user], s.Now())
		if err != nil {
			return nil, err
		}
		rec.Mail.asMailReply(m, text, subject)
	}
	return out, nil
}

package imip

import (
	"bytes"
	"fmt"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// ComposeReply builds the iMIP REPLY of a queued message (RFC 6047 section
// 2.5, docs/PROTOCOL.md section 16.5): multipart/alternative with a short
// text ("Accepted", or "Declined: " and the reason) and the text/calendar
// of m.Data with method=REPLY, from the address from, with In-Reply-To the
// invitation's Message-ID, Auto-Submitted: auto-replied (RFC 3834) and
// LoopHeader naming serverID. The Message-ID is made from m.ID, so that a
// retry sends the same message.
func ComposeReply(m *sched.OutMessage, from, serverID string, now time.Time) ([]byte, error) {
	rp, err := vcal.ParseReply([]byte(m.Data), nil)
	if err != nil {
		return nil, fmt.Errorf("imip: the queued REPLY %s: %w", m.ID, err)
	}
	word, reason := "Accepted", ""
	if len(rp.Attendees) > 0 {
		switch rp.Attendees[0].PartStat {
		case sched.Declined:
			word = "Declined"
			reason = rp.Comment
		case sched.Tentative:
			word = "Tentative"
		case sched.Accepted:
		default:
			word = rp.Attendees[0].PartStat
		}
	}
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Address: from}})
	h.SetAddressList("To", []*mail.Address{{Address: m.To}})
	subject := word
	if m.Subject != "" {
		subject += ": " + m.Subject
	}
	h.SetSubject(subject)
	h.Set("Message-Id", "<"+m.ID+".imip@"+serverID+">")
	if m.InReplyTo != "" {
		h.Set("In-Reply-To", m.InReplyTo)
		h.Set("References", m.InReplyTo)
	}
	h.Set("Auto-Submitted", "auto-replied")
	h.Set(LoopHeader, serverID)
	h.Set("MIME-Version", "1.0")
	h.SetContentType("multipart/alternative", nil)

	text := word
	if reason != "" {
		text += ": " + reason
	}
	var th, ch message.Header
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	ch.SetContentType("text/calendar", map[string]string{"charset": "utf-8", "method": "REPLY"})
	ch.Set("Content-Transfer-Encoding", "quoted-printable")

	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		h    message.Header
		body string
	}{{th, text + "\r\n"}, {ch, m.Data}} {
		pw, err := w.CreatePart(p.h)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write([]byte(p.body)); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

package courier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// Mailer sends the outgoing messages that are iMIP REPLYs
// (sched.VerbMailReply) through a mail relay; package imip has one. An
// error wrapping ErrFinal is not retried; any other is, with the Backoff
// of every message.
type Mailer interface {
	SendMail(ctx context.Context, m *sched.OutMessage) error
}

// ErrFinal marks a Mailer's error that trying again will not mend (the
// relay's 5xx answer).
var ErrFinal = errors.New("courier: refused for good")

// deliverMail tries one iMIP REPLY once through c.Mail and records the
// outcome as deliver does for CIP: deleted when sent, kept as failed when
// refused for good or when there is no Mailer, otherwise tried again.
func (c *Courier) deliverMail(ctx context.Context, m *sched.OutMessage, log *slog.Logger) {
	var err error
	if c.Mail == nil {
		err = fmt.Errorf("no smtp_relay to send mail through: %w", ErrFinal)
	} else {
		err = c.Mail.SendMail(ctx, m)
	}
	switch {
	case err == nil:
		log.Info("store: delivered", "answer", "sent by mail", "tries", m.Tries+1)
		c.finish(m, nil, false)
	case errors.Is(err, ErrFinal):
		log.Warn("store: mail refused; not retried", "err", err)
		m.Tries++
		m.State, m.LastError = sched.OutFailed, err.Error()
		c.finish(m, nil, true)
	default:
		c.retry(m, err.Error(), log)
	}
}

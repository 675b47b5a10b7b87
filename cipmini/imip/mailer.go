package imip

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/cipmini/cipmini/cipmini/courier"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Relay sends the door's REPLYs through the office's mail relay
// (docs/PROTOCOL.md section 16.5). It implements courier.Mailer. Fields
// are set before use; a Relay is then safe for concurrent use.
type Relay struct {
	// Addr is the relay's host:port (smtp_relay).
	Addr string
	// From is the envelope and header sender of REPLYs (smtp_from).
	From string
	// Username and Password, when Username is set, log in with AUTH PLAIN,
	// only over TLS.
	Username, Password string
	// TLS is the configuration of STARTTLS; nil means one that checks the
	// relay's certificate against the host of Addr. STARTTLS is used
	// whenever the relay offers it, and required to log in.
	TLS *tls.Config
	// ServerID names this server in Message-IDs and LoopHeader.
	ServerID string
	// Timeout bounds one delivery; default 60 s.
	Timeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

var _ courier.Mailer = (*Relay)(nil)

// SendMail sends m's REPLY to m.To. A 5xx answer of the relay, or a message
// that cannot be composed, is final (courier.ErrFinal); anything else may
// be tried again.
func (r *Relay) SendMail(ctx context.Context, m *sched.OutMessage) error {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	msg, err := ComposeReply(m, r.From, r.ServerID, now())
	if err != nil {
		return fmt.Errorf("%w: %w", courier.ErrFinal, err)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := r.dial(ctx)
	if err != nil {
		return fmt.Errorf("imip: smtp_relay: %w", err)
	}
	defer c.Close()
	err = c.SendMail(r.From, []string{m.To}, bytes.NewReader(msg))
	if err == nil {
		err = c.Quit()
	}
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && se.Code >= 500 {
			return fmt.Errorf("imip: smtp_relay: %w: %w", courier.ErrFinal, err)
		}
		return fmt.Errorf("imip: smtp_relay: %w", err)
	}
	return nil
}

// dial connects to the relay, says EHLO and, when the relay offers it or
// a login is configured, STARTTLS, then logs in when configured to.
func (r *Relay) dial(ctx context.Context) (*smtp.Client, error) {
	connect := func() (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", r.Addr)
		if err == nil {
			deadline, _ := ctx.Deadline()
			conn.SetDeadline(deadline)
		}
		return conn, err
	}
	conn, err := connect()
	if err != nil {
		return nil, err
	}
	c := smtp.NewClient(conn)
	if err := c.Hello(r.ServerID); err != nil {
		c.Close()
		return nil, err
	}
	offered, _ := c.Extension("STARTTLS")
	if !offered && r.Username == "" {
		return c, nil
	}
	if !offered {
		c.Close()
		return nil, errors.New("the relay offers no STARTTLS; not sending the password in the clear")
	}
	// go-smtp's STARTTLS comes with a new client: say EHLO again over TLS.
	c.Close()
	if conn, err = connect(); err != nil {
		return nil, err
	}
	cfg := r.TLS
	if cfg == nil {
		host, _, _ := net.SplitHostPort(r.Addr)
		cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if c, err = smtp.NewClientStartTLS(conn, cfg); err != nil {
		return nil, err
	}
	if r.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", r.Username, r.Password)); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

package cipmini

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
)

// errNoServerName is returned when a TLS configuration would not check the
// server's certificate against the server id dialled.
var errNoServerName = errors.New("cipmini: TLS needs tls.Config.ServerName: the server id dialled, which the server's certificate must name")

// StartTLS sends AUTHENTICATE TLS and, after the server's OK, runs the TLS
// handshake on the connection (docs/PROTOCOL.md section 12.1); every later
// command is encrypted. cfg.ServerName must be the server id that was dialled:
// the server's certificate is checked against it (PeerTrust.ClientConfig
// builds such a configuration, with this side's certificate). A NO answer is
// returned as a *ReplyError and leaves the connection usable in the clear.
//
// To surface a refused client certificate here rather than at the next
// command (TLS 1.3 reports it after the handshake), StartTLS sends NOOP and
// accepts any completion. Any other failure leaves the Client closed.
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) error {
	if cfg == nil || cfg.ServerName == "" {
		return errNoServerName
	}
	if _, ok := c.conn.(*tls.Conn); ok {
		return errors.New("cipmini: TLS is already active")
	}
	r, err := c.command(ctx, "AUTHENTICATE TLS", nil, false)
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return err
	}
	if c.lr.Buffered() > 0 {
		c.conn.Close()
		return errors.New("cipmini: protocol error: the server sent data after \"OK Begin TLS\"")
	}
	tc := tls.Client(c.conn, cfg)
	stop := c.deadline(ctx)
	err = tc.HandshakeContext(ctx)
	stop()
	if err != nil {
		c.conn.Close()
		return fmt.Errorf("cipmini: TLS handshake with %s: %w", cfg.ServerName, err)
	}
	c.conn = tc
	c.lr.Reset(tc)
	c.w.Reset(tc)
	if _, err := c.command(ctx, "NOOP", nil, false); err != nil {
		c.conn.Close()
		return fmt.Errorf("cipmini: after the TLS handshake with %s: %w", cfg.ServerName, err)
	}
	return nil
}

// DialTLS connects to the CIP server at addr with implicit TLS (the
// server's second port, 5230 by default): the handshake comes first, then
// the greeting. cfg.ServerName must be the server id dialled, as for
// StartTLS. A client certificate the server refuses is reported here.
func DialTLS(ctx context.Context, addr string, cfg *tls.Config) (*Client, error) {
	if cfg == nil || cfg.ServerName == "" {
		return nil, errNoServerName
	}
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	c, err := NewClient(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// TLS reports whether the connection is encrypted, and the TLS state then.
func (c *Client) TLS() (tls.ConnectionState, bool) {
	if tc, ok := c.conn.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

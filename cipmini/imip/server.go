package imip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Defaults of the Server.
const (
	DefaultMaxRecipients = 50
	DefaultTimeout       = 2 * time.Minute
)

// Server is the mail door's SMTP listener (docs/PROTOCOL.md section 16.1):
// it takes mail for local users' addresses from the relays it accepts and
// hands each message to the Door. Set the fields, then call Serve once.
type Server struct {
	Door *Door
	// AcceptFrom lists the networks that may connect (smtp_accept_from); a
	// client from elsewhere is answered 554 and disconnected. Empty means
	// loopback only.
	AcceptFrom []netip.Prefix
	// TLS, when set, is offered by STARTTLS.
	TLS *tls.Config
	// MaxMessageBytes bounds a message (default the Door's Limits.MaxBytes
	// or DefaultMaxBytes); MaxRecipients the RCPT TOs of one message
	// (default DefaultMaxRecipients); Timeout each read and write (default
	// DefaultTimeout).
	MaxMessageBytes int64
	MaxRecipients   int
	Timeout         time.Duration
	// Hostname is the name in the greeting; default the Door's ServerID.
	Hostname string

	srv *smtp.Server
}

// ParseAcceptFrom reads smtp_accept_from: IP addresses or CIDR networks.
func ParseAcceptFrom(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("imip: smtp_accept_from %q: want an IP address or a CIDR network", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// accepts reports whether a remote address may speak to the listener.
func (s *Server) accepts(remote net.Addr) bool {
	ap, err := netip.ParseAddrPort(remote.String())
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	if len(s.AcceptFrom) == 0 {
		return a.IsLoopback()
	}
	for _, p := range s.AcceptFrom {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Serve accepts connections on l until Shutdown; it returns
// smtp.ErrServerClosed then.
func (s *Server) Serve(l net.Listener) error {
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = s.Hostname
	if srv.Domain == "" {
		srv.Domain = s.Door.ServerID
	}
	srv.MaxMessageBytes = s.MaxMessageBytes
	if srv.MaxMessageBytes <= 0 {
		srv.MaxMessageBytes = s.Door.Limits.resolved().MaxBytes
	}
	srv.MaxRecipients = s.MaxRecipients
	if srv.MaxRecipients <= 0 {
		srv.MaxRecipients = DefaultMaxRecipients
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	srv.ReadTimeout, srv.WriteTimeout = timeout, timeout
	srv.TLSConfig = s.TLS
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	return srv.Serve(&gate{Listener: l, s: s})
}

// Shutdown stops accepting and waits for sessions in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

// gate answers clients from networks not accepted with 554 and closes
// their connection before any SMTP session starts.
type gate struct {
	net.Listener
	s *Server
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if g.s.accepts(c.RemoteAddr()) {
			return c, nil
		}
		g.s.log().Warn("imip: connection refused", "remote", c.RemoteAddr().String(), "reason", "not in smtp_accept_from")
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "554 5.7.1 Not accepted from this address\r\n")
		c.Close()
	}
}

func (s *Server) log() *slog.Logger {
	if s.Door.Log != nil {
		return s.Door.Log
	}
	return slog.Default()
}

// backend makes a session per connection.
type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, remote: c.Conn().RemoteAddr()}, nil
}

// session is one SMTP session: the envelope of the current message.
type session struct {
	s       *Server
	remote  net.Addr
	from    string
	hasMail bool
	rcpts   []string
}

func (ss *session) Reset() { ss.from, ss.hasMail, ss.rcpts = "", false, nil }

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from, ss.hasMail = from, true
	return nil
}

// Rcpt takes local users' mail addresses only (550 otherwise).
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, ok := ss.s.Door.Users[strings.ToLower(strings.Trim(to, "<> "))]; !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such room or user here"}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

// Data hands the message to the Door. It is accepted (250) whatever the
// Door decides, so that the relay sends no bounce back, unless it is
// larger than MaxMessageBytes (552) or its header cannot be read (554).
// The rest of the message is read and discarded.
func (ss *session) Data(r io.Reader) error {
	returnPath := ss.from
	if returnPath == "" {
		returnPath = "<>"
	}
	_, err := ss.s.Door.Handle(context.Background(), returnPath, r)
	_, rest := io.Copy(io.Discard, r)
	if errors.Is(rest, smtp.ErrDataTooLarge) {
		return smtp.ErrDataTooLarge
	}
	if errors.Is(err, ErrUnreadable) {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message header unreadable"}
	}
	return nil
}
